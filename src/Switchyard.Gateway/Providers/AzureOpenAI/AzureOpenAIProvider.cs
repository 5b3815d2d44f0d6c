namespace Switchyard.Providers.AzureOpenAI;

/// <summary>
/// <c>kind: azure-openai</c>: Azure OpenAI, at the resource named by <c>base_url</c> (no fixed public endpoint,
/// so it is required). It speaks OpenAI's protocol, so OpenAI clients pass through; the relay is OpenAI's own.
/// </summary>
public sealed class AzureOpenAIProvider : ProviderDescriptor
{
    /// <summary>The kind name.</summary>
    public const string KindName = "azure-openai";

    private static readonly string[] Names = ["api_version", "api_style"];

    /// <inheritdoc />
    public override string Kind => KindName;

    /// <summary>Azure serves OpenAI's models under deployment names; where a deployment keeps the model's name, OpenAI's entries apply.</summary>
    public override string? ModelCatalog => "OpenAI";

    /// <inheritdoc />
    public override IReadOnlyList<string> Settings => Names;

    /// <inheritdoc />
    public override bool RequiresBaseUrl => true;

    /// <summary>
    /// OpenAI's list prices (its <c>prices.openai.json</c>) for every Azure OpenAI provider. Azure's upstream model is
    /// the deployment's name, so a deployment named after its model (<c>gpt-4o</c>) is priced; any other name, or a
    /// regional or data-zone deployment (which Azure prices higher), needs <c>price:</c>.
    /// </summary>
    public static PriceBook Book { get; } = new(
        OpenAI.OpenAICompatibleProvider.Book.Lists.Where(l => l.Provider == "openai").Select(l => l.ForEveryPreset(KindName,
            "Azure OpenAI global deployments at OpenAI's list prices (Providers/OpenAI/prices.openai.json); regional and data-zone deployments cost more.")));

    /// <inheritdoc />
    public override PriceBook Prices => Book;

    /// <inheritdoc />
    public override IProviderAdapter CreateAdapter(ProviderServices services) => new AzureOpenAIAdapter();

    /// <summary>For clients of other formats (Gemini's embedContent); OpenAI clients pass through.</summary>
    public override IEmbeddingsProvider CreateEmbeddings(ProviderServices services) => new OpenAI.OpenAIEmbeddings(new AzureOpenAIAdapter());

    /// <summary>Azure OpenAI hosts OpenAI's image, audio and moderation models (dall-e-3, gpt-image-1, whisper, tts).</summary>
    public override OperationKinds Serves => OperationKinds.ChatDefault | OpenAI.OpenAIMedia.All | OperationKinds.Batches;

    /// <summary>OpenAI's media endpoints at Azure's URLs, with Azure's key header.</summary>
    public override IMediaProvider CreateMedia(ProviderServices services) => new OpenAI.OpenAIMedia(new AzureOpenAIAdapter());
}
