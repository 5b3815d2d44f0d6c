using System.Text;
using System.Text.Json;
using Switchyard.Canonical;

namespace Switchyard.Providers.Bedrock;

/// <summary>
/// ConverseStream body (AWS event-stream frames) → canonical stream events. Checksums are verified; a
/// corrupt frame, an <c>exception</c> frame (throttlingException, modelStreamErrorException, …) or an
/// <c>error</c> frame becomes <see cref="StreamEventKind.Error"/>.
/// <para>
/// The end: ConverseStream sends <c>messageStop</c> (the stop reason) and then <c>metadata</c> (usage and
/// latency) as its last event. <c>done</c> is set on <c>metadata</c>, not on <c>messageStop</c>: ending at
/// <c>messageStop</c> would stop reading before the usage that billing needs. A stream that ends after
/// <c>messageStop</c> without <c>metadata</c> is therefore reported as cut: its usage is unknown.
/// </para>
/// </summary>
public sealed class BedrockStreamDecoder(string id, string model) : IStreamDecoder
{
    private readonly Dictionary<int, int> toolOrdinals = [];
    private int outputBlock = -1; // the block of the forced JSON-output tool: its input streams as text
    private bool started;
    private bool failed;

    /// <inheritdoc />
    public int Decode(ReadOnlySpan<byte> data, List<StreamEvent> events, out bool done)
    {
        done = false;
        var consumed = 0;
        while (!done && !failed)
        {
            var status = EventStreamFraming.TryRead(data[consumed..], out var length, out var headers, out var payload, out var problem);
            if (status == EventStreamStatus.Incomplete)
            {
                break;
            }

            if (status == EventStreamStatus.Corrupt)
            {
                failed = true;
                events.Add(StreamEvent.Failed($"the upstream sent a corrupt event stream ({problem})", "upstream_stream_corrupt"));
                return data.Length; // nothing after a broken frame can be trusted
            }

            consumed += length;
            done = Frame(headers, payload, events);
        }

        return failed ? data.Length : consumed;
    }

    /// <summary>Handles one frame; true when it ends the stream.</summary>
    private bool Frame(ReadOnlySpan<byte> headers, ReadOnlySpan<byte> payload, List<StreamEvent> events)
    {
        var messageType = EventStreamFraming.StringHeader(headers, ":message-type"u8);
        if (messageType == "exception")
        {
            var type = EventStreamFraming.StringHeader(headers, ":exception-type"u8) ?? "exception";
            Fail(events, Message(payload) ?? type, type);
            return false;
        }

        if (messageType == "error")
        {
            var code = EventStreamFraming.StringHeader(headers, ":error-code"u8) ?? "error";
            Fail(events, EventStreamFraming.StringHeader(headers, ":error-message"u8) ?? code, code);
            return false;
        }

        var eventType = EventStreamFraming.StringHeader(headers, ":event-type"u8);
        if (eventType is null || payload.IsEmpty)
        {
            return eventType == "metadata"; // every Converse event carries JSON; an empty one can only end the stream
        }

        using var doc = JsonDocument.Parse(payload.ToArray());
        var root = doc.RootElement;
        switch (eventType)
        {
            case "messageStart":
                Start(events);
                break;
            case "contentBlockStart":
                Start(events);
                BlockStart(root, events);
                break;
            case "contentBlockDelta":
                Start(events);
                Delta(root, events);
                break;
            case "messageStop":
                var finish = BedrockResponseReader.Finish(BedrockResponseReader.Str(root, "stopReason"));
                events.Add(StreamEvent.Finished(finish == FinishReason.ToolCalls && toolOrdinals.Count == 0 ? FinishReason.Stop : finish));
                break;
            case "metadata":
                if (root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
                {
                    events.Add(StreamEvent.UsageUpdate(BedrockResponseReader.Usage(usage)));
                }

                return true;

            // contentBlockStop and event types added later carry nothing a chat client needs.
        }

        return false;
    }

    /// <summary>A tool call begins, or the forced JSON-output tool's block (its input then streams as text).</summary>
    private void BlockStart(JsonElement root, List<StreamEvent> events)
    {
        if (!root.TryGetProperty("start", out var start) || !start.TryGetProperty("toolUse", out var toolUse))
        {
            return;
        }

        if (BedrockResponseReader.Str(toolUse, "name") == BedrockResponseReader.OutputTool)
        {
            outputBlock = BlockIndex(root);
            return;
        }

        var ordinal = toolOrdinals.Count;
        toolOrdinals[BlockIndex(root)] = ordinal;
        events.Add(StreamEvent.ToolStart(ordinal, BedrockResponseReader.Str(toolUse, "toolUseId") ?? $"tooluse_{ordinal}",
            BedrockResponseReader.Str(toolUse, "name") ?? ""));
    }

    private void Delta(JsonElement root, List<StreamEvent> events)
    {
        if (!root.TryGetProperty("delta", out var delta) || delta.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        if (BedrockResponseReader.Str(delta, "text") is { Length: > 0 } text)
        {
            events.Add(StreamEvent.TextChunk(text));
        }
        else if (BlockIndex(root) == outputBlock && delta.TryGetProperty("toolUse", out var answer)
                 && BedrockResponseReader.Str(answer, "input") is { Length: > 0 } json)
        {
            events.Add(StreamEvent.TextChunk(json));
        }
        else if (delta.TryGetProperty("toolUse", out var toolUse) && BedrockResponseReader.Str(toolUse, "input") is { Length: > 0 } input)
        {
            // A tool block always opens with contentBlockStart; a delta for an unknown block is attributed to
            // the latest call rather than dropped.
            var ordinal = toolOrdinals.TryGetValue(BlockIndex(root), out var o) ? o : Math.Max(0, toolOrdinals.Count - 1);
            events.Add(StreamEvent.ToolArgs(ordinal, input));
        }
        else if (delta.TryGetProperty("reasoningContent", out var reasoning) && reasoning.ValueKind == JsonValueKind.Object)
        {
            if (BedrockResponseReader.Str(reasoning, "text") is { Length: > 0 } thinking)
            {
                events.Add(StreamEvent.Thinking(thinking));
            }

            if (BedrockResponseReader.Str(reasoning, "signature") is { Length: > 0 } signature)
            {
                events.Add(StreamEvent.Signature(signature));
            }
        }
    }

    private void Start(List<StreamEvent> events)
    {
        if (!started)
        {
            started = true;
            events.Add(StreamEvent.Started(id, model));
        }
    }

    private void Fail(List<StreamEvent> events, string message, string code)
    {
        failed = true;
        events.Add(StreamEvent.Failed(message, code));
    }

    private static int BlockIndex(JsonElement root) =>
        root.TryGetProperty("contentBlockIndex", out var i) && i.TryGetInt32(out var index) ? index : 0;

    /// <summary>Exception payloads are <c>{"message": "…"}</c>; anything else leaves the exception type as the message.</summary>
    private static string? Message(ReadOnlySpan<byte> payload)
    {
        try
        {
            using var doc = JsonDocument.Parse(payload.ToArray());
            return BedrockResponseReader.Str(doc.RootElement, "message") ?? BedrockResponseReader.Str(doc.RootElement, "Message");
        }
        catch (JsonException)
        {
            return payload.IsEmpty ? null : Encoding.UTF8.GetString(payload);
        }
    }
}
