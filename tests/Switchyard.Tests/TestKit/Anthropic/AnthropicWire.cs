using System.Text;
using System.Text.Json.Nodes;

namespace Switchyard.Tests.TestKit.Anthropic;

/// <summary>
/// Builders for what Anthropic's Messages API puts on the wire: the <c>message</c> object, the named SSE events
/// of a stream, and the error envelope. Field names, nesting and event order follow the public API reference
/// (streaming: message_start, ping, content_block_start / _delta / _stop per block, message_delta, message_stop).
/// </summary>
public static class AnthropicWire
{
    /// <summary>The content type of Anthropic streams.</summary>
    public const string StreamContentType = "text/event-stream; charset=utf-8";

    /// <summary>Serialises like the real API: compact, raw UTF-8.</summary>
    public static string Serialize(JsonNode node) => OpenAIWire.Serialize(node);

    /// <summary><c>{"type":"error","error":{"type":...,"message":...}}</c>.</summary>
    public static JsonObject Error(string type, string message) => new()
    {
        ["type"] = "error",
        ["error"] = new JsonObject { ["type"] = type, ["message"] = message },
        ["request_id"] = "req_" + FakeIds.Alnum(24),
    };

    /// <summary>The usage object of a message (and of <c>message_start</c>).</summary>
    public static JsonObject Usage(AnthropicUsage u, long? outputTokens = null)
    {
        var usage = new JsonObject
        {
            ["input_tokens"] = u.InputTokens,
            ["cache_creation_input_tokens"] = u.CacheCreationInputTokens,
            ["cache_read_input_tokens"] = u.CacheReadInputTokens,
            ["output_tokens"] = outputTokens ?? u.OutputTokens,
            ["service_tier"] = "standard",
        };
        if (u.CacheCreation1hInputTokens > 0)
        {
            // The split of cache_creation_input_tokens by lifetime, as Anthropic reports it.
            usage["cache_creation"] = new JsonObject
            {
                ["ephemeral_5m_input_tokens"] = u.CacheCreationInputTokens - u.CacheCreation1hInputTokens,
                ["ephemeral_1h_input_tokens"] = u.CacheCreation1hInputTokens,
            };
        }

        return usage;
    }

    /// <summary>A whole <c>message</c> object.</summary>
    public static JsonObject Message(string id, string model, IEnumerable<AnthropicBlock> content, string stopReason, string? stopSequence, AnthropicUsage usage) => new()
    {
        ["id"] = id,
        ["type"] = "message",
        ["role"] = "assistant",
        ["model"] = model,
        ["content"] = new JsonArray(content.Select(b => (JsonNode)b.Whole()).ToArray()),
        ["stop_reason"] = stopReason,
        ["stop_sequence"] = stopSequence,
        ["usage"] = Usage(usage),
    };

    /// <summary>Every event of a stream for the same message, in order.</summary>
    public static IReadOnlyList<(string Event, JsonObject Data)> StreamEvents(
        string id, string model, IReadOnlyList<AnthropicBlock> content, string stopReason, string? stopSequence, AnthropicUsage usage, int chunks)
    {
        var events = new List<(string, JsonObject)>();
        void Add(string name, JsonObject data)
        {
            var body = new JsonObject { ["type"] = name };
            foreach (var (key, value) in data.ToList())
            {
                data.Remove(key);
                body[key] = value;
            }

            events.Add((name, body));
        }

        var start = Message(id, model, [], "placeholder", null, usage);
        start["stop_reason"] = null;
        start["usage"] = Usage(usage, outputTokens: 1);
        Add("message_start", new JsonObject { ["message"] = start });
        Add("ping", []);
        for (var index = 0; index < content.Count; index++)
        {
            Add("content_block_start", new JsonObject { ["index"] = index, ["content_block"] = content[index].Opening() });
            foreach (var delta in content[index].Deltas(chunks))
            {
                Add("content_block_delta", new JsonObject { ["index"] = index, ["delta"] = delta });
            }

            Add("content_block_stop", new JsonObject { ["index"] = index });
        }

        Add("message_delta", new JsonObject
        {
            ["delta"] = new JsonObject { ["stop_reason"] = stopReason, ["stop_sequence"] = stopSequence },
            ["usage"] = new JsonObject { ["output_tokens"] = usage.OutputTokens },
        });
        Add("message_stop", []);
        return events;
    }

    /// <summary>One SSE frame: <c>event: NAME\ndata: JSON\n\n</c>.</summary>
    public static byte[] Frame(string name, JsonNode data) => Encoding.UTF8.GetBytes($"event: {name}\ndata: {Serialize(data)}\n\n");
}

/// <summary>Token counts a fake message reports (Anthropic's input_tokens excludes cached tokens).</summary>
public sealed record AnthropicUsage(int InputTokens, int OutputTokens)
{
    /// <summary>The counts used unless a behaviour says otherwise.</summary>
    public static AnthropicUsage Default { get; } = new(12, 6);

    public int CacheCreationInputTokens { get; init; }

    public int CacheReadInputTokens { get; init; }

    /// <summary>The part of <see cref="CacheCreationInputTokens"/> written for one hour (<c>cache_creation.ephemeral_1h_input_tokens</c>).</summary>
    public int CacheCreation1hInputTokens { get; init; }
}

/// <summary>One content block of a fake answer, whole or as its stream opening and deltas.</summary>
public abstract record AnthropicBlock
{
    internal abstract JsonObject Whole();

    internal abstract JsonObject Opening();

    internal abstract IEnumerable<JsonObject> Deltas(int chunks);
}

/// <summary>A text block, streamed as <c>text_delta</c> pieces.</summary>
public sealed record AnthropicTextBlock(string Text) : AnthropicBlock
{
    internal override JsonObject Whole() => new() { ["type"] = "text", ["text"] = Text };

    internal override JsonObject Opening() => new() { ["type"] = "text", ["text"] = "" };

    internal override IEnumerable<JsonObject> Deltas(int chunks) =>
        TextSplitter.Split(Text, chunks).Select(piece => new JsonObject { ["type"] = "text_delta", ["text"] = piece });
}

/// <summary>A tool_use block, streamed as <c>input_json_delta</c> fragments of its input.</summary>
public sealed record AnthropicToolUseBlock(string Id, string Name, string InputJson) : AnthropicBlock
{
    internal override JsonObject Whole() => new() { ["type"] = "tool_use", ["id"] = Id, ["name"] = Name, ["input"] = JsonNode.Parse(InputJson) };

    internal override JsonObject Opening() => new() { ["type"] = "tool_use", ["id"] = Id, ["name"] = Name, ["input"] = new JsonObject() };

    internal override IEnumerable<JsonObject> Deltas(int chunks) =>
        TextSplitter.Split(InputJson, chunks).Select(piece => new JsonObject { ["type"] = "input_json_delta", ["partial_json"] = piece });
}

/// <summary>A thinking block with its signature (sent last, as <c>signature_delta</c>).</summary>
public sealed record AnthropicThinkingBlock(string Thinking, string Signature) : AnthropicBlock
{
    internal override JsonObject Whole() => new() { ["type"] = "thinking", ["thinking"] = Thinking, ["signature"] = Signature };

    internal override JsonObject Opening() => new() { ["type"] = "thinking", ["thinking"] = "", ["signature"] = "" };

    internal override IEnumerable<JsonObject> Deltas(int chunks) =>
        TextSplitter.Split(Thinking, chunks).Select(piece => new JsonObject { ["type"] = "thinking_delta", ["thinking"] = piece })
            .Append(new JsonObject { ["type"] = "signature_delta", ["signature"] = Signature });
}
