using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Switchyard.Providers.Gemini;

/// <summary>
/// Small JSON helpers for the Gemini wire format. Google's JSON is proto3 JSON: every field may be spelled
/// lowerCamelCase (what the SDKs send) or snake_case (what the REST docs' curl examples send), so each
/// lookup names both spellings.
/// </summary>
internal static class GeminiJson
{
    /// <summary>Writer options: non-ASCII text stays raw UTF-8, as Google sends it.</summary>
    public static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The property <paramref name="camel"/> (or its snake_case spelling), when present and not null.</summary>
    public static bool Get(JsonElement e, string camel, string? snake, out JsonElement value)
    {
        if (e.ValueKind == JsonValueKind.Object
            && (e.TryGetProperty(camel, out value) || (snake is not null && e.TryGetProperty(snake, out value)))
            && value.ValueKind != JsonValueKind.Null)
        {
            return true;
        }

        value = default;
        return false;
    }

    public static bool Get(JsonElement e, string name, out JsonElement value) => Get(e, name, null, out value);

    public static string? Str(JsonElement e, string camel, string? snake = null) =>
        Get(e, camel, snake, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public static long Long(JsonElement e, string camel, string? snake = null) =>
        Get(e, camel, snake, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var l) ? l : 0;

    public static bool IsTrue(JsonElement e, string name) => Get(e, name, out var v) && v.ValueKind == JsonValueKind.True;

    /// <summary>
    /// The element as compact JSON text. Arguments and function responses become canonical JSON text; Google
    /// indents its non-streamed bodies, and that layout must not leak into another format's strings.
    /// </summary>
    public static string Compact(JsonElement e)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            e.WriteTo(w);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>
    /// Gemini's <c>parameters</c>/<c>responseSchema</c> use an OpenAPI 3.0 subset whose types are upper case
    /// (<c>"OBJECT"</c>, <c>"STRING"</c>); every other provider wants JSON Schema's lower-case names. This copies
    /// the schema with <c>type</c> values lower-cased, recursively; everything else is kept as is.
    /// </summary>
    public static JsonElement ToJsonSchema(JsonElement schema)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            CopyLowerTypes(schema, w);
        }

        using var doc = JsonDocument.Parse(buffer.WrittenMemory);
        return doc.RootElement.Clone();
    }

    private static void CopyLowerTypes(JsonElement e, Utf8JsonWriter w)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                w.WriteStartObject();
                foreach (var p in e.EnumerateObject())
                {
                    w.WritePropertyName(p.Name);
                    if (p.Name == "type" && p.Value.ValueKind == JsonValueKind.String)
                    {
                        w.WriteStringValue(p.Value.GetString()!.ToLowerInvariant());
                    }
                    else if (p.Name == "type" && p.Value.ValueKind == JsonValueKind.Array)
                    {
                        w.WriteStartArray();
                        foreach (var t in p.Value.EnumerateArray())
                        {
                            if (t.ValueKind == JsonValueKind.String)
                            {
                                w.WriteStringValue(t.GetString()!.ToLowerInvariant());
                            }
                            else
                            {
                                t.WriteTo(w);
                            }
                        }

                        w.WriteEndArray();
                    }
                    else
                    {
                        CopyLowerTypes(p.Value, w);
                    }
                }

                w.WriteEndObject();
                break;
            case JsonValueKind.Array:
                w.WriteStartArray();
                foreach (var item in e.EnumerateArray())
                {
                    CopyLowerTypes(item, w);
                }

                w.WriteEndArray();
                break;
            default:
                e.WriteTo(w);
                break;
        }
    }
}
