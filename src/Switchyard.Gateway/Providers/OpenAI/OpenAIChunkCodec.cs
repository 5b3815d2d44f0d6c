using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Switchyard.Canonical;
using Switchyard.Upstream;

namespace Switchyard.Providers.OpenAI;

/// <summary>Upstream <c>chat.completion.chunk</c> SSE → canonical stream events.</summary>
public sealed class OpenAIChunkDecoder : IStreamDecoder
{
    private readonly HashSet<int> startedTools = [];
    private bool started;

    /// <inheritdoc />
    public int Decode(ReadOnlySpan<byte> data, List<StreamEvent> events, out bool done)
    {
        done = false;
        var consumed = 0;
        while (!done && SseFraming.TryNextData(data, ref consumed, out var payload))
        {
            if (SseFraming.IsDone(payload))
            {
                done = true;
                break;
            }

            using var doc = JsonDocument.Parse(payload.ToArray());
            Chunk(doc.RootElement, events);
        }

        return consumed;
    }

    private void Chunk(JsonElement root, List<StreamEvent> events)
    {
        if (root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
        {
            events.Add(StreamEvent.Failed(OpenAIChatRequestReader.Str(error, "message") ?? "upstream error",
                OpenAIChatRequestReader.Str(error, "code") ?? OpenAIChatRequestReader.Str(error, "type")));
            return;
        }

        if (!started)
        {
            started = true;
            events.Add(StreamEvent.Started(OpenAIChatRequestReader.Str(root, "id") ?? "", OpenAIChatRequestReader.Str(root, "model") ?? ""));
        }

        if (root.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array)
        {
            foreach (var choice in choices.EnumerateArray())
            {
                if (choice.TryGetProperty("delta", out var delta) && delta.ValueKind == JsonValueKind.Object)
                {
                    Delta(delta, events);
                }

                if (OpenAIChatRequestReader.Str(choice, "finish_reason") is { } finish)
                {
                    events.Add(StreamEvent.Finished(OpenAIChatResponses.Finish(finish)));
                }
            }
        }

        if (root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
        {
            events.Add(StreamEvent.UsageUpdate(OpenAIChatResponses.ReadUsage(usage)));
        }
    }
    private void Delta(JsonElement delta, List<StreamEvent> events)
    {
        if (OpenAIChatRequestReader.Str(delta, "reasoning_content") is { Length: > 0 } thinking)
        {
            events.Add(StreamEvent.Thinking(thinking));
        }

        if (OpenAIChatRequestReader.Str(delta, "content") is { Length: > 0 } text)
        {
            events.Add(StreamEvent.TextChunk(text));
        }

        if (delta.TryGetProperty("tool_calls", out var calls) && calls.ValueKind == JsonValueKind.Array)
        {
            foreach (var call in calls.EnumerateArray())
            {
                ToolCall(call, events);
            }
        }
    }

    /// <summary>A tool-call fragment; the first one seen for an index starts that call.</summary>
    private void ToolCall(JsonElement call, List<StreamEvent> events)
    {
        var index = call.TryGetProperty("index", out var ix) && ix.TryGetInt32(out var i) ? i : 0;
        call.TryGetProperty("function", out var fn);
        if (startedTools.Add(index))
        {
            events.Add(StreamEvent.ToolStart(index, OpenAIChatRequestReader.Str(call, "id") ?? $"call_{index}",
                OpenAIChatRequestReader.Str(fn, "name") ?? ""));
        }

        if (OpenAIChatRequestReader.Str(fn, "arguments") is { Length: > 0 } args)
        {
            events.Add(StreamEvent.ToolArgs(index, args));
        }
    }
}

/// <summary>
/// Canonical stream events → <c>chat.completion.chunk</c> SSE for an OpenAI client. The finish chunk is
/// held until usage is known so that, when the client asked for usage, the usage-only chunk follows it.
/// </summary>
public sealed class OpenAIChunkEncoder(string model, long created, bool includeUsage) : IStreamEncoder
{
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private string id = "chatcmpl-switchyard";
    private bool roleSent;
    private FinishReason? finish;
    private TokenUsage usage;
    private bool sawUsage;

    /// <inheritdoc />
    public string ContentType => "text/event-stream; charset=utf-8";

    /// <inheritdoc />
    public void Write(in StreamEvent e, IBufferWriter<byte> output)
    {
        switch (e.Kind)
        {
            case StreamEventKind.Start:
                id = e.Id is { Length: > 0 } i ? (i.StartsWith("chatcmpl", StringComparison.Ordinal) ? i : "chatcmpl-" + i) : id;
                EnsureRole(output);
                break;
            case StreamEventKind.TextDelta:
            {
                EnsureRole(output);
                var text = e.Text;
                Delta(output, w => w.WriteString("content", text));
                break;
            }

            case StreamEventKind.ThinkingDelta:
            {
                EnsureRole(output);
                var text = e.Text;
                Delta(output, w => w.WriteString("reasoning_content", text));
                break;
            }

            case StreamEventKind.ToolCallStart:
                EnsureRole(output);
                ToolCallStart(output, e.Index, e.Id, e.Name);
                break;
            case StreamEventKind.ToolCallDelta:
                ToolCallArguments(output, e.Index, e.Text);
                break;
            case StreamEventKind.Usage:
                usage.Merge(e.Usage); // providers split usage across events (Anthropic: input first, output last)
                sawUsage = true;
                break;
            case StreamEventKind.Finish:
                finish = e.Finish;
                break;

            // Error events end the stream through Fail, called by the relay.
        }
    }

    private void ToolCallStart(IBufferWriter<byte> output, int index, string? callId, string? name) =>
        Delta(output, w =>
        {
            w.WriteStartArray("tool_calls");
            w.WriteStartObject();
            w.WriteNumber("index", index);
            w.WriteString("id", callId);
            w.WriteString("type", "function");
            w.WriteStartObject("function");
            w.WriteString("name", name);
            w.WriteString("arguments", "");
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndArray();
        });

    private void ToolCallArguments(IBufferWriter<byte> output, int index, string? args) =>
        Delta(output, w =>
        {
            w.WriteStartArray("tool_calls");
            w.WriteStartObject();
            w.WriteNumber("index", index);
            w.WriteStartObject("function");
            w.WriteString("arguments", args);
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndArray();
        });

    /// <inheritdoc />
    public void Complete(IBufferWriter<byte> output)
    {
        EnsureRole(output);
        var reason = OpenAIChatResponses.FinishName(finish ?? FinishReason.Stop);
        Chunk(output, w =>
        {
            w.WriteStartObject();
            w.WriteNumber("index", 0);
            w.WriteStartObject("delta");
            w.WriteEndObject();
            w.WriteString("finish_reason", reason);
            w.WriteEndObject();
        }, null);
        if (includeUsage && sawUsage)
        {
            var u = usage;
            Chunk(output, null, w => OpenAIChatResponses.WriteUsage(w, u));
        }

        output.Write("data: [DONE]\n\n"u8);
    }

    /// <inheritdoc />
    public void Fail(in ClientError error, IBufferWriter<byte> output)
    {
        output.Write("data: "u8);
        OpenAIErrors.Write(output, error.Message, "server_error", error.Param, error.Code);
        output.Write("\n\n"u8);
    }

    private void EnsureRole(IBufferWriter<byte> output)
    {
        if (roleSent)
        {
            return;
        }

        roleSent = true;
        Delta(output, w =>
        {
            w.WriteString("role", "assistant");
            w.WriteString("content", "");
        });
    }

    private void Delta(IBufferWriter<byte> output, Action<Utf8JsonWriter> delta) =>
        Chunk(output, w =>
        {
            w.WriteStartObject();
            w.WriteNumber("index", 0);
            w.WriteStartObject("delta");
            delta(w);
            w.WriteEndObject();
            w.WriteNull("finish_reason");
            w.WriteEndObject();
        }, null);

    private void Chunk(IBufferWriter<byte> output, Action<Utf8JsonWriter>? choice, Action<Utf8JsonWriter>? usageWriter)
    {
        output.Write("data: "u8);
        using (var w = new Utf8JsonWriter(output, Options))
        {
            w.WriteStartObject();
            w.WriteString("id", id);
            w.WriteString("object", "chat.completion.chunk");
            w.WriteNumber("created", created);
            w.WriteString("model", model);
            w.WriteStartArray("choices");
            choice?.Invoke(w);
            w.WriteEndArray();
            if (usageWriter is not null)
            {
                usageWriter(w);
            }
            else if (includeUsage)
            {
                w.WriteNull("usage");
            }

            w.WriteEndObject();
        }

        output.Write("\n\n"u8);
    }
}
