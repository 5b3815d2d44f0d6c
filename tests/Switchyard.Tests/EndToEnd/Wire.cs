using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Switchyard.Tests.TestKit;

namespace Switchyard.Tests.EndToEnd;

/// <summary>Raw-wire helpers for the end-to-end tests: request bodies, OpenAI error checks, SSE reading.</summary>
internal static class Wire
{
    /// <summary>A minimal chat body as compact JSON.</summary>
    public static string ChatJson(string model = "chat", bool stream = false, bool? includeUsage = null, string content = "Say hello")
    {
        var body = new JsonObject
        {
            ["model"] = model,
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = content }),
        };
        if (stream)
        {
            body["stream"] = true;
        }

        if (includeUsage is { } usage)
        {
            body["stream_options"] = new JsonObject { ["include_usage"] = usage };
        }

        return body.ToJsonString();
    }

    /// <summary>A single response header's value, or null.</summary>
    public static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : null;

    /// <summary>
    /// Asserts an OpenAI error response: the status, a JSON body that is exactly
    /// <c>{"error":{"message","type","param","code"}}</c> (message non-empty), and the given code/param/type when set.
    /// Returns the <c>error</c> object.
    /// </summary>
    public static async Task<JsonObject> AssertOpenAIErrorAsync(
        HttpResponseMessage response, int status, string? code = null, string? param = null, string? type = null)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == (int)response.StatusCode, $"expected HTTP {status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return AssertErrorEnvelope(text, code, param, type);
    }

    /// <summary>Checks an OpenAI error envelope given as JSON text (an HTTP body or an SSE data payload).</summary>
    public static JsonObject AssertErrorEnvelope(string json, string? code = null, string? param = null, string? type = null)
    {
        var root = Assert.IsType<JsonObject>(JsonNode.Parse(json));
        var error = Assert.IsType<JsonObject>(Assert.Single(root, p => p.Key == "error").Value);
        Assert.Equal(["code", "message", "param", "type"], error.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.False(string.IsNullOrWhiteSpace(StringOf(error["message"])), "error.message must be a non-empty string: " + json);
        Assert.Equal(JsonValueKind.String, error["type"]?.GetValueKind());
        if (code is not null)
        {
            Assert.Equal(code, StringOf(error["code"]));
        }

        if (param is not null)
        {
            Assert.Equal(param, StringOf(error["param"]));
        }

        if (type is not null)
        {
            Assert.Equal(type, StringOf(error["type"]));
        }

        return error;
    }

    public static string? StringOf(JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;

    /// <summary>Reads a whole SSE response (asserting it is one) and returns its events.</summary>
    public static async Task<IReadOnlyList<SseEvent>> ReadSseAsync(HttpResponseMessage response)
    {
        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var timeout = new CancellationTokenSource(GatewayHarness.Bound);
        await using var stream = await response.Content.ReadAsStreamAsync(timeout.Token);
        return await SseReader.ReadAllAsync(stream, timeout.Token);
    }

    /// <summary>The concatenated <c>choices[0].delta.content</c> of chat chunks.</summary>
    public static string Content(IEnumerable<SseEvent> events)
    {
        var text = new StringBuilder();
        foreach (var ev in events.Where(e => !e.IsDone && !e.IsError))
        {
            if (ev.Json?["choices"] is JsonArray { Count: > 0 } choices && StringOf(choices[0]?["delta"]?["content"]) is { } piece)
            {
                text.Append(piece);
            }
        }

        return text.ToString();
    }

    /// <summary>True for a usage-only chunk: <c>choices: []</c> and a non-null <c>usage</c> object.</summary>
    public static bool IsUsageOnlyChunk(SseEvent ev) =>
        !ev.IsDone && !ev.IsError && ev.Json is JsonObject o
        && o["choices"] is JsonArray { Count: 0 } && o["usage"] is JsonObject;

    /// <summary>A body whose length is not announced, so HttpClient sends it chunked.</summary>
    public sealed class ChunkedContent : HttpContent
    {
        private readonly byte[] _bytes;

        public ChunkedContent(byte[] bytes, string mediaType = "application/json")
        {
            _bytes = bytes;
            Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        }

        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            // Several writes, so the body really travels as several chunks.
            for (var at = 0; at < _bytes.Length; at += 256)
            {
                await stream.WriteAsync(_bytes.AsMemory(at, Math.Min(256, _bytes.Length - at)));
                await stream.FlushAsync();
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
