using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Switchyard.Canonical;
using static Switchyard.Providers.Gemini.GeminiJson;

namespace Switchyard.Providers.Gemini;

/// <summary>
/// The Gemini API (AI Studio key) as an upstream: <c>POST {base}/models/{model}:generateContent</c>, or
/// <c>:streamGenerateContent?alt=sse</c> for streams, authenticated with <c>x-goog-api-key</c>. Translation only:
/// there is no passthrough to Gemini.
/// </summary>
public sealed class GeminiAdapter : IProviderAdapter
{
    /// <summary>The protocol name.</summary>
    public const string ProtocolName = "gemini";

    /// <inheritdoc />
    public string Protocol => ProtocolName;

    /// <inheritdoc />
    public void PreparePassthrough(HttpRequestMessage message, DeploymentTarget deployment, Operation operation, bool stream) =>
        throw new NotSupportedException("Gemini has no passthrough path: requests to it are always translated.");

    /// <inheritdoc />
    public UpstreamRequest BuildRequest(ChatRequest request, DeploymentTarget deployment, bool allowDrop)
    {
        var dropped = new List<string>();
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            GeminiRequestWriter.Write(w, request, dropped, allowDrop);
        }

        var message = new HttpRequestMessage(HttpMethod.Post, EndpointFor(deployment, request.Stream))
        {
            Content = new ByteArrayContent(buffer.WrittenSpan.ToArray()),
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrHigher,
        };
        message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (deployment.LeaseKey(message) is { } lease)
        {
            message.Headers.TryAddWithoutValidation("x-goog-api-key", lease.Key);
        }

        foreach (var (name, value) in deployment.Config.Provider.Headers)
        {
            message.Headers.TryAddWithoutValidation(name, value);
        }

        return new UpstreamRequest(message, dropped);
    }

    /// <summary>
    /// <c>{base}/models/{model}:{method}</c>. A model already given as a resource name (<c>models/x</c>,
    /// <c>tunedModels/x</c>) is used as is.
    /// </summary>
    public static Uri EndpointFor(DeploymentTarget deployment, bool stream)
    {
        var model = deployment.Config.UpstreamModel;
        var resource = model.Contains('/', StringComparison.Ordinal) ? model : "models/" + model;
        var method = stream ? ":streamGenerateContent?alt=sse" : ":generateContent";
        return new Uri(deployment.Config.Provider.BaseUrl.ToString().TrimEnd('/') + "/" + resource + method);
    }

    /// <inheritdoc />
    public ChatResponse ParseResponse(ReadOnlySpan<byte> body, DeploymentTarget deployment)
    {
        using var doc = JsonDocument.Parse(body.ToArray());
        return GeminiResponses.Read(doc.RootElement, deployment.Config.UpstreamModel);
    }

    /// <inheritdoc />
    public IStreamDecoder CreateStreamDecoder(DeploymentTarget deployment) => new GeminiStreamDecoder(deployment.Config.UpstreamModel);

    /// <inheritdoc />
    public UpstreamFailure ClassifyError(int status, byte[]? body, HttpResponseHeaders headers, DeploymentTarget deployment) =>
        Classify(status, body, headers, deployment.Name, DateTimeOffset.UtcNow);

    /// <summary>
    /// Status first, then Google's envelope refines it: RESOURCE_EXHAUSTED is a rate limit whose wait is the
    /// <c>google.rpc.RetryInfo.retryDelay</c> detail (else <c>Retry-After</c>); a 400 about the token count is a
    /// context-window failure (a larger model may serve it); one about safety a content-policy failure; and a
    /// 400 <c>API_KEY_INVALID</c> is our credentials, like 401/403.
    /// </summary>
    public static UpstreamFailure Classify(int status, byte[]? body, HttpResponseHeaders headers, string deployment, DateTimeOffset now)
    {
        var kind = FailureClassifier.FromStatus(status);
        var error = ReadError(body);
        if (status == 429 || error.Status == "RESOURCE_EXHAUSTED")
        {
            kind = FailureKind.RateLimited;
        }
        else if (status == 400 && (error.Reason is "API_KEY_INVALID" or "API_KEY_EXPIRED" || Has(error.Message, "API key not valid")))
        {
            kind = FailureKind.Auth;
        }
        else if (status is 400 or 413 && (Has(error.Message, "exceeds the maximum number of tokens") || (Has(error.Message, "token count") && Has(error.Message, "exceed"))))
        {
            kind = FailureKind.ContextWindow;
        }
        else if (status == 400 && (Has(error.Message, "safety") || Has(error.Message, "prohibited")))
        {
            kind = FailureKind.ContentPolicy;
        }

        var wait = kind == FailureKind.RateLimited ? error.RetryDelay ?? RetryAfter.Parse(headers, now) : RetryAfter.Parse(headers, now);
        return new UpstreamFailure(kind, $"deployment '{deployment}' returned HTTP {status}", status, wait, body);
    }

    private static bool Has(string? text, string what) => text?.Contains(what, StringComparison.OrdinalIgnoreCase) == true;

    private readonly record struct GoogleError(string? Status, string? Message, string? Reason, TimeSpan? RetryDelay);

    private static GoogleError ReadError(byte[]? body)
    {
        if (body is not { Length: > 0 })
        {
            return default;
        }

        try
        {
            using var doc = JsonDocument.Parse(body);
            if (!Get(doc.RootElement, "error", out var e) || e.ValueKind != JsonValueKind.Object)
            {
                return default;
            }

            string? reason = null;
            TimeSpan? delay = null;
            if (Get(e, "details", out var details) && details.ValueKind == JsonValueKind.Array)
            {
                foreach (var d in details.EnumerateArray())
                {
                    reason ??= Str(d, "reason");
                    delay ??= Duration(Str(d, "retryDelay", "retry_delay"));
                }
            }

            return new GoogleError(Str(e, "status"), Str(e, "message"), reason, delay);
        }
        catch (JsonException)
        {
            return default;
        }
    }

    /// <summary>A <c>google.protobuf.Duration</c> in JSON: seconds with an <c>s</c> suffix, e.g. <c>"17s"</c>, <c>"1.5s"</c>.</summary>
    internal static TimeSpan? Duration(string? text) =>
        text is { Length: > 1 } && text[^1] == 's'
        && double.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0
            ? TimeSpan.FromSeconds(seconds)
            : null;
}
