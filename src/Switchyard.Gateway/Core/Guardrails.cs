using System.Text.RegularExpressions;
using Switchyard.Canonical;

namespace Switchyard.Core;

/// <summary>What a guardrail rule does when it finds something (docs/adr/0016-guardrails.md).</summary>
public enum GuardAction
{
    /// <summary>Refuse: a 400 in the caller's format for input (nothing sent upstream); an error event or error answer for output.</summary>
    Block,

    /// <summary>Replace what was found with a typed placeholder (<c>[EMAIL_1]</c>), optionally restored in the answer.</summary>
    Redact,

    /// <summary>Record only: the request goes on unchanged.</summary>
    Flag,
}

/// <summary>The kinds of rule a policy may hold.</summary>
public enum GuardRuleKind
{
    /// <summary>Personal data by pattern and checksum (email, phone, card with Luhn, IBAN with mod-97, national ids).</summary>
    Pii,

    /// <summary>API keys and secrets by known prefixes, and long high-entropy tokens.</summary>
    Secrets,

    /// <summary>An operator's regular expression (non-backtracking, so linear in the text).</summary>
    Regex,

    /// <summary>Whole-word keywords, case-insensitive.</summary>
    Keywords,

    /// <summary>At most this many characters of prompt text (input only).</summary>
    MaxChars,

    /// <summary>At most this many prompt tokens, by the gateway's token counter (input only).</summary>
    MaxTokens,

    /// <summary>The answer must validate against the request's <c>response_format</c> JSON schema (output only).</summary>
    JsonSchema,

    /// <summary>A moderation call (OpenAI <c>/v1/moderations</c> shape) through another alias, with a deadline (input only).</summary>
    Moderation,
}

/// <summary>The personal data the <see cref="GuardRuleKind.Pii"/> rule can detect.</summary>
[Flags]
public enum PiiKinds
{
    /// <summary>Nothing.</summary>
    None = 0,

    /// <summary>Email addresses.</summary>
    Email = 1,

    /// <summary>Phone numbers (10 to 15 digits, or 8 to 15 after a <c>+</c>).</summary>
    Phone = 2,

    /// <summary>Payment card numbers (13 to 19 digits passing the Luhn check).</summary>
    Card = 4,

    /// <summary>IBANs (passing the ISO 13616 mod-97 check).</summary>
    Iban = 8,

    /// <summary>US Social Security numbers (AAA-GG-SSSS, the SSA's invalid ranges excluded).</summary>
    UsSsn = 16,

    /// <summary>UK National Insurance numbers (HMRC's prefix rules).</summary>
    UkNino = 32,

    /// <summary>Every kind.</summary>
    All = Email | Phone | Card | Iban | UsSsn | UkNino,
}

/// <summary>
/// One rule of a guardrail policy, as bound and compiled at load: what it detects, what it does, and its settings.
/// </summary>
/// <param name="Name">The rule's name, <c>POLICY/RULE</c> (recorded, named in refusals); the rule's own part defaults to its kind.</param>
/// <param name="Kind">What it checks.</param>
/// <param name="Action">What happens when it fires.</param>
public sealed record GuardRule(string Name, GuardRuleKind Kind, GuardAction Action)
{
    /// <summary>The placeholder type of a <c>regex</c> or <c>keywords</c> rule: its own name in capitals (<c>[PROJECT_CODE_1]</c>).</summary>
    public string Label { get; init; } = "REDACTED";

    /// <summary><see cref="GuardRuleKind.Pii"/>: which kinds to detect.</summary>
    public PiiKinds Pii { get; init; } = PiiKinds.All;

    /// <summary><see cref="GuardRuleKind.Regex"/> and <see cref="GuardRuleKind.Keywords"/>: the compiled, non-backtracking pattern.</summary>
    public Regex? Pattern { get; init; }

    /// <summary>
    /// The longest match the rule can make, in characters: how much of a stream the sliding window must hold back
    /// for this rule (a <c>regex</c>'s declared <c>max_length</c>, the longest keyword, the built-in detectors' bounds).
    /// </summary>
    public int MaxMatch { get; init; }

    /// <summary><see cref="GuardRuleKind.MaxChars"/> and <see cref="GuardRuleKind.MaxTokens"/>: the limit.</summary>
    public long Limit { get; init; }

    /// <summary>Input <see cref="GuardAction.Redact"/>: put the original values back where the answer repeats a placeholder.</summary>
    public bool Restore { get; init; }

    /// <summary><see cref="GuardRuleKind.Secrets"/>: the Shannon entropy (bits per character) from which a long token counts as a secret.</summary>
    public double MinEntropy { get; init; } = 4.0;

    /// <summary><see cref="GuardRuleKind.Moderation"/>: the alias that answers the moderation call.</summary>
    public string? Alias { get; init; }

    /// <summary><see cref="GuardRuleKind.Moderation"/>: how long the call may take.</summary>
    public TimeSpan Deadline { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary><see cref="GuardRuleKind.Moderation"/>: block (503) or allow when the call times out or fails.</summary>
    public bool BlockOnTimeout { get; init; }
}

/// <summary>A named guardrail policy (<c>guardrails.NAME</c>): rules on the prompt and rules on the answer.</summary>
public sealed record GuardrailPolicy(string Name, IReadOnlyList<GuardRule> Input, IReadOnlyList<GuardRule> Output);

/// <summary>Where a guardrail acted.</summary>
public enum GuardWhere
{
    /// <summary>On the request, before anything was sent.</summary>
    Input,

    /// <summary>On the answer.</summary>
    Output,
}

/// <summary>One thing a guardrail did (recorded in the usage record's <c>guardrails</c> column and counted in metrics).</summary>
/// <param name="Where">Input or output.</param>
/// <param name="Rule">The rule's name.</param>
/// <param name="Action"><c>block</c>, <c>redact</c>, <c>flag</c>, or <c>timeout-allow</c> / <c>timeout-block</c> for a moderation deadline.</param>
public readonly record struct GuardEvent(GuardWhere Where, string Rule, string Action)
{
    /// <summary><c>in:RULE:ACTION</c> or <c>out:RULE:ACTION</c>.</summary>
    public override string ToString() => $"{(Where == GuardWhere.Input ? "in" : "out")}:{Rule}:{Action}";
}

/// <summary>
/// Checks a committed answer on its way to the client (Dispatch calls it; Guardrails implements it). Streams are
/// checked in a sliding window: text is held back only as far as the longest rule needs, never the whole stream.
/// </summary>
public interface IOutputGuard
{
    /// <summary>
    /// Rewrites <paramref name="pending"/> (decoded, not yet written) in place: text passes through the window
    /// (redacted, restored, or held back for the next batch); <paramref name="end"/> releases all of it. Null to go on;
    /// else the error that ends the stream (an explicit error event in the client's format).
    /// </summary>
    ClientError? OnEvents(List<StreamEvent> pending, bool end);

    /// <summary>Checks (and may rewrite) a whole answer before it is written; null to go on, else the error to answer instead.</summary>
    ClientError? OnAnswer(ChatResponse answer);
}

/// <summary>Guardrails' part in one request (<see cref="GatewayContext.Guard"/>): what they did and what Dispatch must do.</summary>
public sealed class GuardTicket
{
    private List<GuardEvent>? events;

    /// <summary>
    /// The request must take the translated path even where it could pass through: the prompt was redacted (the
    /// canonical request differs from the body), or an output rule must read the answer's text.
    /// </summary>
    public bool Translate { get; set; }

    /// <summary>The answer's guard; null when no output rule applies and nothing is to be restored.</summary>
    public IOutputGuard? Output { get; set; }

    /// <summary>What the guardrails did, in order, without repeats.</summary>
    public IReadOnlyList<GuardEvent> Events => events ?? (IReadOnlyList<GuardEvent>)[];

    /// <summary>Records <paramref name="e"/> once (the same rule redacting five emails is one entry).</summary>
    public void Record(GuardEvent e)
    {
        events ??= [];
        lock (events)
        {
            if (!events.Contains(e))
            {
                events.Add(e);
            }
        }
    }

    /// <summary>The record's column: the events, comma-separated; null when none.</summary>
    public string? Summary() => events is { Count: > 0 } list ? string.Join(",", list) : null;
}

/// <summary>Counts a canonical request's prompt tokens the way Settle estimates them (Usage implements it; Guardrails reads it).</summary>
public interface IPromptTokens
{
    /// <summary>Prompt tokens of <paramref name="request"/> with the tokenizer of <paramref name="model"/>.</summary>
    long PromptTokens(ChatRequest request, string? model);
}
