namespace Switchyard.Providers.Bedrock;

/// <summary>
/// <c>kind: bedrock</c>: AWS Bedrock Converse / ConverseStream, signed with SigV4 from the AWS keys named in
/// settings (read at request time), plus Bedrock's native embeddings and image models (InvokeModel). The endpoint
/// follows from the region.
/// </summary>
public sealed class BedrockProvider : ProviderDescriptor
{
    /// <summary>The kind name.</summary>
    public const string KindName = "bedrock";

    private static readonly string[] Names = ["region", "access_key_id_env", "secret_access_key_env", "session_token_env"];

    /// <inheritdoc />
    public override string Kind => KindName;

    /// <inheritdoc />
    public override string? ModelCatalog => "Bedrock";

    /// <inheritdoc />
    public override IReadOnlyList<string> Settings => Names;

    /// <summary>
    /// Without a <c>base_url</c>, the endpoint follows from <c>region</c>
    /// (https://docs.aws.amazon.com/general/latest/gr/bedrock.html), which is then required.
    /// </summary>
    public override Uri? CheckSettings(ProviderSettingsContext context)
    {
        if (context.BaseUrl is not null)
        {
            return null;
        }

        if (context.Settings.TryGetValue("region", out var region))
        {
            return new Uri($"https://bedrock-runtime.{region}.amazonaws.com");
        }

        context.Error("bedrock providers need settings.region (or base_url)");
        return null;
    }

    /// <summary>Bedrock's on-demand prices (<c>prices.json</c> beside this file).</summary>
    public static PriceBook Book { get; } = PriceBook.FromResources(typeof(BedrockProvider).Assembly, typeof(BedrockProvider).Namespace + ".prices.json");

    /// <inheritdoc />
    public override PriceBook Prices => Book;

    /// <inheritdoc />
    public override IProviderAdapter CreateAdapter(ProviderServices services) => new BedrockAdapter(services.Time, services.Environment);

    /// <summary>Image generation on Titan Image Generator, Nova Canvas and Stability models (<c>InvokeModel</c>) besides chat and embeddings.</summary>
    public override OperationKinds Serves => OperationKinds.ChatDefault | OperationKinds.Images;

    /// <inheritdoc />
    public override IMediaProvider CreateMedia(ProviderServices services) => new BedrockImages(services.Time, services.Environment);

    /// <inheritdoc />
    public override IEmbeddingsProvider CreateEmbeddings(ProviderServices services) => new BedrockEmbeddings(services.Time, services.Environment);
}
