using System.Buffers;
using System.Net.Http.Headers;
using System.Text.Json;
using Switchyard.Canonical;

namespace Switchyard.Providers.Rerank;

/// <summary>
/// <c>/v1/rerank</c> in the Cohere/Jina shape (<c>model</c>, <c>query</c>, <c>documents</c> as strings or
/// <c>{"text"}</c> objects, <c>top_n</c>, <c>return_documents</c>) to a Cohere, Jina or Voyage upstream, and each answer
/// back in one shape that both clients read: <c>results</c> of <c>{index, relevance_score, document?}</c>, with
/// Cohere's <c>meta.billed_units</c> and Jina's <c>usage</c> when the upstream reported them. Voyage calls
/// <c>top_n</c> <c>top_k</c> and its results <c>data</c>; Cohere's v2 API returns no documents, so they are added back
/// from the request. A field the upstream has no equivalent for is refused by name.
/// </summary>
public sealed class RerankMedia(RerankDialect dialect) : IMediaProvider
{
    private readonly RerankAdapter auth = new(dialect.ToString().ToLowerInvariant());

    /// <inheritdoc />
    public OperationKinds Serves => OperationKinds.Rerank;

    /// <inheritdoc />
    public HttpRequestMessage Build(MediaCall call, DeploymentTarget deployment)
    {
        using var doc = JsonDocument.Parse(call.Body);
        var buffer = new ArrayBufferWriter<byte>(call.Body.Length + 64);
        using (var w = new Utf8JsonWriter(buffer))
        {
            Write(w, doc.RootElement, deployment.Config.UpstreamModel, dialect);
        }

        var message = new HttpRequestMessage(HttpMethod.Post, (Uri?)null) { Content = new ByteArrayContent(buffer.WrittenSpan.ToArray()) };
        message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        auth.PreparePassthrough(message, deployment, Operation.Rerank, stream: false);
        return message;
    }

    /// <summary>The upstream body in <paramref name="dialect"/>; throws <see cref="UnsupportedFeatureException"/> for what it cannot take.</summary>
    internal static void Write(Utf8JsonWriter w, JsonElement request, string model, RerankDialect dialect)
    {
        w.WriteStartObject();
        w.WriteString("model", model);
        foreach (var field in request.EnumerateObject())
        {
            switch (field.Name)
            {
                case "model":
                    break;
                case "query":
                    w.WriteString("query", field.Value.GetString());
                    break;
                case "documents":
                    WriteDocuments(w, field.Value);
                    break;
                case "top_n":
                    w.WriteNumber(dialect == RerankDialect.Voyage ? "top_k" : "top_n", field.Value.GetInt32());
                    break;
                case "return_documents" when dialect != RerankDialect.Cohere:
                    w.WriteBoolean("return_documents", field.Value.GetBoolean());
                    break;
                case "return_documents":
                    break; // Cohere v2 returns none: the documents are added back from the request (Read)
                case "max_tokens_per_doc" when dialect == RerankDialect.Cohere:
                    w.WriteNumber("max_tokens_per_doc", field.Value.GetInt32());
                    break;
                case "truncation" when dialect == RerankDialect.Voyage:
                    w.WriteBoolean("truncation", field.Value.GetBoolean());
                    break;
                default:
                    throw new UnsupportedFeatureException(field.Name, $"the {dialect} rerank API has no such field");
            }
        }

        w.WriteEndObject();
    }

    /// <summary>Documents as plain strings (what all three take); a <c>{"text"}</c> object gives its text.</summary>
    private static void WriteDocuments(Utf8JsonWriter w, JsonElement documents)
    {
        w.WriteStartArray("documents");
        foreach (var document in documents.EnumerateArray())
        {
            w.WriteStringValue(Text(document));
        }

        w.WriteEndArray();
    }

    private static string Text(JsonElement document) => document.ValueKind switch
    {
        JsonValueKind.String => document.GetString()!,
        JsonValueKind.Object when document.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String => text.GetString()!,
        _ => throw new UnsupportedFeatureException("documents", "each document must be a string or an object with 'text'"),
    };

    /// <inheritdoc />
    public MediaAnswer Read(ReadOnlySpan<byte> body, string? contentType, MediaCall call, DeploymentTarget deployment)
    {
        var reader = new Utf8JsonReader(body);
        using var answer = JsonDocument.ParseValue(ref reader);
        using var request = JsonDocument.Parse(call.Body);
        var root = answer.RootElement;
        var withDocuments = request.RootElement.TryGetProperty("return_documents", out var rd) && rd.ValueKind == JsonValueKind.True;
        var documents = request.RootElement.GetProperty("documents");
        var tokens = root.TryGetProperty("usage", out var u) && u.TryGetProperty("total_tokens", out var t) ? t.GetInt64() : 0;
        var units = root.TryGetProperty("meta", out var meta) && meta.TryGetProperty("billed_units", out var billed)
            && billed.TryGetProperty("search_units", out var su) ? su.GetInt64() : 0;

        var buffer = new ArrayBufferWriter<byte>(body.Length + 128);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("id", call.RequestId);
            w.WriteString("model", deployment.Config.UpstreamModel);
            w.WriteStartArray("results");
            foreach (var result in root.GetProperty(dialect == RerankDialect.Voyage ? "data" : "results").EnumerateArray())
            {
                var index = result.GetProperty("index").GetInt32();
                w.WriteStartObject();
                w.WriteNumber("index", index);
                w.WriteNumber("relevance_score", result.GetProperty("relevance_score").GetDouble());
                if (withDocuments)
                {
                    w.WriteStartObject("document");
                    w.WriteString("text", Text(documents[index]));
                    w.WriteEndObject();
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
            WriteUsage(w, tokens, units);
            w.WriteEndObject();
        }

        return new MediaAnswer(buffer.WrittenMemory, "application/json", new MediaUsage { SearchUnits = units },
            new TokenUsage { InputTokens = tokens });
    }

    /// <summary>What the upstream billed, in the words of each client: Cohere's <c>meta.billed_units</c>, Jina's <c>usage</c>.</summary>
    private static void WriteUsage(Utf8JsonWriter w, long tokens, long units)
    {
        if (tokens > 0)
        {
            w.WriteStartObject("usage");
            w.WriteNumber("total_tokens", tokens);
            w.WriteEndObject();
        }

        if (units > 0)
        {
            w.WriteStartObject("meta");
            w.WriteStartObject("billed_units");
            w.WriteNumber("search_units", units);
            w.WriteEndObject();
            w.WriteEndObject();
        }
    }
}
