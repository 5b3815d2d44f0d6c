using System.Text;
using Switchyard.Canonical;

namespace Switchyard.Guardrails;

/// <summary>
/// The answer's guard (docs/adr/0016-guardrails.md). A stream's text goes through a sliding window: each batch of
/// decoded events is appended, scanned, and released except for the last <see cref="Hold"/> characters (the longest
/// match a rule or a placeholder can make, plus one for a boundary), which wait for the next batch; so an email split
/// over two chunks is seen whole, and the stream is never buffered beyond that tail. A non-text event (a tool call, the
/// finish) releases the whole tail first, so events keep their order. A whole answer is scanned at once.
/// </summary>
internal sealed class OutputGuard : IOutputGuard
{
    private readonly IReadOnlyList<GuardRule> rules;
    private readonly Placeholders placeholders;
    private readonly GuardTicket ticket;
    private readonly GuardRule? schemaRule;
    private readonly SchemaCheck? schema;
    private readonly List<StreamEvent> output = [];
    private readonly StringBuilder held = new();
    private StringBuilder? whole;

    /// <summary>Builds the guard for <paramref name="rules"/> (output rules of every policy that applies).</summary>
    public OutputGuard(IReadOnlyList<GuardRule> rules, Placeholders placeholders, GuardTicket ticket, SchemaCheck? schema)
    {
        this.rules = rules;
        this.placeholders = placeholders;
        this.ticket = ticket;
        var longest = placeholders.HasRestores ? Placeholders.MaxLength : 0;
        foreach (var rule in rules)
        {
            longest = Math.Max(longest, Scanner.IsTextRule(rule.Kind) ? rule.MaxMatch : 0);
            schemaRule ??= rule.Kind == GuardRuleKind.JsonSchema ? rule : null;
        }

        this.schema = schemaRule is null ? null : schema;
        Hold = longest + 1;
    }

    /// <summary>Characters of a stream's text held back between batches.</summary>
    public int Hold { get; }

    /// <summary>
    /// The window is scanned once at least this many characters past <see cref="Hold"/> are waiting, not at every delta:
    /// each scan reads the whole window, so releasing in steps of 128 characters instead of a delta's ~20 cuts the scans
    /// (and the guard's CPU per chunk) about six times, for at most 128 more characters of delay (bench/README.md).
    /// </summary>
    public const int ReleaseStep = 128;

    /// <inheritdoc />
    public ClientError? OnEvents(List<StreamEvent> pending, bool end)
    {
        output.Clear();
        foreach (var e in pending)
        {
            if (e.Kind == StreamEventKind.TextDelta)
            {
                held.Append(e.Text);
                continue;
            }

            var final = e.Kind is not (StreamEventKind.Start or StreamEventKind.Usage or StreamEventKind.ThinkingDelta or StreamEventKind.ThinkingSignature);
            var stop = Release(final) ?? (e.Kind == StreamEventKind.Finish ? CheckSchema() : null);
            if (stop is not null)
            {
                return stop;
            }

            output.Add(e);
        }

        if (Release(end) is { } blocked)
        {
            return blocked;
        }

        pending.Clear();
        pending.AddRange(output);
        return null;
    }

    /// <inheritdoc />
    public ClientError? OnAnswer(ChatResponse answer)
    {
        for (var i = 0; i < answer.Content.Count; i++)
        {
            if (answer.Content[i] is not TextPart text)
            {
                continue;
            }

            var found = Scanner.Scan(rules, text.Text, placeholders);
            var result = Scanner.Apply(text.Text, text.Text.Length, found, placeholders, ticket, GuardWhere.Output);
            if (result.Blocked is { } rule)
            {
                return Blocked(rule, result.BlockedLabel);
            }

            answer.Content[i] = text with { Text = result.Text };
            (whole ??= new()).Append(result.Text);
        }

        return CheckSchema();
    }

    /// <summary>Releases the held text: all of it when <paramref name="final"/>, else all but the window's tail (never cutting a finding).</summary>
    private ClientError? Release(bool final)
    {
        if (held.Length == 0 || (!final && held.Length < Hold + ReleaseStep))
        {
            return null;
        }

        var text = held.ToString();
        var found = Scanner.Scan(rules, text, placeholders);
        var cut = final ? text.Length : text.Length - Hold;
        foreach (var f in found)
        {
            cut = f.Start < cut && f.End > cut ? f.End : cut;
        }

        var result = Scanner.Apply(text, cut, found, placeholders, ticket, GuardWhere.Output);
        if (result.Blocked is { } rule)
        {
            return Blocked(rule, result.BlockedLabel);
        }

        held.Remove(0, cut);
        if (result.Text.Length > 0)
        {
            output.Add(StreamEvent.TextChunk(result.Text));
            Keep(result.Text);
        }

        return null;
    }

    /// <summary>Keeps the released text for the schema check at the end (bounded by <see cref="SchemaCheck.MaxText"/>).</summary>
    private void Keep(string text)
    {
        if (schema is not null && (whole ??= new()).Length <= SchemaCheck.MaxText)
        {
            whole.Append(text);
        }
    }

    private ClientError? CheckSchema()
    {
        if (schema is null || schemaRule is null)
        {
            return null;
        }

        var text = whole?.ToString() ?? "";
        var failure = text.Length > SchemaCheck.MaxText ? "the answer is larger than the 4 MiB the gateway validates" : schema.Failure(text);
        if (failure is null)
        {
            return null;
        }

        if (schemaRule.Action == GuardAction.Flag)
        {
            ticket.Record(new GuardEvent(GuardWhere.Output, schemaRule.Name, "flag"));
            return null;
        }

        ticket.Record(new GuardEvent(GuardWhere.Output, schemaRule.Name, "block"));
        return new ClientError(502, ErrorCategory.ServerError,
            $"The answer was stopped by guardrail rule '{schemaRule.Name}': {failure}.", null, "guardrail_output_schema");
    }

    private static ClientError Blocked(GuardRule rule, string? label) => new(400, ErrorCategory.InvalidRequest,
        $"The answer was stopped by guardrail rule '{rule.Name}'{What(label)}.", null, "guardrail_blocked");

    /// <summary>What was found, by its type, never its value.</summary>
    internal static string What(string? label) => label switch
    {
        Placeholders.TimedOut => ": the rule could not finish reading the text in time",
        null or "" => "",
        _ => $": it contains {label.ToLowerInvariant().Replace('_', ' ')} content",
    };
}
