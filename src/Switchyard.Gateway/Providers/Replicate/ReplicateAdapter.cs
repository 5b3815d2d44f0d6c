using System.Net.Http.Headers;
using System.Text.Json;
using Switchyard.Canonical;

namespace Switchyard.Providers.Replicate;

/// <summary>
/// The replicate kind's authentication (a bearer API token) and error classification. Replicate answers errors as
/// RFC 7807 problem details (<c>{"title","detail","status"}</c>, e.g. 422 "Input validation failed", 401
/// "Unauthenticated", 402 "Insufficient credit", 429 "Request was throttled"): the status gives the failure kind, as for
/// every provider, except 402, which is the gateway's account out of credit (an <see cref="FailureKind.Auth"/>: the
/// client is not at fault, and another deployment may serve). Chat is refused by name: the kind serves images only.
/// </summary>
public sealed class ReplicateAdapter : IProviderAdapter
{
    /// <inheritdoc />
    public string Protocol => "replicate";

    /// <inheritdoc />
    public void PreparePassthrough(HttpRequestMessage message, DeploymentTarget deployment, Operation operation, bool stream)
    {
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

    /// <inheritdoc />
    public UpstreamFailure ClassifyError(int status, byte[]? body, HttpResponseHeaders headers, DeploymentTarget deployment)
    {
        var kind = status == 402 ? FailureKind.Auth : FailureClassifier.FromStatus(status);
        return new UpstreamFailure(kind, $"deployment '{deployment.Name}' returned HTTP {status}{Problem(body)}", status,
            RetryAfter.Parse(headers, DateTimeOffset.UtcNow));
    }

    private static UnsupportedFeatureException ChatRefused() => new("messages", "a 'replicate' deployment serves /v1/images/generations only");

    /// <summary>The problem's <c>title</c> and <c>detail</c> (bounded), for the client's error; empty when the body is none.</summary>
    internal static string Problem(byte[]? body)
    {
        if (body is not { Length: > 0 })
        {
            return "";
        }

        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return "";
            }

            var title = root.TryGetProperty("title", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            var detail = root.TryGetProperty("detail", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
            var text = title is null ? detail : detail is null || detail == title ? title : $"{title}: {detail}";
            return text is null ? "" : ": " + (text.Length > 300 ? text[..300] + "…" : text);
        }
        catch (JsonException)
        {
            return "";
        }
    }
}
