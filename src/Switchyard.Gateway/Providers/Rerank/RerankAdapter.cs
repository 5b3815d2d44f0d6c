using System.Net.Http.Headers;
using System.Text.Json;
using Switchyard.Canonical;

namespace Switchyard.Providers.Rerank;

/// <summary>
/// The rerank kinds' authentication (a bearer key, which all three take) and error classification. A rerank
/// deployment serves <see cref="OperationKinds.Rerank"/> only, so the planner never sends it a chat request; the chat
/// members refuse one anyway, by name, should a future path try.
/// </summary>
public sealed class RerankAdapter(string kind) : IProviderAdapter
{
    /// <inheritdoc />
    public string Protocol => "rerank-" + kind;

    /// <inheritdoc />
    public void PreparePassthrough(HttpRequestMessage message, DeploymentTarget deployment, Operation operation, bool stream)
    {
        message.RequestUri = deployment.MediaUri("rerank");
        message.Headers.Authorization = deployment.LeaseBearer(message);
        foreach (var (name, value) in deployment.Config.Provider.Headers)
        {
            message.Headers.TryAddWithoutValidation(name, value);
        }
    }

    /// <inheritdoc />
    public UpstreamRequest BuildRequest(ChatRequest request, DeploymentTarget deployment, bool allowDrop) => throw ChatRefused();

    /// <inheritdoc />
    public ChatResponse ParseResponse(ReadOnlySpan<byte> body, DeploymentTarget deployment) => throw ChatRefused();

    /// <inheritdoc />
    public IStreamDecoder CreateStreamDecoder(DeploymentTarget deployment) => throw ChatRefused();

    /// <summary>By status; a 400/422 is the client's request (bad documents, too many tokens), a 429 or 5xx may fall back.</summary>
    public UpstreamFailure ClassifyError(int status, byte[]? body, HttpResponseHeaders headers, DeploymentTarget deployment) =>
        new(FailureClassifier.FromStatus(status), $"deployment '{deployment.Name}' returned HTTP {status}{Detail(body)}", status,
            RetryAfter.Parse(headers, DateTimeOffset.UtcNow), body);

    private UnsupportedFeatureException ChatRefused() => new("messages", $"a '{kind}' deployment serves /v1/rerank only");

    /// <summary>The upstream's own message (Cohere and Jina: <c>message</c>/<c>detail</c>), bounded, for the client's error.</summary>
    private static string Detail(byte[]? body)
    {
        if (body is not { Length: > 0 })
        {
            return "";
        }

        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            var text = root.ValueKind != JsonValueKind.Object ? null
                : root.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()
                : root.TryGetProperty("detail", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString()
                : null;
            return text is null ? "" : ": " + (text.Length > 300 ? text[..300] + "…" : text);
        }
        catch (JsonException)
        {
            return "";
        }
    }
}
