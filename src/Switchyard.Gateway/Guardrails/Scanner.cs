using System.Text;
using System.Text.RegularExpressions;

namespace Switchyard.Guardrails;

/// <summary>
/// Runs text rules (PII, secrets, regex, keywords) over a text and applies their actions: the first <c>block</c>
/// stops, <c>redact</c> swaps in a typed placeholder, <c>flag</c> is recorded. Findings are ordered by position and
/// overlaps resolved (the earlier wins, then the longer, then the rule listed first), so one span is acted on once.
/// </summary>
internal static class Scanner
{
    /// <summary>What a scan found to act on in <c>[0, upTo)</c> of a text.</summary>
    public readonly record struct Result(string Text, GuardRule? Blocked, string? BlockedLabel);

    /// <summary>Findings of <paramref name="rules"/> (text rules only) and of placeholders to restore, in order, without overlaps.</summary>
    public static List<Finding> Scan(IReadOnlyList<GuardRule> rules, string text, Placeholders? restore)
    {
        var found = new List<Finding>();
        foreach (var rule in rules)
        {
            if (!IsTextRule(rule.Kind))
            {
                continue;
            }

            try
            {
                Detectors.Find(rule, text, found);
            }
            catch (RegexMatchTimeoutException)
            {
                // Fail closed: a text the rule could not finish reading is refused under its name, whatever its action.
                found.Add(new Finding(0, 0, rule, Placeholders.TimedOut));
            }
        }

        restore?.FindPlaceholders(text, found);
        return found.Count <= 1 ? found : WithoutOverlaps(found);
    }

    /// <summary>Whether <paramref name="kind"/> reads text for spans (the others check sizes, schemas, or call out).</summary>
    public static bool IsTextRule(GuardRuleKind kind) =>
        kind is GuardRuleKind.Pii or GuardRuleKind.Secrets or GuardRuleKind.Regex or GuardRuleKind.Keywords;

    /// <summary>
    /// Applies the findings that start before <paramref name="upTo"/> to <c>text[0..upTo]</c>: the text with redactions
    /// and restorations, or the rule that blocks it. Every action is recorded on <paramref name="ticket"/>.
    /// </summary>
    public static Result Apply(string text, int upTo, List<Finding> findings, Placeholders placeholders, GuardTicket ticket, GuardWhere where)
    {
        StringBuilder? rewritten = null;
        var copied = 0;
        foreach (var f in findings)
        {
            if (f.Start >= upTo)
            {
                break;
            }

            if (f.Label == Placeholders.TimedOut || (f.Rule.Action == GuardAction.Block && !placeholders.IsRestore(f.Rule)))
            {
                ticket.Record(new GuardEvent(where, f.Rule.Name, "block"));
                return new Result(text, f.Rule, f.Label);
            }

            if (f.Rule.Action == GuardAction.Flag)
            {
                ticket.Record(new GuardEvent(where, f.Rule.Name, "flag"));
                continue;
            }

            var replacement = placeholders.IsRestore(f.Rule)
                ? placeholders.Original(text.AsSpan(f.Start, f.Length))
                : placeholders.For(f.Label, text.Substring(f.Start, f.Length), f.Rule.Restore);
            if (!placeholders.IsRestore(f.Rule))
            {
                ticket.Record(new GuardEvent(where, f.Rule.Name, "redact"));
            }

            rewritten ??= new StringBuilder(text.Length + 16);
            rewritten.Append(text, copied, f.Start - copied).Append(replacement);
            copied = f.End;
        }

        if (rewritten is null)
        {
            return new Result(upTo == text.Length ? text : text[..upTo], null, null);
        }

        rewritten.Append(text, copied, Math.Max(0, upTo - copied));
        return new Result(rewritten.ToString(), null, null);
    }

    private static List<Finding> WithoutOverlaps(List<Finding> found)
    {
        var ordered = found.Select((f, i) => (f, i)).OrderBy(x => x.f.Start).ThenByDescending(x => x.f.Length).ThenBy(x => x.i).Select(x => x.f);
        var kept = new List<Finding>(found.Count);
        var end = -1;
        foreach (var f in ordered)
        {
            if (f.Start >= end || f.Label == Placeholders.TimedOut)
            {
                kept.Add(f);
                end = Math.Max(end, f.End);
            }
        }

        return kept;
    }
}
