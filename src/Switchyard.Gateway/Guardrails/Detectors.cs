using System.Text.RegularExpressions;

namespace Switchyard.Guardrails;

/// <summary>Something a rule found in a text: where, which rule, and the placeholder's type (<c>EMAIL</c>, <c>CARD</c>, ...).</summary>
internal readonly record struct Finding(int Start, int Length, GuardRule Rule, string Label)
{
    public int End => Start + Length;
}

/// <summary>
/// The built-in detectors. Every pattern is source-generated, has bounded quantifiers only (so it cannot match more
/// than <see cref="MaxPiiMatch"/> or <see cref="MaxSecretMatch"/> characters: the stream window's hold-back) and a match
/// timeout, so a hostile prompt costs time linear in its length and never stalls a core. Candidates are then checked
/// the way their issuers define them: Luhn for cards, ISO 13616 mod-97 for IBANs, the SSA's never-issued ranges for
/// US SSNs, HMRC's prefix rules for UK NINOs. Operators' own rules are compiled non-backtracking at load.
/// </summary>
internal static partial class Detectors
{
    /// <summary>
    /// The longest PII match: an email of 64 + 1 + 63 + 3 × 64 + 1 + 24 = 345 characters (the others are shorter), plus the
    /// one character a boundary looks at.
    /// </summary>
    public const int MaxPiiMatch = 346;

    /// <summary>The longest secret match: a prefixed token of up to 255 characters after its prefix of up to 11.</summary>
    public const int MaxSecretMatch = 267;

    private const int TimeoutMs = 250;

    /// <summary>
    /// Text is read in segments of this many characters (each seeing one bound's worth past its end): a match timeout
    /// covers one search, which without segments would span a whole megabyte prompt that holds no match, so the
    /// timeout bounds a segment's work (~16 K positions × a bounded pattern) instead of the prompt's.
    /// </summary>
    private const int Segment = 16 * 1024;

    [GeneratedRegex(@"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,3}\.[A-Za-z]{2,24}(?![A-Za-z0-9-])",
        RegexOptions.CultureInvariant, TimeoutMs)]
    private static partial Regex Email();

    [GeneratedRegex(@"(?<![\w+])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{2,4}(?:[ .-]?\d{2,4}){1,5}(?![\w])", RegexOptions.CultureInvariant, TimeoutMs)]
    private static partial Regex Phone();

    [GeneratedRegex(@"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d])", RegexOptions.CultureInvariant, TimeoutMs)]
    private static partial Regex Card();

    [GeneratedRegex(@"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}(?![A-Za-z0-9])", RegexOptions.CultureInvariant, TimeoutMs)]
    private static partial Regex Iban();

    [GeneratedRegex(@"(?<![\d-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\d-])", RegexOptions.CultureInvariant, TimeoutMs)]
    private static partial Regex UsSsn();

    [GeneratedRegex(@"(?<![A-Za-z0-9])(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D](?![A-Za-z0-9])",
        RegexOptions.CultureInvariant, TimeoutMs)]
    private static partial Regex UkNino();

    /// <summary>
    /// Known key prefixes: OpenAI and Anthropic (<c>sk-</c>, <c>sk-proj-</c>, <c>sk-ant-</c>), AWS access key ids
    /// (<c>AKIA</c>, <c>ASIA</c>), GitHub tokens (<c>ghp_</c>, <c>gho_</c>, <c>ghu_</c>, <c>ghs_</c>, <c>ghr_</c>,
    /// <c>github_pat_</c>), Slack (<c>xoxb-</c>, <c>xoxp-</c>, ...), Google API keys (<c>AIza</c>), GitLab (<c>glpat-</c>).
    /// </summary>
    [GeneratedRegex(@"(?<![A-Za-z0-9_-])(?:sk-[A-Za-z0-9_-]{20,255}|A(?:KIA|SIA)[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255}|xox[abposr]-[A-Za-z0-9-]{10,255}|AIza[0-9A-Za-z_-]{35}|glpat-[A-Za-z0-9_-]{20,255})(?![A-Za-z0-9_-])",
        RegexOptions.CultureInvariant, TimeoutMs)]
    private static partial Regex SecretPrefix();

    /// <summary>A long token of key-like characters: a secret when its entropy is high and it mixes letters and digits.</summary>
    [GeneratedRegex(@"(?<![A-Za-z0-9+/_=-])[A-Za-z0-9+/_=-]{24,255}(?![A-Za-z0-9+/_=-])", RegexOptions.CultureInvariant, TimeoutMs)]
    private static partial Regex LongToken();

    /// <summary>Adds what <paramref name="rule"/> finds in <paramref name="text"/> to <paramref name="into"/>.</summary>
    public static void Find(GuardRule rule, string text, List<Finding> into)
    {
        switch (rule.Kind)
        {
            case GuardRuleKind.Pii:
                FindPii(rule, text, into);
                break;
            case GuardRuleKind.Secrets:
                Matches(SecretPrefix(), rule, text, "SECRET", into, null);
                Matches(LongToken(), rule, text, "SECRET", into, token => IsHighEntropy(token, rule.MinEntropy));
                break;
            case GuardRuleKind.Regex or GuardRuleKind.Keywords when rule.Pattern is { } pattern:
                Matches(pattern, rule, text, rule.Label, into, null);
                break;
        }
    }

    private static void FindPii(GuardRule rule, string text, List<Finding> into)
    {
        var kinds = rule.Pii;
        if ((kinds & PiiKinds.Email) != 0)
        {
            Matches(Email(), rule, text, "EMAIL", into, null);
        }

        if ((kinds & PiiKinds.Card) != 0)
        {
            Matches(Card(), rule, text, "CARD", into, Checksums.Luhn);
        }

        if ((kinds & PiiKinds.Iban) != 0)
        {
            Matches(Iban(), rule, text, "IBAN", into, Checksums.Iban);
        }

        if ((kinds & PiiKinds.UsSsn) != 0)
        {
            Matches(UsSsn(), rule, text, "US_SSN", into, null);
        }

        if ((kinds & PiiKinds.UkNino) != 0)
        {
            Matches(UkNino(), rule, text, "UK_NINO", into, null);
        }

        if ((kinds & PiiKinds.Phone) != 0)
        {
            Matches(Phone(), rule, text, "PHONE", into, Checksums.PhoneDigits);
        }
    }

    private static void Matches(Regex regex, GuardRule rule, string text, string label, List<Finding> into, Func<ReadOnlySpan<char>, bool>? valid)
    {
        var overlap = Math.Max(MaxPiiMatch, rule.MaxMatch) + 1;
        for (var start = 0; start < text.Length; start += Segment)
        {
            // The span starts at 0 so lookbehinds see what precedes the segment; it ends one bound past the segment, so a
            // match that starts inside it is whole. Matches starting past the segment are the next segment's.
            var span = text.AsSpan(0, Math.Min(text.Length, start + Segment + overlap));
            foreach (var match in regex.EnumerateMatches(span, start))
            {
                if (match.Index >= start + Segment)
                {
                    break;
                }

                if (valid is null || valid(text.AsSpan(match.Index, match.Length)))
                {
                    into.Add(new Finding(match.Index, match.Length, rule, label));
                }
            }
        }
    }

    /// <summary>Shannon entropy of <paramref name="token"/> in bits per character, and a mix of letters and digits (not a word or a number).</summary>
    internal static bool IsHighEntropy(ReadOnlySpan<char> token, double min)
    {
        Span<int> counts = stackalloc int[128];
        bool letter = false, digit = false;
        foreach (var c in token)
        {
            counts[c & 127]++;
            letter |= char.IsAsciiLetter(c);
            digit |= char.IsAsciiDigit(c);
        }

        var entropy = 0.0;
        foreach (var n in counts)
        {
            if (n > 0)
            {
                var p = (double)n / token.Length;
                entropy -= p * Math.Log2(p);
            }
        }

        return letter && digit && entropy >= min;
    }

    /// <summary>The placeholder type of an operator's rule: its name in capitals, other characters as <c>_</c>.</summary>
    internal static string LabelOf(string name) =>
        string.Create(name.Length, name, static (span, n) =>
        {
            for (var i = 0; i < n.Length; i++)
            {
                span[i] = char.IsAsciiLetterOrDigit(n[i]) ? char.ToUpperInvariant(n[i]) : '_';
            }
        });
}
