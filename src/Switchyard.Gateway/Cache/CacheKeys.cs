using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Switchyard.Cache;

/// <summary>
/// The exact cache's key: SHA-256 over the tenant scope, the client format, the serving alias and route, the client's
/// namespace and the request body in a canonical serialization (docs/adr/0015-cache.md). The body is normalized so that
/// requests that mean the same hash the same: object members sorted by name (ordinal), numbers in one spelling
/// (<c>1.0</c>, <c>1e0</c> and <c>1</c> are one number), strings re-escaped one way, whitespace gone; the members that
/// do not change the answer are left out (<see cref="Excluded"/>). A body whose answer the canonical events cannot
/// hold (several choices, log probabilities, audio) is not cacheable at all.
/// </summary>
public static class CacheKeys
{
    /// <summary>
    /// Top-level members that never change the answer: the model (the serving alias is keyed instead), the end-user
    /// id, the stream flags (a stored answer replays either way), the client's own fallback list, and metadata
    /// (tags for the client's bookkeeping; Anthropic's holds only <c>user_id</c>).
    /// </summary>
    public static readonly string[] Excluded = ["model", "user", "stream", "stream_options", "models", "metadata"];

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    /// <summary>The key's parts other than the body.</summary>
    /// <param name="Scope">The tenant: <c>key:ID</c> or <c>team:ID</c>.</param>
    /// <param name="Format">The client format (<c>openai.chat</c>, <c>anthropic.messages</c>, <c>gemini</c>).</param>
    /// <param name="Alias">The alias that serves the request.</param>
    /// <param name="Route">The conditional route that applied, or null.</param>
    /// <param name="Namespace">The client's <c>x-switchyard-cache-namespace</c>, or null.</param>
    public readonly record struct Parts(string Scope, string Format, string Alias, string? Route, string? Namespace);

    /// <summary>
    /// Top-level members that hold the conversation (OpenAI's and Anthropic's <c>messages</c>, Gemini's <c>contents</c>,
    /// the system prompt of Anthropic and Gemini): left out of a semantic partition, whose prompt is compared by embedding
    /// (the system prompt goes in as a part of its own: it must match exactly).
    /// </summary>
    public static readonly string[] Conversation = ["messages", "contents", "system", "systemInstruction"];

    /// <summary>The key of <paramref name="body"/> under <paramref name="parts"/>; null when the body cannot be cached.</summary>
    public static byte[]? Build(in Parts parts, ReadOnlyMemory<byte> body) => Build(parts, body, null);

    /// <summary>
    /// The semantic cache's partition: the same parts and body as the exact key, but without the conversation
    /// (<see cref="Conversation"/>) and with <paramref name="semanticExtra"/> (the system prompt) as a part of its own;
    /// null when the body cannot be cached.
    /// </summary>
    public static byte[]? Build(in Parts parts, ReadOnlyMemory<byte> body, string? semanticExtra)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !Cacheable(root))
            {
                return null;
            }

            var buffer = new ArrayBufferWriter<byte>(Math.Max(256, body.Length));
            WriteHeader(buffer, parts);
            if (semanticExtra is not null)
            {
                Part(buffer, "semantic");
                Part(buffer, semanticExtra);
            }

            using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
            {
                WriteObject(writer, root, topLevel: true, semanticExtra is null ? Excluded : [.. Excluded, .. Conversation]);
            }

            return SHA256.HashData(buffer.WrittenSpan);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            return null; // not JSON, or a string that is not valid Unicode (a lone surrogate escape): not cached
        }
    }

    /// <summary>The canonical serialization of <paramref name="body"/> (tests and the ADR's examples): what is hashed after the header.</summary>
    public static string Canonical(ReadOnlyMemory<byte> body)
    {
        using var document = JsonDocument.Parse(body);
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            WriteObject(writer, document.RootElement, topLevel: true, Excluded);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>
    /// False for a request whose answer has more than the canonical events hold: several choices (<c>n</c>, Gemini's
    /// <c>candidateCount</c>), log probabilities, or audio. Serving those from the cache would drop part of the answer.
    /// </summary>
    public static bool Cacheable(JsonElement root)
    {
        if (root.TryGetProperty("n", out var n) && !(n.ValueKind == JsonValueKind.Number && n.TryGetInt32(out var count) && count == 1))
        {
            return false;
        }

        if (Truthy(root, "logprobs") || Present(root, "top_logprobs") || Present(root, "audio"))
        {
            return false;
        }

        return !(root.TryGetProperty("generationConfig", out var gen) && gen.ValueKind == JsonValueKind.Object
                 && ((gen.TryGetProperty("candidateCount", out var c) && !(c.TryGetInt32(out var cc) && cc == 1)) || Truthy(gen, "responseLogprobs")));
    }

    private static bool Truthy(JsonElement obj, string name) => obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.True;

    private static bool Present(JsonElement obj, string name) => obj.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null;

    /// <summary>Each part length-prefixed, so no choice of names can make two different tuples meet.</summary>
    private static void WriteHeader(ArrayBufferWriter<byte> buffer, in Parts parts)
    {
        Part(buffer, "switchyard-cache-v1");
        Part(buffer, parts.Scope);
        Part(buffer, parts.Format);
        Part(buffer, parts.Alias);
        Part(buffer, parts.Route ?? "");
        Part(buffer, parts.Namespace ?? "");
    }

    private static void Part(ArrayBufferWriter<byte> buffer, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var length = buffer.GetSpan(4);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(length, bytes.Length);
        buffer.Advance(4);
        buffer.Write(bytes);
    }

    private static void WriteObject(Utf8JsonWriter writer, JsonElement obj, bool topLevel, string[] excluded)
    {
        var members = new List<JsonProperty>();
        foreach (var member in obj.EnumerateObject())
        {
            if (!topLevel || Array.IndexOf(excluded, member.Name) < 0)
            {
                members.Add(member);
            }
        }

        members.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        writer.WriteStartObject();
        foreach (var member in members)
        {
            writer.WritePropertyName(member.Name);
            WriteValue(writer, member.Value);
        }

        writer.WriteEndObject();
    }

    private static void WriteValue(Utf8JsonWriter writer, JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                WriteObject(writer, value, topLevel: false, Excluded);
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in value.EnumerateArray())
                {
                    WriteValue(writer, item);
                }

                writer.WriteEndArray();
                break;
            case JsonValueKind.String:
                writer.WriteStringValue(value.GetString());
                break;
            case JsonValueKind.Number when value.TryGetInt64(out var whole):
                writer.WriteNumberValue(whole);
                break;
            case JsonValueKind.Number:
                WriteNumber(writer, value);
                break;
            default:
                value.WriteTo(writer); // true, false, null
                break;
        }
    }

    /// <summary>A non-integer spelling: its double, in the shortest form that reads back the same (1.50 and 1.5e0 are 1.5).</summary>
    private static void WriteNumber(Utf8JsonWriter writer, JsonElement value)
    {
        var number = value.GetDouble();
        if (number == Math.Floor(number) && Math.Abs(number) < 9e15)
        {
            writer.WriteNumberValue((long)number); // 1.0 is 1
        }
        else
        {
            writer.WriteNumberValue(number);
        }
    }
}
