using System.Text;
using Switchyard.Cache;
using Switchyard.Canonical;
using Switchyard.Providers.OpenAI;

namespace Switchyard.Tests.Cache;

/// <summary>What becomes an entry (only complete, successful answers) and how an entry folds back into a whole answer.</summary>
public sealed class CachedAnswersTests
{
    private static readonly TokenUsage Usage = new() { InputTokens = 12, OutputTokens = 7 };

    private static CacheCapture Events(params StreamEvent[] events)
    {
        var capture = new CacheCapture(1024 * 1024);
        var deployment = CacheTestKit.Deployment();
        foreach (var e in events)
        {
            capture.Add(e, deployment);
        }

        return capture;
    }

    [Fact]
    public void From_CompleteStream_KeepsEventsUsageAndModel()
    {
        var capture = Events(StreamEvent.Started("id1", "served-model"), StreamEvent.TextChunk("Hel"), StreamEvent.TextChunk("lo"),
            StreamEvent.UsageUpdate(Usage), StreamEvent.Finished(FinishReason.Stop));
        capture.Completed();

        var entry = CachedAnswers.From(capture);

        Assert.NotNull(entry);
        Assert.Equal("served-model", entry.Model);
        Assert.Equal(12, entry.Usage.InputTokens);
        Assert.Equal(5, entry.Events.Length);
        Assert.True(entry.SizeBytes > 0);
    }

    [Fact]
    public void From_StreamWithoutItsEnd_NotStored()
    {
        var capture = Events(StreamEvent.Started("id1", "m"), StreamEvent.TextChunk("half an ans"));

        Assert.Null(CachedAnswers.From(capture)); // never Completed(): a cut
    }

    [Theory]
    [InlineData(FinishReason.Length)]
    [InlineData(FinishReason.ContentFilter)]
    [InlineData(FinishReason.Error)]
    public void From_FinishOtherThanStopOrToolCalls_NotStored(FinishReason finish)
    {
        var capture = Events(StreamEvent.Started("id1", "m"), StreamEvent.TextChunk("text"), StreamEvent.Finished(finish));
        capture.Completed();

        Assert.Null(CachedAnswers.From(capture));
    }

    [Fact]
    public void From_ErrorEvent_NotStored()
    {
        var capture = Events(StreamEvent.Started("id1", "m"), StreamEvent.TextChunk("text"), StreamEvent.Failed("boom", "server_error"),
            StreamEvent.Finished(FinishReason.Stop));
        capture.Completed();

        Assert.Null(CachedAnswers.From(capture));
    }

    [Fact]
    public void From_OverTheEntryBound_DropsAndNeverStores()
    {
        var capture = new CacheCapture(200);
        var deployment = CacheTestKit.Deployment();
        capture.Add(StreamEvent.TextChunk(new string('x', 500)), deployment);
        capture.Add(StreamEvent.Finished(FinishReason.Stop), deployment);
        capture.Completed();

        Assert.True(capture.Overflowed);
        Assert.False(capture.Complete);
        Assert.Null(CachedAnswers.From(capture));
    }

    [Fact]
    public void From_RefusedWholeAnswer_NotStored()
    {
        var capture = new CacheCapture(1024);
        var answer = new ChatResponse { Id = "r", Model = "m", Refusal = "I can't help with that." };
        answer.Content.Add(new TextPart(""));
        capture.SetAnswer(answer, CacheTestKit.Deployment());
        capture.Completed();

        Assert.Null(CachedAnswers.From(capture));
    }

    [Fact]
    public void From_PassthroughStreamBytes_DecodedByTheAdapter_OnlyWithTheTerminator()
    {
        const string sse = "data: {\"id\":\"c1\",\"model\":\"up\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hi\"}}]}\n\n"
                           + "data: {\"id\":\"c1\",\"model\":\"up\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n";
        var adapter = new OpenAIChatAdapter();
        var deployment = CacheTestKit.Deployment();

        var cut = new CacheCapture(1024 * 1024);
        cut.AddRaw(Encoding.UTF8.GetBytes(sse), deployment, adapter, stream: true);
        cut.Completed();
        var whole = new CacheCapture(1024 * 1024);
        whole.AddRaw(Encoding.UTF8.GetBytes(sse + "data: [DONE]\n\n"), deployment, adapter, stream: true);
        whole.Completed();

        Assert.Null(CachedAnswers.From(cut));
        var entry = CachedAnswers.From(whole);
        Assert.NotNull(entry);
        Assert.Equal("Hi", string.Concat(entry.Events.Where(e => e.Kind == StreamEventKind.TextDelta).Select(e => e.Text)));
    }

    [Fact]
    public void ToResponse_FoldsRunsAndInterleavedToolArguments()
    {
        StreamEvent[] events =
        [
            StreamEvent.Started("chatcmpl-1", "m"), StreamEvent.Thinking("let me "), StreamEvent.Thinking("think"), StreamEvent.Signature("sig"),
            StreamEvent.TextChunk("Calling "), StreamEvent.TextChunk("tools."),
            StreamEvent.ToolStart(0, "call_a", "f"), StreamEvent.ToolStart(1, "call_b", "g"),
            StreamEvent.ToolArgs(0, "{\"x\":"), StreamEvent.ToolArgs(1, "{}"), StreamEvent.ToolArgs(0, "1}"),
            StreamEvent.UsageUpdate(Usage), StreamEvent.Finished(FinishReason.ToolCalls),
        ];
        var entry = new CachedAnswer(events, "m", Usage, CacheTestKit.Deployment(), 1);

        var response = CachedAnswers.ToResponse(entry, 1234);

        Assert.Equal("chatcmpl-1", response.Id);
        Assert.Equal(FinishReason.ToolCalls, response.FinishReason);
        Assert.Equal(1234, response.Created);
        Assert.Equal(7, response.Usage.OutputTokens);
        Assert.Collection(response.Content,
            p => Assert.Equal(new ThinkingPart("let me think", "sig"), p),
            p => Assert.Equal(new TextPart("Calling tools."), p),
            p => Assert.Equal(new ToolCallPart("call_a", "f", "{\"x\":1}"), p),
            p => Assert.Equal(new ToolCallPart("call_b", "g", "{}"), p));
    }

    [Fact]
    public void ToEvents_ThenToResponse_RoundTripsAWholeAnswer()
    {
        var answer = new ChatResponse { Id = "a1", Model = "m", FinishReason = FinishReason.Stop, Usage = Usage };
        answer.Content.Add(new TextPart("the answer"));
        answer.Content.Add(new ToolCallPart("c", "f", "{\"q\":2}"));

        var events = CachedAnswers.ToEvents(answer)!;
        var back = CachedAnswers.ToResponse(new CachedAnswer([.. events], "m", Usage, CacheTestKit.Deployment(), 1), 0);

        Assert.Equal(answer.Content, back.Content);
        Assert.Equal("a1", back.Id);
    }
}
