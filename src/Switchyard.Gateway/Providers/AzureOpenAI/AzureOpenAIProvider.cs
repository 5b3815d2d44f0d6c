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

    /// <inheritdoc />
    public override IProviderAdapter CreateAdapter(ProviderServices services) => new AzureOpenAIAdapter();

    /// <summary>For clients of other formats (Gemini's embedContent); OpenAI clients pass through.</summary>
    public override IEmbeddingsProvider CreateEmbeddings(ProviderServices services) => new OpenAI.OpenAIEmbeddings(new AzureOpenAIAdapter());
}
