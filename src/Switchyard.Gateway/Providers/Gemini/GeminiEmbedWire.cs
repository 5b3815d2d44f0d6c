using System.Buffers;
using System.Text.Json;
using Switchyard.Canonical;

namespace Switchyard.Providers.Gemini;

/// <summary>
/// Gemini's <c>:embedContent</c> (one content, answered with <c>{"embedding":{"values":[...]}}</c>) and
/// <c>:batchEmbedContents</c> (<c>requests</c>, answered with <c>{"embeddings":[...]}</c>) ⇄ the canonical
/// embeddings types. Text parts only; one task type and one dimensionality per call (the canonical request
/// carries one of each), otherwise a 400 naming the field.
/// </summary>
public static class GeminiEmbedWire
{
    /// <summary>Reads a request for <paramref name="method"/>; a 400 in Google's terms when it cannot be served.</summary>
    public static ClientError? Read(ReadOnlySpan<byte> body, string method, out EmbeddingsRequest request)
    {
        request = new EmbeddingsRequest([], null, false);
        using var doc = JsonDocument.Parse(body.ToArray());
        var root = doc.RootElement;
        var items = method == GeminiRoute.BatchEmbed
            ? root.TryGetProperty("requests", out var requests) && requests.ValueKind == JsonValueKind.Array ? requests.EnumerateArray().ToList() : null
            : [root];
        if (items is null || items.Count == 0)
        {
            return Invalid("requests", "* BatchEmbedContentsRequest.requests: requests is not specified");
        }

        var inputs = new List<string>(items.Count);
        string? task = null, title = null;
        int? dims = null;
        for (var i = 0; i < items.Count; i++)
        {
            if (Item(items[i], i, method, inputs, ref task, ref title, ref dims) is { } error)
            {
                return error;
            }
        }

        request = new EmbeddingsRequest(inputs, dims, false) { TaskType = task, Title = title, Batch = method == GeminiRoute.BatchEmbed };
        return null;
    }

    /// <summary>One content: its text, and the options that must agree across a batch.</summary>
    private static ClientError? Item(JsonElement item, int i, string method, List<string> inputs, ref string? task, ref string? title, ref int? dims)
    {
        var at = method == GeminiRoute.BatchEmbed ? $"requests[{i}]." : "";
        if (!item.TryGetProperty("content", out var content) || !content.TryGetProperty("parts", out var parts) || parts.ValueKind != JsonValueKind.Array)
        {
            return Invalid(at + "content", $"* {at}content: content is not specified");
        }

        var text = string.Concat(parts.EnumerateArray().Select(p => p.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null));
        if (parts.EnumerateArray().Any(p => !p.TryGetProperty("text", out _)))
        {
            return Invalid(at + "content.parts", "only text parts can be embedded through this gateway");
        }

        inputs.Add(text);
        var itemTask = item.TryGetProperty("taskType", out var tt) && tt.ValueKind == JsonValueKind.String ? tt.GetString() : null;
        var itemDims = item.TryGetProperty("outputDimensionality", out var od) && od.TryGetInt32(out var n) ? n : (int?)null;
        if (i > 0 && (itemTask != task || itemDims != dims))
        {
            return Invalid(at + "taskType", "every request of a batch must ask for the same taskType and outputDimensionality");
        }

        (task, dims) = (itemTask, itemDims);
        title ??= item.TryGetProperty("title", out var tl) && tl.ValueKind == JsonValueKind.String ? tl.GetString() : null;
        return null;
    }

    /// <summary>Writes Google's answer: one <c>embedding</c>, or the batch's <c>embeddings</c>.</summary>
    public static void Write(IBufferWriter<byte> output, EmbeddingsResult result, bool batch)
    {
        using var w = new Utf8JsonWriter(output);
        w.WriteStartObject();
        if (batch)
        {
            w.WriteStartArray("embeddings");
            foreach (var vector in result.Vectors)
            {
                WriteValues(w, vector);
            }

            w.WriteEndArray();
        }
        else
        {
            w.WritePropertyName("embedding");
            WriteValues(w, result.Vectors.Count > 0 ? result.Vectors[0] : []);
        }

        w.WriteEndObject();
    }

    private static void WriteValues(Utf8JsonWriter w, float[] vector)
    {
        w.WriteStartObject();
        w.WriteStartArray("values");
        foreach (var v in vector)
        {
            w.WriteNumberValue(v);
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static ClientError Invalid(string param, string message) =>
        new(400, ErrorCategory.InvalidRequest, "Invalid JSON payload received. " + message, param, "invalid_value");
}
