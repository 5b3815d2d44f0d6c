using System.Net.Http.Headers;
using System.Text.Json;
using Switchyard.Canonical;

namespace Switchyard.Providers.Gemini;

/// <summary>
/// OpenAI embeddings served by Gemini's <c>models/{model}:batchEmbedContents</c> (one request for every input;
/// <c>dimensions</c> becomes <c>outputDimensionality</c>). Gemini reports no token count for embeddings.
/// </summary>
public sealed class GeminiEmbeddings : IEmbeddingsProvider
{
    /// <inheritdoc />
    public HttpRequestMessage BuildEmbeddings(EmbeddingsRequest request, DeploymentTarget deployment)
    {
        var model = deployment.Config.UpstreamModel;
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteStartArray("requests");
            foreach (var input in request.Inputs)
            {
                w.WriteStartObject();
                w.WriteString("model", "models/" + model);
                w.WriteStartObject("content");
                w.WriteStartArray("parts");
                w.WriteStartObject();
                w.WriteString("text", input);
                w.WriteEndObject();
                w.WriteEndArray();
                w.WriteEndObject();
                if (request.Dimensions is { } d)
                {
                    w.WriteNumber("outputDimensionality", d);
                }

                if (request.TaskType is { } task)
                {
                    w.WriteString("taskType", task);
                }

                if (request.Title is { } title)
                {
                    w.WriteString("title", title);
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        var baseUrl = deployment.Config.Provider.BaseUrl.ToString().TrimEnd('/');
        var message = new HttpRequestMessage(HttpMethod.Post, $"{baseUrl}/models/{Uri.EscapeDataString(model)}:batchEmbedContents")
        {
            Content = new ByteArrayContent(buffer.WrittenSpan.ToArray()),
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

        return message;
    }

    /// <inheritdoc />
    public EmbeddingsResult ParseEmbeddings(ReadOnlySpan<byte> body, EmbeddingsRequest request)
    {
        using var doc = JsonDocument.Parse(body.ToArray());
        var vectors = doc.RootElement.GetProperty("embeddings").EnumerateArray()
            .Select(e => e.GetProperty("values").EnumerateArray().Select(v => v.GetSingle()).ToArray())
            .ToList();
        return new EmbeddingsResult(vectors, null);
    }
}
