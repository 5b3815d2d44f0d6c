namespace Switchyard.Routing.Strategies;

/// <summary>
/// The in-place building blocks strategies order a tier with. Tiers are a handful of deployments, so
/// insertion-style loops beat anything cleverer, and working in the caller's span (stack memory for
/// tiers up to <see cref="StackLimit"/>) keeps ordering free of allocations.
/// </summary>
public static class TierOrder
{
    /// <summary>Tiers up to this many deployments keep their scratch keys on the stack (<c>stackalloc</c>).</summary>
    public const int StackLimit = 64;

    /// <summary>
    /// Weighted order without replacement: each pick is proportional to the weights left. A pick is moved to
    /// the front of what is left by shifting the rest down (not by a swap), so the remaining deployments stay
    /// in config order and a seeded <see cref="Random"/> gives the same order as picking from a list would.
    /// </summary>
    public static void ShuffleByWeight(Span<int> tier, int[] weights, Random random)
    {
        var remaining = 0;
        foreach (var i in tier)
        {
            remaining += weights[i];
        }

        // The last position needs no draw: only one deployment is left for it.
        for (var p = 0; p < tier.Length - 1; p++)
        {
            var roll = random.Next(remaining);
            var k = p;
            while (roll >= weights[tier[k]])
            {
                roll -= weights[tier[k]];
                k++;
            }

            var picked = tier[k];
            remaining -= weights[picked];
            tier[p..k].CopyTo(tier[(p + 1)..]); // overlapping copy is safe: CopyTo behaves like memmove
            tier[p] = picked;
        }
    }

    /// <summary>
    /// Sorts <paramref name="tier"/> by <paramref name="keys"/> (one per entry, moved along with it), smallest
    /// first or, with <paramref name="descending"/>, largest first. Stable: deployments with equal keys keep
    /// the order they came in (usually a weighted-random one, so ties are broken by weight).
    /// </summary>
    public static void SortBy<TKey>(Span<int> tier, Span<TKey> keys, bool descending = false)
        where TKey : IComparable<TKey>
    {
        for (var i = 1; i < tier.Length; i++)
        {
            var entry = tier[i];
            var key = keys[i];
            var j = i - 1;
            while (j >= 0 && Before(key, keys[j], descending))
            {
                tier[j + 1] = tier[j];
                keys[j + 1] = keys[j];
                j--;
            }

            tier[j + 1] = entry;
            keys[j + 1] = key;
        }
    }

    /// <summary>True when <paramref name="key"/> belongs strictly before <paramref name="other"/> (equal never moves: stability).</summary>
    private static bool Before<TKey>(TKey key, TKey other, bool descending)
        where TKey : IComparable<TKey>
    {
        var c = key.CompareTo(other);
        return descending ? c > 0 : c < 0;
    }
}
