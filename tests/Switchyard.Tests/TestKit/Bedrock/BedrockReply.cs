using System.Text.Json;
using System.Text.Json.Nodes;

namespace Switchyard.Tests.TestKit.Bedrock;

/// <summary>One scripted answer of <see cref="FakeBedrockUpstream"/>: given whether the request was a stream, what to send.</summary>
public sealed class BedrockReply
{
    private readonly Func<bool, (int Status, string ContentType, string? ErrorType, IReadOnlyList<byte[]> Chunks)> render;

    private BedrockReply(Func<bool, (int, string, string?, IReadOnlyList<byte[]>)> render) => this.render = render;

    /// <summary>Pause between two chunks, so that frames reach the gateway in separate reads.</summary>
    public TimeSpan ChunkDelay { get; private init; }

    /// <summary>Renders the reply for a <c>converse</c> (false) or <c>converse-stream</c> (true) request.</summary>
    public (int Status, string ContentType, string? ErrorType, IReadOnlyList<byte[]> Chunks) Render(bool stream) => render(stream);

    /// <summary>A Converse JSON body with status 200, whatever was asked.</summary>
    public static BedrockReply Json(string body) => new(_ => (200, "application/json", null, [System.Text.Encoding.UTF8.GetBytes(body)]));

    /// <summary>An event-stream body (each frame flushed on its own, <paramref name="chunkDelay"/> apart), whatever was asked.</summary>
    public static BedrockReply Stream(BedrockStreamScript script, TimeSpan chunkDelay = default) =>
        new(_ => (200, "application/vnd.amazon.eventstream", null, script.Frames)) { ChunkDelay = chunkDelay };

    /// <summary>A Bedrock error: status, <c>x-amzn-ErrorType</c>, and <c>{"message": …}</c>.</summary>
    public static BedrockReply Error(int status, string errorType, string message) =>
        new(_ => (status, "application/json", errorType, [JsonSerializerBytes(new JsonObject { ["message"] = message })]));

    /// <summary>A text answer in whichever form was asked (the stream splits the text into <paramref name="chunks"/> deltas).</summary>
    public static BedrockReply Text(string text, int inputTokens = 12, int outputTokens = 7, int chunks = 3) => new(stream =>
    {
        if (!stream)
        {
            var body = new JsonObject
            {
                ["output"] = new JsonObject { ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = new JsonArray(new JsonObject { ["text"] = text }) } },
                ["stopReason"] = "end_turn",
                ["usage"] = Usage(inputTokens, outputTokens),
                ["metrics"] = new JsonObject { ["latencyMs"] = 42 },
            };
            return (200, "application/json", null, [JsonSerializerBytes(body)]);
        }

        var frames = new List<byte[]> { Event("messageStart", new JsonObject { ["role"] = "assistant" }) };
        var size = Math.Max(1, (int)Math.Ceiling(text.Length / (double)chunks));
        for (var at = 0; at < text.Length; at += size)
        {
            frames.Add(Event("contentBlockDelta", new JsonObject
            {
                ["contentBlockIndex"] = 0,
                ["delta"] = new JsonObject { ["text"] = text.Substring(at, Math.Min(size, text.Length - at)) },
            }));
        }

        frames.Add(Event("contentBlockStop", new JsonObject { ["contentBlockIndex"] = 0 }));
        frames.Add(Event("messageStop", new JsonObject { ["stopReason"] = "end_turn" }));
        frames.Add(Event("metadata", new JsonObject { ["usage"] = Usage(inputTokens, outputTokens), ["metrics"] = new JsonObject { ["latencyMs"] = 42 } }));
        return (200, "application/vnd.amazon.eventstream", null, frames);
    });

    /// <summary>Tool calls (id, name, arguments JSON) in whichever form was asked; streamed arguments arrive in two fragments.</summary>
    public static BedrockReply ToolUse(params (string Id, string Name, string Arguments)[] calls) => new(stream =>
    {
        if (!stream)
        {
            var content = new JsonArray();
            foreach (var (id, name, arguments) in calls)
            {
                content.Add(new JsonObject { ["toolUse"] = new JsonObject { ["toolUseId"] = id, ["name"] = name, ["input"] = JsonNode.Parse(arguments) } });
            }

            var body = new JsonObject
            {
                ["output"] = new JsonObject { ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = content } },
                ["stopReason"] = "tool_use",
                ["usage"] = Usage(30, 20),
            };
            return (200, "application/json", null, [JsonSerializerBytes(body)]);
        }

        var frames = new List<byte[]> { Event("messageStart", new JsonObject { ["role"] = "assistant" }) };
        for (var i = 0; i < calls.Length; i++)
        {
            var (id, name, arguments) = calls[i];
            frames.Add(Event("contentBlockStart", new JsonObject
            {
                ["contentBlockIndex"] = i,
                ["start"] = new JsonObject { ["toolUse"] = new JsonObject { ["toolUseId"] = id, ["name"] = name } },
            }));
            var half = arguments.Length / 2;
            foreach (var fragment in new[] { arguments[..half], arguments[half..] })
            {
                frames.Add(Event("contentBlockDelta", new JsonObject
                {
                    ["contentBlockIndex"] = i,
                    ["delta"] = new JsonObject { ["toolUse"] = new JsonObject { ["input"] = fragment } },
                }));
            }

            frames.Add(Event("contentBlockStop", new JsonObject { ["contentBlockIndex"] = i }));
        }

        frames.Add(Event("messageStop", new JsonObject { ["stopReason"] = "tool_use" }));
        frames.Add(Event("metadata", new JsonObject { ["usage"] = Usage(30, 20), ["metrics"] = new JsonObject { ["latencyMs"] = 42 } }));
        return (200, "application/vnd.amazon.eventstream", null, frames);
    });

    private static JsonObject Usage(int input, int output) =>
        new() { ["inputTokens"] = input, ["outputTokens"] = output, ["totalTokens"] = input + output };

    private static byte[] Event(string type, JsonObject data) => EventStreamWriter.Event(type, data.ToJsonString());

    private static byte[] JsonSerializerBytes(JsonNode node)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            node.WriteTo(writer);
        }

        return buffer.ToArray();
    }
}
