using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Switchyard.Canonical;
using Switchyard.Upstream;

namespace Switchyard.Providers.OpenAI;

/// <summary>
/// The OpenAI Chat Completions protocol as an upstream, for the translated path (Anthropic/Gemini/Responses
/// clients routed to the OpenAI family). Also the error classifier for the OpenAI passthrough path.
/// </summary>
public sealed class OpenAIChatAdapter : IProviderAdapter
{
    /// <summary>The protocol name.</summary>
    public const string ProtocolName = "openai";

    /// <inheritdoc />
    public string Protocol => ProtocolName;

    /// <inheritdoc />
    public void PreparePassthrough(HttpRequestMessage message, DeploymentTarget deployment, Operation operation, bool stream)
    {
        message.RequestUri = operation == Operation.Embeddings ? deployment.EmbeddingsUri
            : MediaOperations.OpenAIPath(operation) is { } path ? deployment.MediaUri(path)
            : deployment.ChatCompletionsUri;
        message.Headers.Authorization = deployment.LeaseBearer(message);
        foreach (var (name, value) in deployment.Config.Provider.Headers)
        {
            message.Headers.TryAddWithoutValidation(name, value);
        }
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

        var message = new HttpRequestMessage(HttpMethod.Post, deployment.ChatCompletionsUri)
        {
            Content = new ByteArrayContent(buffer.WrittenSpan.ToArray()),
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrHigher,
        };
        message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        message.Headers.Authorization = deployment.LeaseBearer(message);
        foreach (var (name, value) in deployment.Config.Provider.Headers)
        {
            message.Headers.TryAddWithoutValidation(name, value);
        }

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

    /// <inheritdoc />
    public UpstreamFailure ClassifyError(int status, byte[]? body, HttpResponseHeaders headers, DeploymentTarget deployment) =>
        Classify(status, body, headers, deployment.Name);

    /// <summary>
    /// Status first; then OpenAI's error codes refine it: <c>context_length_exceeded</c> is a context-window
    /// failure (a larger model may serve it), <c>content_filter</c>/<c>content_policy_violation</c> a policy one.
    /// </summary>
    public static UpstreamFailure Classify(int status, byte[]? body, HttpResponseHeaders headers, string deployment)
    {
        var kind = FailureClassifier.FromStatus(status);
        if (body is { Length: > 0 } && status is 400 or 403 or 413 or 422)
        {
            var code = ErrorCode(body);
            if (code is "context_length_exceeded" or "string_above_max_length" || (code is null && status == 413))
            {
                kind = FailureKind.ContextWindow;
            }
            else if (code is "content_filter" or "content_policy_violation" or "invalid_prompt")
            {
                kind = FailureKind.ContentPolicy;
            }
        }

        return new UpstreamFailure(kind, $"deployment '{deployment}' returned HTTP {status}", status,
            RetryAfter.Parse(headers, DateTimeOffset.UtcNow), body);
    }

    private static string? ErrorCode(byte[] body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            return doc.RootElement.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.Object
                ? OpenAIChatRequestReader.Str(e, "code") ?? OpenAIChatRequestReader.Str(e, "type")
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
