using System.Collections.Concurrent;

namespace Switchyard.Observability;

/// <summary>
/// Bounds the values one label may take: the first <c>max</c> distinct values keep their name, every later one is
/// reported as <see cref="GenAiNames.Other"/>. Every series costs memory in the gateway and in the metrics store for
/// as long as the process runs, so a label whose values are not fixed by the configuration (key ids once keys come
/// from an admin API, team ids, error codes) goes through one of these. Thread-safe; a race may admit a few values
/// past the bound, never an unbounded number.
/// </summary>
internal sealed class LabelBudget(int max)
{
    private readonly ConcurrentDictionary<string, string> admitted = new(StringComparer.Ordinal);
    private int count;

    /// <summary>The label value for <paramref name="value"/> (<c>none</c> when there is none).</summary>
    public string Of(string? value)
    {
        if (value is null)
        {
            return "none";
        }

        if (admitted.TryGetValue(value, out var known))
        {
            return known;
        }

        if (Volatile.Read(ref count) >= max)
        {
            return GenAiNames.Other;
        }

        if (admitted.TryAdd(value, value))
        {
            Interlocked.Increment(ref count);
        }

        return value;
    }
}
