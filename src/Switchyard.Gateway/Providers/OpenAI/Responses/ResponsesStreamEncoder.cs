using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Switchyard.Canonical;

namespace Switchyard.Providers.OpenAI.Responses;

/// <summary>
/// Canonical stream events → Responses SSE (<c>event:</c> + <c>data:</c>, numbered by <c>sequence_number</c>).
/// One output item is open at a time, as OpenAI streams them: text, reasoning and each function call get
/// their own item, opened with <c>output_item.added</c> and closed with their <c>.done</c> events before the
/// next one opens. The terminal event carries the whole response object, usage included, which is why the
/// encoder keeps every item it streamed. With a conversation turn, the stream carries the turn's id and a
/// complete stream (<see cref="Complete"/>) is reported to it, to be kept; a failed one is kept nowhere.
/// </summary>
internal sealed class ResponsesStreamEncoder(string model, long createdAt, ConversationTurn? turn = null) : IStreamEncoder
{
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly List<OutputItem> items = [];
    private readonly Dictionary<int, OutputItem> calls = [];
    private string? id = turn?.ResponseId;
    private int sequence;
    private OutputItem? open;
    private FinishReason? finish;
    private TokenUsage usage;
    private bool sawUsage;

    /// <inheritdoc />
    public string ContentType => "text/event-stream; charset=utf-8";

    /// <inheritdoc />
    public void Write(in StreamEvent e, IBufferWriter<byte> output)
    {
        if (e.Kind == StreamEventKind.Start)
        {
            id ??= ResponsesObjectWriter.ResponseId(e.Id, createdAt);
        }

        EnsureCreated(output);
        switch (e.Kind)
        {
            case StreamEventKind.TextDelta when e.Text is { Length: > 0 } text:
                TextDelta(text, output);
                break;

            case StreamEventKind.ThinkingDelta when e.Text is { Length: > 0 } text:
                ThinkingDelta(text, output);
                break;

            case StreamEventKind.ThinkingSignature:
                Current(OutputItemKind.Reasoning, output).EncryptedContent = e.Text;
                break;

            case StreamEventKind.ToolCallStart:
                StartCall(e, output);
                break;

            case StreamEventKind.ToolCallDelta when e.Text is { Length: > 0 } fragment && calls.TryGetValue(e.Index, out var call):
                CallDelta(call, fragment, output);
                break;

            case StreamEventKind.Usage:
                usage.Merge(e.Usage);
                sawUsage = true;
                break;

            case StreamEventKind.Finish:
                finish = e.Finish;
                break;

            // Error events end the stream through Fail, called by the relay.
        }
    }

    private void TextDelta(string text, IBufferWriter<byte> output)
    {
        var item = Current(OutputItemKind.Message, output);
        item.Text.Append(text);
        Event(output, "response.output_text.delta", w =>
        {
            ItemRef(w, item, contentIndex: true);
            w.WriteString("delta", text);
            w.WriteStartArray("logprobs");
            w.WriteEndArray();
        });
    }

    private void ThinkingDelta(string text, IBufferWriter<byte> output)
    {
        var item = Current(OutputItemKind.Reasoning, output);
        item.Text.Append(text);
        Event(output, "response.reasoning_text.delta", w =>
        {
            ItemRef(w, item, contentIndex: true);
            w.WriteString("delta", text);
        });
    }

    /// <summary>A function call is its own output item: the open item closes first.</summary>
    private void StartCall(in StreamEvent e, IBufferWriter<byte> output)
    {
        Close(output);
        var item = new OutputItem(OutputItemKind.FunctionCall, ResponsesObjectWriter.ItemId(OutputItemKind.FunctionCall, id!, items.Count))
        {
            CallId = ResponsesObjectWriter.CallId(e.Id, id!, items.Count),
            Name = e.Name ?? "",
        };
        calls[e.Index] = item;
        Open(item, output);
    }

    private void CallDelta(OutputItem call, string fragment, IBufferWriter<byte> output)
    {
        call.Text.Append(fragment);

        // Upstreams stream tool calls one after another; a late fragment of an already closed call
        // still reaches the final response object, but cannot be streamed without reopening the item.
        if (call == open)
        {
            Event(output, "response.function_call_arguments.delta", w =>
            {
                ItemRef(w, call, contentIndex: false);
                w.WriteString("delta", fragment);
            });
        }
    }

    /// <inheritdoc />
    public void Complete(IBufferWriter<byte> output)
    {
        EnsureCreated(output);
        var outcome = ResponseOutcome.From(finish ?? FinishReason.Stop);
        if (outcome.IncompleteReason is not null && open is not null)
        {
            open.Status = "incomplete"; // the item the cap or filter cut short, as OpenAI marks it
        }

        Close(output);
        Terminal(output, outcome);
        OpenAIResponsesFormat.Keep(turn, Header, outcome, items, sawUsage ? usage : null);
    }

    /// <inheritdoc />
    public void Fail(in ClientError error, IBufferWriter<byte> output)
    {
        EnsureCreated(output);
        if (open is not null)
        {
            open.Status = "incomplete"; // left open: its .done events would claim it finished
        }

        var (message, code, param) = (error.Message, error.Code, error.Param);
        Event(output, "error", w =>
        {
            w.WriteString("code", code ?? "server_error");
            w.WriteString("message", message);
            if (param is null)
            {
                w.WriteNull("param");
            }
            else
            {
                w.WriteString("param", param);
            }
        });
        Terminal(output, new ResponseOutcome("failed", null, error));
        if (turn is { Store: true })
        {
            turn.Fail("its stream failed before it completed: " + message);
        }
    }

    private void EnsureCreated(IBufferWriter<byte> output)
    {
        if (sequence > 0)
        {
            return;
        }

        id ??= ResponsesObjectWriter.ResponseId(null, createdAt);
        var inProgress = new ResponseOutcome("in_progress");
        Event(output, "response.created", w => Response(w, inProgress, []));
        Event(output, "response.in_progress", w => Response(w, inProgress, []));
    }

    private void Terminal(IBufferWriter<byte> output, ResponseOutcome outcome) =>
        Event(output, outcome.EventType, w => Response(w, outcome, items));

    private void Response(Utf8JsonWriter w, ResponseOutcome outcome, IReadOnlyList<OutputItem> output)
    {
        w.WritePropertyName("response");
        ResponsesObjectWriter.WriteResponse(w, Header, outcome, output, sawUsage ? usage : null);
    }

    private ResponseHeader Header => new(id!, createdAt, model, turn);

    /// <summary>The open item of <paramref name="kind"/>, closing a different one and opening a new one as needed.</summary>
    private OutputItem Current(OutputItemKind kind, IBufferWriter<byte> output)
    {
        if (open is { } current && current.Kind == kind && kind != OutputItemKind.FunctionCall)
        {
            return current;
        }

        Close(output);
        var item = new OutputItem(kind, ResponsesObjectWriter.ItemId(kind, id!, items.Count));
        Open(item, output);
        return item;
    }

    private void Open(OutputItem item, IBufferWriter<byte> output)
    {
        item.Status = "in_progress";
        items.Add(item);
        open = item;
        var index = items.Count - 1;
        Event(output, "response.output_item.added", w =>
        {
            w.WriteNumber("output_index", index);
            w.WritePropertyName("item");
            ResponsesObjectWriter.WriteItem(w, item, added: true);
        });
        if (item.Kind != OutputItemKind.FunctionCall)
        {
            Event(output, "response.content_part.added", w =>
            {
                ItemRef(w, item, contentIndex: true);
                w.WritePropertyName("part");
                Part(w, item, "");
            });
        }
    }

    private void Close(IBufferWriter<byte> output)
    {
        if (open is not { } item)
        {
            return;
        }

        open = null;
        var text = item.Text.ToString();
        switch (item.Kind)
        {
            case OutputItemKind.FunctionCall:
                Event(output, "response.function_call_arguments.done", w =>
                {
                    ItemRef(w, item, contentIndex: false);
                    w.WriteString("name", item.Name);
                    w.WriteString("arguments", text);
                });
                break;
            default:
                var message = item.Kind == OutputItemKind.Message;
                Event(output, message ? "response.output_text.done" : "response.reasoning_text.done", w =>
                {
                    ItemRef(w, item, contentIndex: true);
                    w.WriteString("text", text);
                    if (message)
                    {
                        w.WriteStartArray("logprobs");
                        w.WriteEndArray();
                    }
                });
                Event(output, "response.content_part.done", w =>
                {
                    ItemRef(w, item, contentIndex: true);
                    w.WritePropertyName("part");
                    Part(w, item, text);
                });
                break;
        }

        if (item.Status == "in_progress")
        {
            item.Status = "completed";
        }

        var index = items.IndexOf(item);
        Event(output, "response.output_item.done", w =>
        {
            w.WriteNumber("output_index", index);
            w.WritePropertyName("item");
            ResponsesObjectWriter.WriteItem(w, item);
        });
    }

    private static void Part(Utf8JsonWriter w, OutputItem item, string text)
    {
        if (item.Kind == OutputItemKind.Message)
        {
            ResponsesObjectWriter.WriteTextPart(w, text);
        }
        else
        {
            ResponsesObjectWriter.WriteReasoningPart(w, text);
        }
    }

    private void ItemRef(Utf8JsonWriter w, OutputItem item, bool contentIndex)
    {
        w.WriteString("item_id", item.Id);
        w.WriteNumber("output_index", items.IndexOf(item));
        if (contentIndex)
        {
            w.WriteNumber("content_index", 0);
        }
    }

    private void Event(IBufferWriter<byte> output, string type, Action<Utf8JsonWriter> body)
    {
        output.Write("event: "u8);
        Encoding.UTF8.GetBytes(type, output);
        output.Write("\ndata: "u8);
        using (var w = new Utf8JsonWriter(output, Options))
        {
            w.WriteStartObject();
            w.WriteString("type", type);
            body(w);
            w.WriteNumber("sequence_number", sequence++);
            w.WriteEndObject();
        }

        output.Write("\n\n"u8);
    }
}
