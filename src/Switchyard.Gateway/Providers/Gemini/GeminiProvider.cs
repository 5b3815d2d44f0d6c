namespace Switchyard.Providers.Gemini;

/// <summary>
/// <c>kind: gemini</c> (and <c>preset: gemini</c>): the Gemini API with an AI Studio key (<c>generateContent</c>),
/// plus its native embeddings endpoint for OpenAI embeddings requests routed here.
/// </summary>
public sealed class GeminiProvider : ProviderDescriptor
{
    /// <summary>The kind name.</summary>
    public const string KindName = "gemini";

    private static readonly ProviderPreset[] Known =
    [
        ProviderPreset.Hosted("gemini", "https://generativelanguage.googleapis.com/v1beta", "GEMINI_API_KEY",
            "gemini-2.5-flash", "gemini-2.5-pro", "gemini-2.5-flash-lite"),
    ];

    /// <inheritdoc />
    public override string Kind => KindName;

    /// <inheritdoc />
    public override string? ModelCatalog => "Gemini";

    /// <inheritdoc />
    public override IReadOnlyList<ProviderPreset> Presets => Known;

    /// <summary>The Gemini API's paid-tier prices (<c>prices.json</c> beside this file).</summary>
    public static PriceBook Book { get; } = PriceBook.FromResources(typeof(GeminiProvider).Assembly, typeof(GeminiProvider).Namespace + ".prices.json");

    /// <inheritdoc />
    public override PriceBook Prices => Book;

    /// <inheritdoc />
    public override IProviderAdapter CreateAdapter(ProviderServices services) => new GeminiAdapter();

    /// <inheritdoc />
    public override IEmbeddingsProvider CreateEmbeddings(ProviderServices services) => new GeminiEmbeddings();

    /// <summary>Imagen image generation (<c>:predict</c>) and Veo videos (<c>:predictLongRunning</c>) besides chat and embeddings.</summary>
    public override OperationKinds Serves => OperationKinds.ChatDefault | OperationKinds.Images | OperationKinds.Videos;

    /// <inheritdoc />
    public override IMediaProvider CreateMedia(ProviderServices services) => new GeminiMedia(new GeminiImagen(), new GeminiVeo());

    /// <inheritdoc />
    public override IVideoProvider CreateVideos(ProviderServices services) => new GeminiVeo();
}
