using System.Net.Http.Headers;
using System.Text.Json;
using Switchyard.Canonical;

namespace Switchyard.Providers.OpenAI;

/// <summary>
/// Embeddings from an OpenAI-protocol deployment (the OpenAI family, Azure OpenAI) for a client of another
/// format (Gemini's <c>:embedContent</c>): the canonical request becomes an OpenAI embeddings body, and the
/// deployment's own adapter points it at its URL with its authentication (as for passthrough). OpenAI has no
/// task types, so a request that names one is refused, never answered with vectors made for another purpose.
/// </summary>
public sealed class OpenAIEmbeddings(IProviderAdapter adapter) : IEmbeddingsProvider
{
    /// <inheritdoc />
    public HttpRequestMessage BuildEmbeddings(EmbeddingsRequest request, DeploymentTarget deployment)
    {
        if (request.TaskType is { } task)
        {
            throw new UnsupportedFeatureException("taskType", $"OpenAI-protocol embeddings take no task type ('{task}')");
        }

        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("model", deployment.Config.UpstreamModel);
            w.WriteStartArray("input");
            foreach (var input in request.Inputs)
            {
                w.WriteStringValue(input);
            }

            w.WriteEndArray();
            if (request.Dimensions is { } d)
            {
                w.WriteNumber("dimensions", d);
            }

            w.WriteString("encoding_format", "float");
            w.WriteEndObject();
        }

        var message = new HttpRequestMessage(HttpMethod.Post, (Uri?)null) { Content = new ByteArrayContent(buffer.WrittenSpan.ToArray()) };
        message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        adapter.PreparePassthrough(message, deployment, Operation.Embeddings, stream: false);
        return message;
    }

    /// <inheritdoc />
    public EmbeddingsResult ParseEmbeddings(ReadOnlySpan<byte> body, EmbeddingsRequest request)
    {
        using var doc = JsonDocument.Parse(body.ToArray());
        var root = doc.RootElement;
        var vectors = root.GetProperty("data").EnumerateArray()
            .OrderBy(e => e.TryGetProperty("index", out var i) ? i.GetInt32() : 0)
            .Select(e => e.GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()).ToArray())
            .ToList();
        long? tokens = root.TryGetProperty("usage", out var usage) && usage.TryGetProperty("prompt_tokens", out var p) && p.TryGetInt64(out var n) ? n : null;
        return new EmbeddingsResult(vectors, tokens);
    }
}
