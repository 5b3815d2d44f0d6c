using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Switchyard.Canonical;
using Switchyard.Providers.OpenAI;

namespace Switchyard.Providers.AzureOpenAI;

/// <summary>
/// Azure OpenAI: the OpenAI Chat Completions / Embeddings wire format at Azure's URLs with Azure's key header.
/// Its protocol is <c>openai</c>, so OpenAI clients pass through untranslated; only the URL and authentication
/// differ, and both are set here. Two URL styles (<c>settings.api_style</c>):
/// <list type="bullet">
/// <item><c>deployments</c> (default): <c>{base}/openai/deployments/{deployment}/chat/completions?api-version=…</c>;
/// the deployment's upstream model is the Azure deployment name (the <c>model</c> the passthrough writes into
/// the body is ignored by Azure there).</item>
/// <item><c>v1</c>: <c>{base}/openai/v1/chat/completions</c>, model in the body; <c>api-version</c> only when set.</item>
/// </list>
/// </summary>
public sealed class AzureOpenAIAdapter : IProviderAdapter
{
    /// <summary>The GA data-plane API version used when <c>settings.api_version</c> is not set.</summary>
    public const string DefaultApiVersion = "2024-10-21";

    /// <summary>Azure's key header.</summary>
    public const string KeyHeader = "api-key";

    private static readonly ConditionalWeakTable<DeploymentTarget, AzureUris>.CreateValueCallback Resolve = AzureUris.Create;

    /// <summary>URIs per deployment, built on first use of each configuration snapshot's deployment.</summary>
    private readonly ConditionalWeakTable<DeploymentTarget, AzureUris> uris = new();

    /// <inheritdoc />
    public string Protocol => OpenAIChatAdapter.ProtocolName;

    /// <inheritdoc />
    public void PreparePassthrough(HttpRequestMessage message, DeploymentTarget deployment, Operation operation, bool stream)
    {
        var target = uris.GetValue(deployment, Resolve);
        message.RequestUri = operation == Operation.Embeddings ? target.Embeddings
            : MediaOperations.OpenAIPath(operation) is { } path ? target.Media(path)
            : target.ChatCompletions;
        Authenticate(message, deployment);
    }

    /// <inheritdoc />
    public UpstreamRequest BuildRequest(ChatRequest request, DeploymentTarget deployment, bool allowDrop)
    {
        var dropped = new List<string>();
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(buffer))
        {
            OpenAIChatRequestWriter.Write(w, request, deployment.Config.UpstreamModel, dropped);
        }

        var message = new HttpRequestMessage(HttpMethod.Post, uris.GetValue(deployment, Resolve).ChatCompletions)
        {
            Content = new ByteArrayContent(buffer.WrittenSpan.ToArray()),
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrHigher,
        };
        message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        Authenticate(message, deployment);
        return new UpstreamRequest(message, dropped);
    }

    /// <inheritdoc />
    public ChatResponse ParseResponse(ReadOnlySpan<byte> body, DeploymentTarget deployment)
    {
        using var doc = JsonDocument.Parse(body.ToArray());
        return OpenAIChatResponses.Read(doc.RootElement);
    }

    /// <inheritdoc />
    public IStreamDecoder CreateStreamDecoder(DeploymentTarget deployment) => new OpenAIChunkDecoder();

    /// <summary>
    /// OpenAI's classification applies as is: Azure's content-filter refusal is a 400 with error code
    /// <c>content_filter</c> (a content-policy failure there), its context overflow is
    /// <c>context_length_exceeded</c>, and its 429s carry <c>retry-after-ms</c>, which the retry reader honours.
    /// </summary>
    public UpstreamFailure ClassifyError(int status, byte[]? body, HttpResponseHeaders headers, DeploymentTarget deployment) =>
        OpenAIChatAdapter.Classify(status, body, headers, deployment.Name);

    /// <summary>The key goes in <c>api-key</c>, never as a bearer token; provider headers follow (an Entra ID
    /// <c>Authorization</c> header configured there works for keyless resources).</summary>
    private static void Authenticate(HttpRequestMessage message, DeploymentTarget deployment)
    {
        if (deployment.LeaseKey(message) is { } lease)
        {
            message.Headers.TryAddWithoutValidation(KeyHeader, lease.Key);
        }

        foreach (var (name, value) in deployment.Config.Provider.Headers)
        {
            message.Headers.TryAddWithoutValidation(name, value);
        }
    }
}

/// <summary>A deployment's Azure endpoint URIs.</summary>
internal sealed record AzureUris(Uri ChatCompletions, Uri Embeddings)
{
    private string prefix = "";
    private string query = "";
    private string resource = "";

    /// <summary>
    /// The URI of an endpoint beyond chat (<c>images/generations</c>, <c>audio/transcriptions</c>) in the same style.
    /// Files and batches belong to the resource, not to a deployment: <c>{root}/openai/files?api-version=…</c> in the
    /// deployments style (Azure OpenAI's batch documentation), <c>{root}/openai/v1/files</c> in the v1 style.
    /// </summary>
    public Uri Media(string path) => path is "files" or "batches" ? new($"{resource}/{path}{query}") : new($"{prefix}/{path}{query}");

    /// <summary>Builds the URIs from the provider's base URL and settings.</summary>
    public static AzureUris Create(DeploymentTarget deployment)
    {
        var provider = deployment.Config.Provider;
        var root = Root(provider.BaseUrl);
        var version = provider.Setting("api_version");
        if (string.Equals(provider.Setting("api_style"), "v1", StringComparison.OrdinalIgnoreCase))
        {
            var query = version is null ? "" : "?api-version=" + Uri.EscapeDataString(version);
            return new AzureUris(new Uri($"{root}/openai/v1/chat/completions{query}"), new Uri($"{root}/openai/v1/embeddings{query}"))
            {
                prefix = root + "/openai/v1",
                query = query,
                resource = root + "/openai/v1",
            };
        }

        var prefix = $"{root}/openai/deployments/{Uri.EscapeDataString(deployment.Config.UpstreamModel)}";
        var apiVersion = "?api-version=" + Uri.EscapeDataString(version ?? AzureOpenAIAdapter.DefaultApiVersion);
        return new AzureUris(new Uri(prefix + "/chat/completions" + apiVersion), new Uri(prefix + "/embeddings" + apiVersion))
        {
            prefix = prefix,
            query = apiVersion,
            resource = root + "/openai",
        };
    }

    /// <summary>The resource root: a base URL given with Azure's <c>/openai</c> or <c>/openai/v1</c> suffix is
    /// accepted too, since portals show endpoints both ways.</summary>
    internal static string Root(Uri baseUrl)
    {
        var root = baseUrl.ToString().TrimEnd('/');
        foreach (var suffix in (string[])["/openai/v1", "/openai"])
        {
            if (root.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                return root[..^suffix.Length];
            }
        }

        return root;
    }
}
