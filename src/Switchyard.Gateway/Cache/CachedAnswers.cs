using System.Text;
using System.Text.Json;
using Switchyard.Canonical;

namespace Switchyard.Cache;

/// <summary>
/// Turns what Dispatch delivered into a stored answer (canonical events), and a stored answer back into a whole one.
/// Only a complete, successful answer becomes an entry: a stream that ended with its terminator, a whole body that
/// parsed, with a <c>stop</c> or <c>tool_calls</c> finish, no error event and no refusal (a refused, filtered or
/// length-capped answer is served but never stored). Pure: no clock, no I/O.
/// </summary>
public static class CachedAnswers
{
    /// <summary>The entry for <paramref name="capture"/>, or null when it must not be stored.</summary>
    public static CachedAnswer? From(CacheCapture capture)
    {
        if (!capture.Complete || capture.Overflowed || capture.Deployment is not { } deployment)
        {
            return null;
        }

        List<StreamEvent>? events;
        try
        {
            events = capture.Form switch
            {
                CaptureForm.UpstreamStream => Decode(capture),
                CaptureForm.UpstreamBody => ToEvents(capture.Adapter!.ParseResponse(capture.Raw, deployment)),
                CaptureForm.Answer => ToEvents(capture.Answer!),
                CaptureForm.Events => [.. capture.Events],
                _ => null,
            };
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            return null; // what the client got could not be read back: not stored
        }

        return events is not null && Storable(events) ? Entry(events, deployment) : null;
    }

    /// <summary>A passthrough stream's bytes through its adapter's decoder; null unless it reached the protocol's end marker.</summary>
    private static List<StreamEvent>? Decode(CacheCapture capture)
    {
        var events = new List<StreamEvent>();
        var decoder = capture.Adapter!.CreateStreamDecoder(capture.Deployment!);
        decoder.Decode(capture.Raw, events, out var done);
        return done ? events : null;
    }

    /// <summary>True for a finished, successful answer with content: no error event, a stop or tool-calls finish.</summary>
    private static bool Storable(List<StreamEvent> events)
    {
        FinishReason? finish = null;
        var content = false;
        foreach (var e in events)
        {
            switch (e.Kind)
            {
                case StreamEventKind.Error:
                    return false;
                case StreamEventKind.Finish:
                    finish = e.Finish;
                    break;
                case StreamEventKind.TextDelta or StreamEventKind.ToolCallStart or StreamEventKind.ThinkingDelta:
                    content = true;
                    break;
            }
        }

        return content && finish is FinishReason.Stop or FinishReason.ToolCalls;
    }

    private static CachedAnswer Entry(List<StreamEvent> events, DeploymentTarget deployment)
    {
        var usage = default(TokenUsage);
        var model = deployment.Config.UpstreamModel;
        long size = 256;
        foreach (var e in events)
        {
            size += CacheCapture.EstimatedBytes(e);
            if (e.Kind == StreamEventKind.Usage)
            {
                usage.Merge(e.Usage);
            }
            else if (e.Kind == StreamEventKind.Start && !string.IsNullOrEmpty(e.Model))
            {
                model = e.Model;
            }
        }

        return new CachedAnswer([.. events], model, usage, deployment, size);
    }

    /// <summary>
    /// A whole answer as the events that would have streamed it; null for a refusal or a filtered answer. Content
    /// parts keep their order; tool calls are numbered in order.
    /// </summary>
    public static List<StreamEvent>? ToEvents(ChatResponse answer)
    {
        if (answer.Refusal is not null || answer.FinishReason == FinishReason.ContentFilter)
        {
            return null;
        }

        var events = new List<StreamEvent> { StreamEvent.Started(answer.Id, answer.Model) };
        var tool = 0;
        foreach (var part in answer.Content)
        {
            switch (part)
            {
                case ThinkingPart thinking:
                    events.Add(StreamEvent.Thinking(thinking.Text));
                    if (thinking.Signature is { } signature)
                    {
                        events.Add(StreamEvent.Signature(signature));
                    }

                    break;
                case TextPart text:
                    events.Add(StreamEvent.TextChunk(text.Text));
                    break;
                case ToolCallPart call:
                    events.Add(StreamEvent.ToolStart(tool, call.Id, call.Name));
                    events.Add(StreamEvent.ToolArgs(tool++, call.Arguments));
                    break;
                default:
                    return null; // a part the events cannot carry (redacted thinking, an image): not stored
            }
        }

        events.Add(StreamEvent.UsageUpdate(answer.Usage));
        events.Add(StreamEvent.Finished(answer.FinishReason));
        return events;
    }

    /// <summary>The whole answer a stored entry replays to a client that did not ask for a stream.</summary>
    public static ChatResponse ToResponse(CachedAnswer entry, long createdUnixSeconds)
    {
        var response = new ChatResponse { Id = "cached", Model = entry.Model, Created = createdUnixSeconds };
        var folder = new Folder(response);
        foreach (var e in entry.Events)
        {
            folder.Add(e);
        }

        folder.Flush(end: true);
        response.Usage = entry.Usage;
        return response;
    }

    /// <summary>Folds stream events into content parts: runs of text or thinking become one part; tool calls gather their arguments.</summary>
    private sealed class Folder(ChatResponse response)
    {
        private readonly StringBuilder run = new();
        private readonly Dictionary<int, (string Id, string Name, StringBuilder Args)> calls = [];
        private readonly List<int> callOrder = [];
        private StreamEventKind runKind;
        private string? signature;

        public void Add(in StreamEvent e)
        {
            switch (e.Kind)
            {
                case StreamEventKind.Start:
                    response.Id = e.Id is { Length: > 0 } id ? id : response.Id;
                    break;
                case StreamEventKind.TextDelta or StreamEventKind.ThinkingDelta:
                    if (runKind != e.Kind)
                    {
                        Flush(end: false);
                        runKind = e.Kind;
                    }

                    run.Append(e.Text);
                    break;
                case StreamEventKind.ThinkingSignature:
                    signature = e.Text;
                    break;
                case StreamEventKind.ToolCallStart:
                    Flush(end: false);
                    calls[e.Index] = (e.Id ?? "", e.Name ?? "", new StringBuilder());
                    callOrder.Add(e.Index);
                    break;
                case StreamEventKind.ToolCallDelta when calls.TryGetValue(e.Index, out var call):
                    call.Args.Append(e.Text);
                    break;
                case StreamEventKind.Finish:
                    response.FinishReason = e.Finish;
                    break;
            }
        }

        /// <summary>Closes the current text or thinking run; at the <paramref name="end"/>, adds the tool calls after it (their arguments may interleave).</summary>
        public void Flush(bool end)
        {
            if (runKind == StreamEventKind.TextDelta)
            {
                response.Content.Add(new TextPart(run.ToString()));
            }
            else if (runKind == StreamEventKind.ThinkingDelta)
            {
                response.Content.Add(new ThinkingPart(run.ToString(), signature));
                signature = null;
            }

            run.Clear();
            runKind = StreamEventKind.Start;
            if (!end)
            {
                return;
            }

            foreach (var index in callOrder)
            {
                var (id, name, args) = calls[index];
                response.Content.Add(new ToolCallPart(id, name, args.Length > 0 ? args.ToString() : "{}"));
            }

            callOrder.Clear();
        }
    }
}
