using System.Buffers;
using System.Text.Json;
using Switchyard.Canonical;

namespace Switchyard.Providers.Anthropic;

/// <summary>
/// Canonical stream events → Anthropic Messages SSE, in Anthropic's exact sequence: <c>message_start</c>,
/// <c>ping</c>, then per content block <c>content_block_start</c> / <c>content_block_delta</c>… /
/// <c>content_block_stop</c> with increasing indices (text, thinking and tool_use blocks never overlap), then
/// <c>message_delta</c> with the stop reason and usage, and <c>message_stop</c>. <c>message_start</c> is held
/// until the first content so it can carry input usage when the upstream reports it up front.
/// </summary>
public sealed class AnthropicStreamEncoder(string model) : IStreamEncoder
{
    private enum BlockKind
    {
        None,
        Text,
        Thinking,
        Tool,
    }

    private readonly Dictionary<int, int> toolBlocks = []; // canonical tool index → content block index
    private string id = "msg_switchyard";
    private bool started;
    private BlockKind open;
    private int openIndex = -1;
    private int nextIndex;
    private FinishReason finish = FinishReason.Stop;
    private TokenUsage usage;

    /// <inheritdoc />
    public string ContentType => "text/event-stream; charset=utf-8";

    /// <inheritdoc />
    public void Write(in StreamEvent e, IBufferWriter<byte> output)
    {
        switch (e.Kind)
        {
            case StreamEventKind.Start:
                id = AnthropicJson.MessageId(e.Id);
                break;
            case StreamEventKind.Usage:
                usage.Merge(e.Usage);
                break;
            case StreamEventKind.Finish:
                finish = e.Finish;
                break;
            case StreamEventKind.TextDelta when !string.IsNullOrEmpty(e.Text):
                Open(output, BlockKind.Text, null, null);
                Delta(output, openIndex, "text_delta", "text", e.Text);
                break;
            case StreamEventKind.ThinkingDelta when !string.IsNullOrEmpty(e.Text):
                Open(output, BlockKind.Thinking, null, null);
                Delta(output, openIndex, "thinking_delta", "thinking", e.Text);
                break;
            case StreamEventKind.ThinkingSignature:
                Open(output, BlockKind.Thinking, null, null);
                Delta(output, openIndex, "signature_delta", "signature", e.Text ?? "");
                break;
            case StreamEventKind.ToolCallStart:
                Close(output);
                Open(output, BlockKind.Tool, e.Id, e.Name);
                toolBlocks[e.Index] = openIndex;
                break;
            case StreamEventKind.ToolCallDelta when !string.IsNullOrEmpty(e.Text):
                // A fragment for a block that is already closed (interleaved parallel calls, which OpenAI does
                // not send in practice) still goes out under its own index: dropping it would corrupt the call.
                var index = toolBlocks.TryGetValue(e.Index, out var block) ? block : openIndex;
                if (index >= 0)
                {
                    Delta(output, index, "input_json_delta", "partial_json", e.Text);
                }

                break;

            // Error events end the stream through Fail, called by the relay.
        }
    }

    /// <inheritdoc />
    public void Complete(IBufferWriter<byte> output)
    {
        EnsureStarted(output);
        Close(output);
        var (reason, u) = (AnthropicJson.StopReason(finish, null), usage);
        Event(output, "message_delta", w =>
        {
            w.WriteStartObject("delta");
            w.WriteString("stop_reason", reason);
            w.WriteNull("stop_sequence");
            w.WriteEndObject();
            w.WriteStartObject("usage");
            AnthropicJson.WriteUsageFields(w, u);
            w.WriteEndObject();
        });
        Event(output, "message_stop", null);
    }

    /// <inheritdoc />
    public void Fail(in ClientError error, IBufferWriter<byte> output) =>
        AnthropicErrors.WriteEvent(output, AnthropicErrors.IsKnownType(error.Code) ? error.Code! : AnthropicErrors.TypeOf(error.Category), error.Message);

    private void EnsureStarted(IBufferWriter<byte> output)
    {
        if (started)
        {
            return;
        }

        started = true;
        var (messageId, u) = (id, usage);
        Event(output, "message_start", w =>
        {
            w.WriteStartObject("message");
            w.WriteString("id", messageId);
            w.WriteString("type", "message");
            w.WriteString("role", "assistant");
            w.WriteString("model", model);
            w.WriteStartArray("content");
            w.WriteEndArray();
            w.WriteNull("stop_reason");
            w.WriteNull("stop_sequence");
            w.WriteStartObject("usage");
            AnthropicJson.WriteUsageFields(w, u);
            w.WriteEndObject();
            w.WriteEndObject();
        });
        Event(output, "ping", null);
    }

    /// <summary>Opens a block of <paramref name="kind"/> unless one is open already (tool blocks always open anew).</summary>
    private void Open(IBufferWriter<byte> output, BlockKind kind, string? toolId, string? toolName)
    {
        EnsureStarted(output);
        if (open == kind && kind != BlockKind.Tool)
        {
            return;
        }

        Close(output);
        open = kind;
        openIndex = nextIndex++;
        var index = openIndex;
        Event(output, "content_block_start", w =>
        {
            w.WriteNumber("index", index);
            w.WriteStartObject("content_block");
            switch (kind)
            {
                case BlockKind.Text:
                    w.WriteString("type", "text");
                    w.WriteString("text", "");
                    break;
                case BlockKind.Thinking:
                    w.WriteString("type", "thinking");
                    w.WriteString("thinking", "");
                    w.WriteString("signature", "");
                    break;
                default:
                    w.WriteString("type", "tool_use");
                    w.WriteString("id", toolId ?? $"toolu_{index}");
                    w.WriteString("name", toolName ?? "");
                    w.WriteStartObject("input");
                    w.WriteEndObject();
                    break;
            }

            w.WriteEndObject();
        });
    }

    private void Close(IBufferWriter<byte> output)
    {
        if (open == BlockKind.None)
        {
            return;
        }

        var index = openIndex;
        Event(output, "content_block_stop", w => w.WriteNumber("index", index));
        open = BlockKind.None;
    }

    private static void Delta(IBufferWriter<byte> output, int index, string type, string field, string? value) =>
        Event(output, "content_block_delta", w =>
        {
            w.WriteNumber("index", index);
            w.WriteStartObject("delta");
            w.WriteString("type", type);
            w.WriteString(field, value);
            w.WriteEndObject();
        });

    /// <summary>Writes <c>event: NAME</c> and a <c>data:</c> object whose <c>type</c> repeats the name, as Anthropic does.</summary>
    private static void Event(IBufferWriter<byte> output, string name, Action<Utf8JsonWriter>? body)
    {
        output.Write("event: "u8);
        System.Text.EncodingExtensions.GetBytes(System.Text.Encoding.UTF8, name, output);
        output.Write("\ndata: "u8);
        using (var w = new Utf8JsonWriter(output, AnthropicJson.WriterOptions))
        {
            w.WriteStartObject();
            w.WriteString("type", name);
            body?.Invoke(w);
            w.WriteEndObject();
        }

        output.Write("\n\n"u8);
    }
}
