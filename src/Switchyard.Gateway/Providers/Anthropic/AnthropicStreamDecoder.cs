using System.Text.Json;
using Switchyard.Canonical;
using Switchyard.Upstream;
using static Switchyard.Providers.Anthropic.AnthropicJson;

namespace Switchyard.Providers.Anthropic;

/// <summary>
/// Upstream Anthropic Messages SSE → canonical stream events. Each event's <c>data</c> carries its own
/// <c>type</c>, which is what is read (the <c>event:</c> line repeats it). <c>ping</c> and unknown events are
/// ignored, as Anthropic's versioning policy asks of clients; <c>message_stop</c> is the end marker.
/// </summary>
public sealed class AnthropicStreamDecoder : IStreamDecoder
{
    private readonly Dictionary<int, int> tools = []; // content block index → canonical tool ordinal
    private readonly HashSet<int> toolsWithArgs = [];
    private int structuredBlock = -1; // the content block of the gateway's forced output tool, streamed as text

    // Anthropic reports input usage in message_start and output in message_delta; every Usage event carries the
    // merged total so far, so an encoder that keeps only the last one still has both.
    private TokenUsage usage;

    /// <inheritdoc />
    public int Decode(ReadOnlySpan<byte> data, List<StreamEvent> events, out bool done)
    {
        done = false;
        var consumed = 0;
        while (!done && SseFraming.TryNextData(data, ref consumed, out var payload))
        {
            var reader = new Utf8JsonReader(payload);
            using var doc = JsonDocument.ParseValue(ref reader);
            done = Event(doc.RootElement, events);
        }

        return consumed;
    }

    /// <summary>Maps one event; true at <c>message_stop</c>.</summary>
    private bool Event(JsonElement root, List<StreamEvent> events)
    {
        switch (Str(root, "type"))
        {
            case "message_start" when TryGet(root, "message", JsonValueKind.Object, out var message):
                events.Add(StreamEvent.Started(Str(message, "id") ?? "", Str(message, "model") ?? ""));
                if (TryGet(message, "usage", JsonValueKind.Object, out var startUsage))
                {
                    events.Add(Usage(startUsage));
                }

                break;
            case "content_block_start" when TryGet(root, "content_block", JsonValueKind.Object, out var block):
                BlockStart(Index(root), block, events);
                break;
            case "content_block_delta" when TryGet(root, "delta", JsonValueKind.Object, out var delta):
                BlockDelta(Index(root), delta, events);
                break;
            case "content_block_stop" when Index(root) == structuredBlock:
                break;
            case "content_block_stop":
                // A tool called without arguments streams no input_json_delta; OpenAI clients expect "{}".
                if (tools.TryGetValue(Index(root), out var ordinal) && toolsWithArgs.Add(ordinal))
                {
                    events.Add(StreamEvent.ToolArgs(ordinal, "{}"));
                }

                break;
            case "message_delta":
                if (TryGet(root, "delta", JsonValueKind.Object, out var md) && Str(md, "stop_reason") is { } stop)
                {
                    var finish = Finish(stop);
                    events.Add(StreamEvent.Finished(finish == FinishReason.ToolCalls && tools.Count == 0 ? FinishReason.Stop : finish));
                }

                if (TryGet(root, "usage", JsonValueKind.Object, out var deltaUsage))
                {
                    events.Add(Usage(deltaUsage));
                }

                break;
            case "message_stop":
                return true;
            case "error":
                TryGet(root, "error", JsonValueKind.Object, out var error);
                events.Add(StreamEvent.Failed(Str(error, "message") ?? "upstream error", Str(error, "type")));
                break;
        }

        return false;
    }

    private StreamEvent Usage(JsonElement reported)
    {
        usage.Merge(ReadUsage(reported));
        return StreamEvent.UsageUpdate(usage);
    }

    private void BlockStart(int index, JsonElement block, List<StreamEvent> events)
    {
        switch (Str(block, "type"))
        {
            case "text" when Str(block, "text") is { Length: > 0 } text:
                events.Add(StreamEvent.TextChunk(text));
                break;
            case "thinking" when Str(block, "thinking") is { Length: > 0 } thinking:
                events.Add(StreamEvent.Thinking(thinking));
                break;
            case "tool_use" when Str(block, "name") == AnthropicStructuredOutput.ToolName:
                structuredBlock = index; // its arguments are the JSON answer: they stream as text
                break;
            case "tool_use":
                var ordinal = tools.Count;
                tools[index] = ordinal;
                events.Add(StreamEvent.ToolStart(ordinal, Str(block, "id") ?? $"toolu_{index}", Str(block, "name") ?? ""));
                if (TryGet(block, "input", JsonValueKind.Object, out var input) && input.EnumerateObject().Any())
                {
                    toolsWithArgs.Add(ordinal);
                    events.Add(StreamEvent.ToolArgs(ordinal, Compact(input)));
                }

                break;

            // redacted_thinking and server tool blocks have no canonical stream form.
        }
    }

    private void BlockDelta(int index, JsonElement delta, List<StreamEvent> events)
    {
        switch (Str(delta, "type"))
        {
            case "text_delta" when Str(delta, "text") is { Length: > 0 } text:
                events.Add(StreamEvent.TextChunk(text));
                break;
            case "thinking_delta" when Str(delta, "thinking") is { Length: > 0 } thinking:
                events.Add(StreamEvent.Thinking(thinking));
                break;
            case "signature_delta" when Str(delta, "signature") is { } signature:
                events.Add(StreamEvent.Signature(signature));
                break;
            case "input_json_delta" when index == structuredBlock && Str(delta, "partial_json") is { Length: > 0 } answer:
                events.Add(StreamEvent.TextChunk(answer));
                break;
            case "input_json_delta" when Str(delta, "partial_json") is { Length: > 0 } json && tools.TryGetValue(index, out var ordinal):
                toolsWithArgs.Add(ordinal);
                events.Add(StreamEvent.ToolArgs(ordinal, json));
                break;
        }
    }

    private static int Index(JsonElement root) =>
        root.TryGetProperty("index", out var i) && i.TryGetInt32(out var v) ? v : 0;
}
