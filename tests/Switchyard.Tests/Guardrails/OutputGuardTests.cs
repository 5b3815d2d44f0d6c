using System.Text;
using Switchyard.Canonical;
using Switchyard.Guardrails;

namespace Switchyard.Tests.Guardrails;

/// <summary>
/// The output guard's sliding window: what a rule finds is found wherever the stream's chunks split it, and the
/// window holds back only its tail, never the stream.
/// </summary>
public sealed class OutputGuardTests
{
    private const string Text = "Write to jane.doe@example.com, card 4111 1111 1111 1111, or call +44 20 7946 0958 today.";
    private const string Redacted = "Write to [EMAIL_1], card [CARD_1], or call [PHONE_1] today.";

    private static GuardRule PiiRule(GuardAction action) => new("p/pii", GuardRuleKind.Pii, action) { MaxMatch = Detectors.MaxPiiMatch };

    /// <summary>Feeds <paramref name="chunks"/> one batch each, then the finish; the text the client would get, or the error.</summary>
    private static (string Text, ClientError? Error, GuardTicket Ticket) Run(IReadOnlyList<GuardRule> rules, IEnumerable<string> chunks,
        Placeholders? placeholders = null)
    {
        var ticket = new GuardTicket();
        var guard = new OutputGuard(rules, placeholders ?? new Placeholders(), ticket, null);
        var delivered = new StringBuilder();
        foreach (var batch in chunks.Select(c => new List<StreamEvent> { StreamEvent.TextChunk(c) })
                     .Append([StreamEvent.Finished(FinishReason.Stop), StreamEvent.UsageUpdate(default)]))
        {
            if (guard.OnEvents(batch, end: batch[0].Kind == StreamEventKind.Finish) is { } error)
            {
                return (delivered.ToString(), error, ticket);
            }

            delivered.Append(string.Concat(batch.Where(e => e.Kind == StreamEventKind.TextDelta).Select(e => e.Text)));
        }

        return (delivered.ToString(), null, ticket);
    }

    [Fact]
    public void Redact_EverySplitIntoTwoChunks_RedactsAll()
    {
        for (var i = 1; i < Text.Length; i++)
        {
            var (text, error, _) = Run([PiiRule(GuardAction.Redact)], [Text[..i], Text[i..]]);
            Assert.Null(error);
            Assert.Equal(Redacted, text);
        }
    }

    [Fact]
    public void Redact_OneCharacterPerChunk_RedactsAll()
    {
        var (text, _, ticket) = Run([PiiRule(GuardAction.Redact)], Text.Select(c => c.ToString()));

        Assert.Equal(Redacted, text);
        Assert.Equal("out:p/pii:redact", ticket.Summary());
    }

    [Fact]
    public void Block_SplitEmail_StopsBeforeAnyOfItIsReleased()
    {
        var (text, error, ticket) = Run([PiiRule(GuardAction.Block)], ["Contact: jane.do", "e@exam", "ple.com thanks"]);

        Assert.NotNull(error);
        Assert.Equal("guardrail_blocked", error.Value.Code);
        Assert.Contains("p/pii", error.Value.Message);
        Assert.DoesNotContain("jane", text);
        Assert.Equal("out:p/pii:block", ticket.Summary());
    }

    [Fact]
    public void Window_HoldsBackOnlyItsTail()
    {
        var ticket = new GuardTicket();
        var guard = new OutputGuard([PiiRule(GuardAction.Redact)], new Placeholders(), ticket, null);
        var batch = new List<StreamEvent> { StreamEvent.TextChunk(string.Concat(Enumerable.Repeat("plain words ", 1000))) };

        Assert.Null(guard.OnEvents(batch, end: false));

        var released = Assert.Single(batch).Text!;
        Assert.Equal(12_000 - guard.Hold, released.Length);
        Assert.Equal(Detectors.MaxPiiMatch + 1, guard.Hold);

        // The window is scanned again only once a release step has gathered past the tail; then the tail is all it keeps.
        var small = new List<StreamEvent> { StreamEvent.TextChunk(new string('a', OutputGuard.ReleaseStep - 1)) };
        Assert.Null(guard.OnEvents(small, end: false));
        Assert.Empty(small);
        var more = new List<StreamEvent> { StreamEvent.TextChunk("b") };
        Assert.Null(guard.OnEvents(more, end: false));
        Assert.Equal(OutputGuard.ReleaseStep, Assert.Single(more).Text!.Length);
    }

    [Fact]
    public void Restore_PlaceholderSplitAcrossChunks_IsPutBack()
    {
        var placeholders = new Placeholders();
        Assert.Equal("[EMAIL_1]", placeholders.For("EMAIL", "jane@example.com", restore: true));

        var (text, _, _) = Run([], ["I wrote to [EMA", "IL_1] and [EMAIL_2] stays."], placeholders);

        Assert.Equal("I wrote to jane@example.com and [EMAIL_2] stays.", text);
    }

    [Fact]
    public void Flag_RecordsAndLeavesTheText()
    {
        var (text, error, ticket) = Run([PiiRule(GuardAction.Flag)], [Text[..20], Text[20..]]);

        Assert.Null(error);
        Assert.Equal(Text, text);
        Assert.Equal("out:p/pii:flag", ticket.Summary());
    }

    [Fact]
    public void ToolCall_ReleasesTheTextBeforeIt_InOrder()
    {
        var guard = new OutputGuard([PiiRule(GuardAction.Redact)], new Placeholders(), new GuardTicket(), null);
        var batch = new List<StreamEvent> { StreamEvent.TextChunk("mail a@b.io"), StreamEvent.ToolStart(0, "call_1", "send"), StreamEvent.ToolArgs(0, "{}") };

        Assert.Null(guard.OnEvents(batch, end: false));

        Assert.Equal([StreamEventKind.TextDelta, StreamEventKind.ToolCallStart, StreamEventKind.ToolCallDelta], batch.Select(e => e.Kind));
        Assert.Equal("mail [EMAIL_1]", batch[0].Text);
    }

    [Fact]
    public void WholeAnswer_SchemaFailure_Blocks()
    {
        using var schema = System.Text.Json.JsonDocument.Parse("""{"type":"object","properties":{"n":{"type":"integer"}},"required":["n"]}""");
        var rule = new GuardRule("p/json_schema", GuardRuleKind.JsonSchema, GuardAction.Block);
        var ticket = new GuardTicket();
        var guard = new OutputGuard([rule], new Placeholders(), ticket, new SchemaCheck(schema.RootElement.Clone()));
        var good = new ChatResponse { Id = "1", Model = "m" };
        good.Content.Add(new TextPart("""{"n": 3}"""));
        var bad = new ChatResponse { Id = "2", Model = "m" };
        bad.Content.Add(new TextPart("""{"n": "three"}"""));

        Assert.Null(guard.OnAnswer(good));
        var error = new OutputGuard([rule], new Placeholders(), ticket, new SchemaCheck(schema.RootElement.Clone())).OnAnswer(bad);

        Assert.Equal(("guardrail_output_schema", 502), (error?.Code, error?.Status));
        Assert.Contains("/n", error!.Value.Message);
    }
}
