using System.Text.RegularExpressions;

namespace Switchyard.Guardrails;

/// <summary>
/// The typed placeholders of one request: the same value always gets the same placeholder (<c>[EMAIL_1]</c> each time
/// that address appears), numbered per type in order of appearance. Values of rules with <c>restore: true</c> are kept
/// (in memory, for this request only, never logged or recorded) so the answer's placeholders can be put back.
/// </summary>
internal sealed partial class Placeholders
{
    /// <summary>The label of a finding whose rule ran out of time (the scan fails closed).</summary>
    public const string TimedOut = "\0timeout";

    /// <summary>The longest placeholder <see cref="PlaceholderPattern"/> matches: the stream window holds back at least this.</summary>
    public const int MaxLength = 80;

    /// <summary>The pseudo-rule of a placeholder found in an answer, to be restored.</summary>
    private static readonly GuardRule RestoreRule = new("restore", GuardRuleKind.Regex, GuardAction.Redact);

    private readonly Dictionary<string, string> byValue = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> counters = new(StringComparer.Ordinal);
    private Dictionary<string, string>? originals;

    [GeneratedRegex(@"\[[A-Z0-9_]{1,64}_[0-9]{1,6}\]", RegexOptions.CultureInvariant, 250)]
    private static partial Regex PlaceholderPattern();

    /// <summary>Whether any placeholder is to be restored in the answer.</summary>
    public bool HasRestores => originals is { Count: > 0 };

    /// <summary>Whether <paramref name="rule"/> is the restore pseudo-rule.</summary>
    public bool IsRestore(GuardRule rule) => ReferenceEquals(rule, RestoreRule);

    /// <summary>The placeholder for <paramref name="value"/> of type <paramref name="label"/>, kept for restoring when <paramref name="restore"/>.</summary>
    public string For(string label, string value, bool restore)
    {
        if (!byValue.TryGetValue(value, out var placeholder))
        {
            var n = counters[label] = counters.GetValueOrDefault(label) + 1;
            placeholder = byValue[value] = $"[{label}_{n}]";
        }

        if (restore)
        {
            (originals ??= new(StringComparer.Ordinal))[placeholder] = value;
        }

        return placeholder;
    }

    /// <summary>The original value of <paramref name="placeholder"/> (found by <see cref="FindPlaceholders"/>).</summary>
    public string Original(ReadOnlySpan<char> placeholder) =>
        originals!.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(placeholder, out var value) ? value : placeholder.ToString();

    /// <summary>Adds the restorable placeholders in <paramref name="text"/> to <paramref name="into"/>.</summary>
    public void FindPlaceholders(string text, List<Finding> into)
    {
        if (!HasRestores || !text.Contains('['))
        {
            return;
        }

        var lookup = originals!.GetAlternateLookup<ReadOnlySpan<char>>();
        foreach (var match in PlaceholderPattern().EnumerateMatches(text))
        {
            if (lookup.ContainsKey(text.AsSpan(match.Index, match.Length)))
            {
                into.Add(new Finding(match.Index, match.Length, RestoreRule, ""));
            }
        }
    }
}
