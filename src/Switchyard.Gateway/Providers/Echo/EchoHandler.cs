using System.Buffers;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Switchyard.Providers.Echo;

/// <summary>
/// The built-in offline model <c>switchyard/echo</c>: an in-process <see cref="HttpMessageHandler"/> that
/// speaks the OpenAI wire format, so it travels the exact path a real provider does (passthrough, SSE
/// relay, usage metering) with no network and no key. It answers with the text of the last user message,
/// deterministically; tokens are counted as ceil(chars / 4), OpenAI's rule of thumb for English.
/// </summary>
public sealed class EchoHandler(TimeProvider time) : HttpMessageHandler
{
    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
        try
        {
            return Answer(request, body);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // What a real provider does with a body it cannot read (an unpaired surrogate escape, broken JSON):
            // a 400 in its error shape, never an exception out of the "network".
            var error = Encoding.UTF8.GetBytes(
                "{\"error\":{\"message\":\"We could not parse the JSON body of your request.\",\"type\":\"invalid_request_error\",\"param\":null,\"code\":null}}");
            var refused = new HttpResponseMessage(HttpStatusCode.BadRequest) { RequestMessage = request, Content = new ByteArrayContent(error) };
            refused.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            return refused;
        }
    }

    private HttpResponseMessage Answer(HttpRequestMessage request, byte[] body)
    {
        using var doc = JsonDocument.Parse(body);
        var root = doc.RootElement;
        var model = root.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : "echo";
        var path = request.RequestUri!.AbsolutePath;
        var created = time.GetUtcNow().ToUnixTimeSeconds();
        byte[] payload;
        string mediaType;
        if (path.EndsWith("/embeddings", StringComparison.Ordinal))
        {
            payload = EchoWriter.Embeddings(root, model);
            mediaType = "application/json";
        }
        else
        {
            var (prompt, reply) = EchoWriter.Conversation(root);
            var stream = root.TryGetProperty("stream", out var s) && s.ValueKind == JsonValueKind.True;
            var includeUsage = root.TryGetProperty("stream_options", out var so) && so.ValueKind == JsonValueKind.Object
                && so.TryGetProperty("include_usage", out var iu) && iu.ValueKind == JsonValueKind.True;
            var id = "chatcmpl-echo" + Convert.ToHexStringLower(BitConverter.GetBytes(Hash(reply)));
            payload = stream
                ? EchoWriter.Stream(id, created, model, prompt, reply, includeUsage)
                : EchoWriter.Completion(id, created, model, prompt, reply);
            mediaType = stream ? "text/event-stream" : "application/json";
        }

        var response = new HttpResponseMessage(HttpStatusCode.OK) { RequestMessage = request, Content = new ByteArrayContent(payload) };
        response.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(mediaType);
        return response;
    }

    /// <summary>A stable (process-independent) FNV-1a hash, so ids and vectors are deterministic.</summary>
    internal static ulong Hash(string text)
    {
        var h = 14695981039346656037UL;
        foreach (var c in text)
        {
            h = (h ^ c) * 1099511628211UL;
        }

        return h;
    }
}

/// <summary>Renders the echo model's OpenAI-format responses.</summary>
internal static class EchoWriter
{
    public static long Tokens(string text) => (text.Length + 3) / 4;

    /// <summary>All message text (the prompt) and the last user message's text (the reply).</summary>
    public static (string Prompt, string Reply) Conversation(JsonElement root)
    {
        var prompt = new StringBuilder();
        var reply = "";
        if (root.TryGetProperty("messages", out var messages) && messages.ValueKind == JsonValueKind.Array)
        {
            foreach (var message in messages.EnumerateArray())
            {
                var text = message.ValueKind == JsonValueKind.Object && message.TryGetProperty("content", out var c) ? Text(c) : "";
                prompt.Append(text);
                if (message.TryGetProperty("role", out var role) && role.ValueEquals("user"u8))
                {
                    reply = text;
                }
            }
        }

        return (prompt.ToString(), reply);
    }

    private static string Text(JsonElement content) => content.ValueKind switch
    {
        JsonValueKind.String => content.GetString()!,
        JsonValueKind.Array => string.Concat(content.EnumerateArray()
            .Where(p => p.ValueKind == JsonValueKind.Object && p.TryGetProperty("text", out _))
            .Select(p => p.GetProperty("text").GetString())),
        _ => "",
    };

    public static byte[] Completion(string id, long created, string model, string prompt, string reply)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            Header(w, id, "chat.completion", created, model);
            w.WriteStartArray("choices");
            w.WriteStartObject();
            w.WriteNumber("index", 0);
            w.WriteStartObject("message");
            w.WriteString("role", "assistant");
            w.WriteString("content", reply);
            w.WriteNull("refusal");
            w.WriteEndObject();
            w.WriteNull("logprobs");
            w.WriteString("finish_reason", "stop");
            w.WriteEndObject();
            w.WriteEndArray();
            Usage(w, prompt, reply);
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    public static byte[] Stream(string id, long created, string model, string prompt, string reply, bool includeUsage)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        void Chunk(Action<Utf8JsonWriter> choice, bool usage)
        {
            buffer.Write("data: "u8);
            using (var w = new Utf8JsonWriter(buffer))
            {
                w.WriteStartObject();
                Header(w, id, "chat.completion.chunk", created, model);
                w.WriteStartArray("choices");
                choice(w);
                w.WriteEndArray();
                if (usage)
                {
                    Usage(w, prompt, reply);
                }
                else if (includeUsage)
                {
                    w.WriteNull("usage");
                }

                w.WriteEndObject();
            }

            buffer.Write("\n\n"u8);
        }

        Chunk(w => ChunkChoice(w, "assistant", "", null), false);
        foreach (var piece in Pieces(reply))
        {
            Chunk(w => ChunkChoice(w, null, piece, null), false);
        }

        Chunk(w => ChunkChoice(w, null, null, "stop"), false);
        if (includeUsage)
        {
            Chunk(_ => { }, true);
        }

        buffer.Write("data: [DONE]\n\n"u8);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>One <c>choices</c> entry of a chunk: a delta with what is set, and the finish reason or null.</summary>
    private static void ChunkChoice(Utf8JsonWriter w, string? role, string? content, string? finish)
    {
        w.WriteStartObject();
        w.WriteNumber("index", 0);
        w.WriteStartObject("delta");
        if (role is not null)
        {
            w.WriteString("role", role);
        }

        if (content is not null)
        {
            w.WriteString("content", content);
        }

        w.WriteEndObject();
        w.WriteNull("logprobs");
        if (finish is null)
        {
            w.WriteNull("finish_reason");
        }
        else
        {
            w.WriteString("finish_reason", finish);
        }

        w.WriteEndObject();
    }

    /// <summary>Splits after each space, so the pieces concatenate back to the text exactly.</summary>
    private static IEnumerable<string> Pieces(string text)
    {
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == ' ')
            {
                yield return text[start..(i + 1)];
                start = i + 1;
            }
        }

        if (start < text.Length)
        {
            yield return text[start..];
        }
    }

    public static byte[] Embeddings(JsonElement root, string model)
    {
        var inputs = new List<string>();
        if (root.TryGetProperty("input", out var input))
        {
            if (input.ValueKind == JsonValueKind.String)
            {
                inputs.Add(input.GetString()!);
            }
            else if (input.ValueKind == JsonValueKind.Array)
            {
                inputs.AddRange(input.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString()! : e.GetRawText()));
            }
        }

        var buffer = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("object", "list");
            w.WriteStartArray("data");
            for (var i = 0; i < inputs.Count; i++)
            {
                w.WriteStartObject();
                w.WriteString("object", "embedding");
                w.WriteNumber("index", i);
                w.WriteStartArray("embedding");
                var h = EchoHandler.Hash(inputs[i]);
                for (var d = 0; d < 8; d++)
                {
                    // 8 deterministic components in [-1, 1) from the hash's bytes.
                    w.WriteNumberValue(((byte)(h >> (d * 8)) - 128) / 128.0);
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteString("model", model);
            var tokens = inputs.Sum(Tokens);
            w.WriteStartObject("usage");
            w.WriteNumber("prompt_tokens", tokens);
            w.WriteNumber("total_tokens", tokens);
            w.WriteEndObject();
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void Header(Utf8JsonWriter w, string id, string type, long created, string model)
    {
        w.WriteString("id", id);
        w.WriteString("object", type);
        w.WriteNumber("created", created);
        w.WriteString("model", model);
    }

    private static void Usage(Utf8JsonWriter w, string prompt, string reply)
    {
        var p = Tokens(prompt);
        var c = Tokens(reply);
        w.WriteStartObject("usage");
        w.WriteNumber("prompt_tokens", p);
        w.WriteNumber("completion_tokens", c);
        w.WriteNumber("total_tokens", p + c);
        w.WriteStartObject("prompt_tokens_details");
        w.WriteNumber("cached_tokens", 0);
        w.WriteEndObject();
        w.WriteEndObject();
    }
}
