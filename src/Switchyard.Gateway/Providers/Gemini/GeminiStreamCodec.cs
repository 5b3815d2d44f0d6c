using System.Buffers;
using System.Text;
using System.Text.Json;
using Switchyard.Canonical;
using Switchyard.Upstream;
using static Switchyard.Providers.Gemini.GeminiJson;

namespace Switchyard.Providers.Gemini;

/// <summary>
/// Upstream <c>streamGenerateContent?alt=sse</c> → canonical stream events. Every SSE <c>data:</c> is a whole
/// <c>GenerateContentResponse</c> chunk and there is no terminator: Google closes the connection after the
/// chunk that carries <c>finishReason</c> (with the final <c>usageMetadata</c>). So <c>done</c> is reported
/// once a finish reason (or a blocked prompt) has been seen, which makes the following end of bytes clean; an
/// end of bytes before it is a cut. Function calls arrive whole, so each becomes a start and one argument delta.
/// </summary>
public sealed class GeminiStreamDecoder(string fallbackModel) : IStreamDecoder
{
    private CallIds? ids;
    private bool finished;

    /// <inheritdoc />
    public int Decode(ReadOnlySpan<byte> data, List<StreamEvent> events, out bool done)
    {
        var consumed = 0;
        while (SseFraming.TryNextData(data, ref consumed, out var payload))
        {
            using var doc = JsonDocument.Parse(payload.ToArray());
            Chunk(doc.RootElement, events);
        }

        done = finished;
        return consumed;
    }

    private void Chunk(JsonElement root, List<StreamEvent> events)
    {
        if (Get(root, "error", out var error) && error.ValueKind == JsonValueKind.Object)
        {
            events.Add(StreamEvent.Failed(Str(error, "message") ?? "upstream error", Str(error, "status")));
            return;
        }

        if (ids is null)
        {
            var id = Str(root, "responseId", "response_id") ?? "";
            ids = new CallIds(id);
            events.Add(StreamEvent.Started(id, Str(root, "modelVersion", "model_version") ?? fallbackModel));
        }

        // Usage first: a frame's promptTokenCount must reach the client's first event (Anthropic's message_start,
        // which encoders hold until the first content) before that frame's text does.
        if (Get(root, "usageMetadata", "usage_metadata", out var usage))
        {
            events.Add(StreamEvent.UsageUpdate(GeminiResponses.ReadUsage(usage)));
        }

        var finish = (string?)null;
        if (Get(root, "candidates", out var candidates) && candidates.ValueKind == JsonValueKind.Array && candidates.GetArrayLength() > 0)
        {
            var candidate = candidates[0];
            if (Get(candidate, "content", out var content) && Get(content, "parts", out var parts) && parts.ValueKind == JsonValueKind.Array)
            {
                foreach (var part in parts.EnumerateArray())
                {
                    Part(part, events);
                }
            }

            finish = Str(candidate, "finishReason", "finish_reason");
        }
        else if (GeminiResponses.BlockReason(root) is not null)
        {
            finish = "SAFETY";
        }

        if (finish is not null)
        {
            events.Add(StreamEvent.Finished(GeminiResponses.Finish(finish, ids.Count > 0)));
            finished = true;
        }
    }

    private void Part(JsonElement part, List<StreamEvent> events)
    {
        var signature = Str(part, "thoughtSignature", "thought_signature");
        if (IsTrue(part, "thought"))
        {
            if (Str(part, "text") is { Length: > 0 } thought)
            {
                events.Add(StreamEvent.Thinking(thought));
            }

            if (signature is not null)
            {
                events.Add(StreamEvent.Signature(signature));
            }

            return;
        }

        // A signature on a call or text belongs to the reasoning that preceded it: it closes that thinking.
        if (signature is not null)
        {
            events.Add(StreamEvent.Signature(signature));
        }

        if (Get(part, "functionCall", "function_call", out var fc))
        {
            var index = ids!.Count;
            events.Add(StreamEvent.ToolStart(index, ids.Next(Str(fc, "id")), Str(fc, "name") ?? ""));
            events.Add(StreamEvent.ToolArgs(index, Get(fc, "args", out var args) ? Compact(args) : "{}"));
        }
        else if (Str(part, "text") is { Length: > 0 } text)
        {
            events.Add(StreamEvent.TextChunk(text));
        }
    }
}

/// <summary>
/// Canonical stream events → <c>streamGenerateContent?alt=sse</c> for a Gemini client: one
/// <c>data: {GenerateContentResponse}</c> per content event. Tool-call argument fragments are buffered because
/// Gemini sends each call whole, with <c>args</c> as an object; calls are flushed when other content follows
/// or at the end. The last chunk carries <c>finishReason</c> and <c>usageMetadata</c>; then the stream simply
/// ends, as Google's does. A failure ends it with a <c>data: {"error":{...}}</c> event.
/// </summary>
public sealed class GeminiStreamEncoder(string model) : IStreamEncoder
{
    private readonly SortedDictionary<int, (string Id, string Name, StringBuilder Args)> calls = [];
    private string id = "";
    private string? signature;
    private FinishReason? finish;
    private TokenUsage usage;
    private bool sawUsage;

    /// <inheritdoc />
    public string ContentType => "text/event-stream";

    /// <inheritdoc />
    public void Write(in StreamEvent e, IBufferWriter<byte> output)
    {
        switch (e.Kind)
        {
            case StreamEventKind.Start:
                id = e.Id ?? "";
                break;
            case StreamEventKind.TextDelta:
            {
                FlushCalls(output);
                var (text, sig) = (e.Text ?? "", TakeSignature());
                Chunk(output, w => GeminiResponses.WriteText(w, text, sig), null);
                break;
            }

            case StreamEventKind.ThinkingDelta:
            {
                FlushCalls(output);
                var text = e.Text ?? "";
                Chunk(output, w => GeminiResponses.WriteThought(w, text, null), null);
                break;
            }

            case StreamEventKind.ThinkingSignature:
                signature = e.Text; // rides on the next part, where Gemini puts it
                break;
            case StreamEventKind.ToolCallStart:
                calls[e.Index] = (e.Id ?? "", e.Name ?? "", new StringBuilder());
                break;
            case StreamEventKind.ToolCallDelta:
                if (calls.TryGetValue(e.Index, out var call))
                {
                    call.Args.Append(e.Text);
                }

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

    /// <inheritdoc />
    public void Complete(IBufferWriter<byte> output)
    {
        var pending = TakeCalls();
        var sig = TakeSignature();
        var reason = GeminiResponses.FinishName(finish ?? FinishReason.Stop);
        Chunk(output, w =>
        {
            if (pending.Count == 0)
            {
                GeminiResponses.WriteText(w, "", sig);
            }

            foreach (var (callId, name, args) in pending)
            {
                GeminiResponses.WriteCall(w, callId, name, args.ToString(), sig);
                sig = null;
            }
        }, reason);
    }

    /// <inheritdoc />
    public void Fail(in ClientError error, IBufferWriter<byte> output)
    {
        output.Write("data: "u8);
        GeminiErrors.Write(output, error);
        output.Write("\n\n"u8);
    }

    private string? TakeSignature()
    {
        var s = signature;
        signature = null;
        return s;
    }

    private List<(string Id, string Name, StringBuilder Args)> TakeCalls()
    {
        var list = calls.Values.ToList();
        calls.Clear();
        return list;
    }

    private void FlushCalls(IBufferWriter<byte> output)
    {
        if (calls.Count == 0)
        {
            return;
        }

        var pending = TakeCalls();
        var sig = TakeSignature();
        Chunk(output, w =>
        {
            foreach (var (callId, name, args) in pending)
            {
                GeminiResponses.WriteCall(w, callId, name, args.ToString(), sig);
                sig = null;
            }
        }, null);
    }

    private void Chunk(IBufferWriter<byte> output, Action<Utf8JsonWriter> parts, string? finishReason)
    {
        output.Write("data: "u8);
        using (var w = new Utf8JsonWriter(output, WriterOptions))
        {
            w.WriteStartObject();
            w.WriteStartArray("candidates");
            w.WriteStartObject();
            w.WriteStartObject("content");
            w.WriteStartArray("parts");
            parts(w);
            w.WriteEndArray();
            w.WriteString("role", "model");
            w.WriteEndObject();
            if (finishReason is not null)
            {
                w.WriteString("finishReason", finishReason);
            }

            w.WriteNumber("index", 0);
            w.WriteEndObject();
            w.WriteEndArray();
            if (finishReason is not null && sawUsage)
            {
                GeminiResponses.WriteUsage(w, usage);
            }

            w.WriteString("modelVersion", model);
            w.WriteString("responseId", id);
            w.WriteEndObject();
        }

        output.Write("\n\n"u8);
    }
}
