using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;
using Switchyard.Canonical;

namespace Switchyard.Providers.OpenAI;

/// <summary>OpenAI's embeddings request and answer (<c>/v1/embeddings</c>) ⇄ the canonical embeddings types.</summary>
public static class OpenAIEmbeddingsWire
{
    /// <summary>The request; an error when its input is not text (token arrays cannot be translated).</summary>
    public static ClientError? Read(ReadOnlySpan<byte> body, out EmbeddingsRequest request)
    {
        using var doc = JsonDocument.Parse(body.ToArray());
        var root = doc.RootElement;
        var input = root.GetProperty("input");
        List<string> inputs;
        if (input.ValueKind == JsonValueKind.String)
        {
            inputs = [input.GetString()!];
        }
        else if (input.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String))
        {
            inputs = input.EnumerateArray().Select(e => e.GetString()!).ToList();
        }
        else
        {
            request = new EmbeddingsRequest([], null, false);
            return new ClientError(400, ErrorCategory.InvalidRequest, "this deployment takes text inputs only (token-array inputs cannot be translated)", "input", "unsupported_parameter");
        }

        int? dimensions = root.TryGetProperty("dimensions", out var d) && d.TryGetInt32(out var n) ? n : null;
        var base64 = root.TryGetProperty("encoding_format", out var f) && f.ValueKind == JsonValueKind.String && f.GetString() == "base64";
        request = new EmbeddingsRequest(inputs, dimensions, base64);
        return null;
    }

    /// <summary>Writes the OpenAI embeddings list: float arrays, or base64 of the little-endian float32 values when asked.</summary>
    public static void Write(IBufferWriter<byte> output, EmbeddingsResult result, EmbeddingsRequest request, string model, long tokens)
    {
        using var w = new Utf8JsonWriter(output);
        w.WriteStartObject();
        w.WriteString("object", "list");
        w.WriteStartArray("data");
        for (var i = 0; i < result.Vectors.Count; i++)
        {
            w.WriteStartObject();
            w.WriteString("object", "embedding");
            w.WriteNumber("index", i);
            if (request.Base64)
            {
                // OpenAI's base64 format: the float32 values, little-endian, back to back.
                w.WriteBase64String("embedding", MemoryMarshal.AsBytes(result.Vectors[i].AsSpan()));
            }
            else
            {
                w.WriteStartArray("embedding");
                foreach (var v in result.Vectors[i])
                {
                    w.WriteNumberValue(v);
                }

                w.WriteEndArray();
            }

            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteString("model", model);
        w.WriteStartObject("usage");
        w.WriteNumber("prompt_tokens", tokens);
        w.WriteNumber("total_tokens", tokens);
        w.WriteEndObject();
        w.WriteEndObject();
    }
}
