namespace Switchyard.Configuration;

/// <summary>"Did you mean" hints for misspelt keys and names: a typo should cost one glance, not a doc search.</summary>
internal static class Suggestions
{
    /// <summary>
    /// The candidate closest to <paramref name="input"/> by edit distance, if it is close enough to be a
    /// plausible typo (at most 2 edits, and fewer than half the input's length); otherwise null.
    /// </summary>
    public static string? Closest(string input, IEnumerable<string> candidates)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            var d = Distance(input.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (d < bestDistance)
            {
                best = candidate;
                bestDistance = d;
            }
        }

        var limit = Math.Min(2, Math.Max(1, input.Length / 2));
        return bestDistance <= limit ? best : null;
    }

    /// <summary>" (did you mean 'x'?)" or "" — ready to append to a message.</summary>
    public static string Hint(string input, IEnumerable<string> candidates) =>
        Closest(input, candidates) is { } s ? $" (did you mean '{s}'?)" : "";

    /// <summary>Levenshtein distance with adjacent transpositions counted as one edit (typing slips).</summary>
    private static int Distance(string a, string b)
    {
        var prev2 = new int[b.Length + 1];
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            prev[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                var v = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    v = Math.Min(v, prev2[j - 2] + 1);
                }

                cur[j] = v;
            }

            (prev2, prev, cur) = (prev, cur, prev2);
        }

        return prev[b.Length];
    }
}
