using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Switchyard.Canonical;

namespace Switchyard.Providers.Bedrock;

/// <summary>
/// OpenAI embeddings served by Bedrock's <c>InvokeModel</c> (<c>POST /model/{id}/invoke</c>), signed like the
/// Converse calls: Amazon Titan text embeddings (<c>{"inputText"}</c> → <c>{"embedding","inputTextTokenCount"}</c>,
/// one input per call, so a batch is refused) and Cohere embed (<c>{"texts","input_type"}</c> → <c>{"embeddings"}</c>).
/// </summary>
public sealed class BedrockEmbeddings(TimeProvider time, Func<string, string?> environment) : IEmbeddingsProvider
{
    private readonly ConditionalWeakTable<DeploymentTarget, BedrockTarget> targets = new();

    /// <summary>Gemini's task types in Cohere's words; a type Cohere has no equivalent for is refused.</summary>
    private static string? CohereInputType(string? taskType) => taskType switch
    {
        null => null,
        "RETRIEVAL_QUERY" or "QUESTION_ANSWERING" or "FACT_VERIFICATION" or "CODE_RETRIEVAL_QUERY" => "search_query",
        "RETRIEVAL_DOCUMENT" => "search_document",
        "CLASSIFICATION" => "classification",
        "CLUSTERING" => "clustering",
        _ => throw new UnsupportedFeatureException("taskType", $"Cohere embeddings have no input type for '{taskType}'"),
    };

    /// <inheritdoc />
    public HttpRequestMessage BuildEmbeddings(EmbeddingsRequest request, DeploymentTarget deployment)
    {
        var model = deployment.Config.UpstreamModel;
        var cohere = model.Contains("cohere.", StringComparison.Ordinal);
        if (!cohere && request.Inputs.Count != 1)
        {
            throw new UnsupportedFeatureException("input", "Titan embeddings take one input per request; send a single string");
        }

        var inputType = cohere ? CohereInputType(request.TaskType) : null;
        if (!cohere && request.TaskType is { } task)
        {
            throw new UnsupportedFeatureException("taskType", $"Titan embeddings take no task type ('{task}')");
        }

        var body = Body(request, cohere, inputType);
        var target = targets.GetValue(deployment, d => BedrockTarget.Create(d, environment));
        return BedrockInvoke.Create(deployment, body, target, time.GetUtcNow());
    }

    /// <summary>Cohere's <c>{"texts","input_type"}</c>, or Titan's <c>{"inputText","dimensions"}</c>.</summary>
    private static byte[] Body(EmbeddingsRequest request, bool cohere, string? inputType)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            if (cohere)
            {
                w.WriteStartArray("texts");
                foreach (var input in request.Inputs)
                {
                    w.WriteStringValue(input);
                }

                w.WriteEndArray();
                w.WriteString("input_type", inputType ?? "search_document");
            }
            else
            {
                w.WriteString("inputText", request.Inputs[0]);
                if (request.Dimensions is { } d)
                {
                    w.WriteNumber("dimensions", d);
                }
            }

            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <inheritdoc />
    public EmbeddingsResult ParseEmbeddings(ReadOnlySpan<byte> body, EmbeddingsRequest request)
    {
        using var doc = JsonDocument.Parse(body.ToArray());
        var root = doc.RootElement;
        if (root.TryGetProperty("embedding", out var single))
        {
            long? tokens = root.TryGetProperty("inputTextTokenCount", out var t) && t.TryGetInt64(out var n) ? n : null;
            return new EmbeddingsResult([single.EnumerateArray().Select(v => v.GetSingle()).ToArray()], tokens);
        }

        var vectors = root.GetProperty("embeddings").EnumerateArray()
            .Select(e => e.EnumerateArray().Select(v => v.GetSingle()).ToArray())
            .ToList();
        return new EmbeddingsResult(vectors, null);
    }
}
