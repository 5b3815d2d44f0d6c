using System.Numerics.Tensors;

namespace Switchyard.Cache;

/// <summary>
/// The semantic cache's vectors, in process: one partition per tenant, alias, route, namespace, system prompt and
/// parameters (<see cref="SemanticPrompt"/>), searched by brute force: the dot product of unit-length vectors is their
/// cosine similarity, computed with <see cref="TensorPrimitives.Dot(ReadOnlySpan{float}, ReadOnlySpan{float})"/> (SIMD:
/// AVX2/AVX-512 or NEON). A lookup never leaves its partition, so two tenants never see each other's entries. Bounded
/// twice: <c>max_entries</c> per partition and <c>cache.semantic_max_entries</c> in all; the least recently used entry
/// goes first (the partition's own, then the whole index's). Scans share a reader lock (a scan of a full default
/// partition, 1,000 × 1,536 floats, takes under 1 ms in bench/README.md; 10,000 about 10 ms, bound by memory
/// bandwidth), so lookups of different tenants run in parallel; an insert takes the writer lock and drops its
/// partition's expired entries. A scan skips expired entries and stamps its hit's recency without the writer lock.
/// </summary>
public sealed class SemanticIndex(TimeProvider time) : IDisposable
{
    /// <summary>The longest vector taken (larger embedding models are truncated by their <c>dimensions</c> option).</summary>
    public const int MaxDimensions = 8192;

    private readonly ReaderWriterLockSlim gate = new(LockRecursionPolicy.NoRecursion);
    private readonly Dictionary<string, List<Entry>> partitions = new(StringComparer.Ordinal);
    private int count;
    private long clock; // recency: a counter, not the time (two uses in one tick stay ordered)

    /// <summary>Entries held now, in all partitions.</summary>
    public int Count => Volatile.Read(ref count);

    /// <summary>The best entry of <paramref name="partition"/> at least <paramref name="threshold"/> similar to <paramref name="vector"/> whose prompt has <paramref name="signature"/>; null when none.</summary>
    public SemanticMatch? Find(string partition, float[] vector, PromptSignature signature, float threshold)
    {
        var now = time.GetUtcNow();
        gate.EnterReadLock();
        try
        {
            if (!partitions.TryGetValue(partition, out var entries))
            {
                return null;
            }

            Entry? best = null;
            var bestScore = float.NegativeInfinity;
            foreach (var entry in entries)
            {
                // Another length: the embedding alias changed models, and its old vectors compare with nothing.
                if (entry.Expires <= now || entry.Vector.Length != vector.Length)
                {
                    continue;
                }

                var score = TensorPrimitives.Dot(entry.Vector, vector);
                if (score >= threshold && score > bestScore && entry.Signature == signature)
                {
                    (best, bestScore) = (entry, score);
                }
            }

            if (best is null)
            {
                return null;
            }

            Volatile.Write(ref best.LastUsed, Interlocked.Increment(ref clock));
            return new SemanticMatch(best.Answer, Math.Min(bestScore, 1f));
        }
        finally
        {
            gate.ExitReadLock();
        }
    }

    /// <summary>Adds an entry, evicting the least recently used of its partition past <paramref name="maxEntries"/>, then of the index past <paramref name="maxTotal"/>.</summary>
    public void Add(string partition, float[] vector, PromptSignature signature, CachedAnswer answer, TimeSpan ttl, int maxEntries, int maxTotal)
    {
        if (ttl <= TimeSpan.Zero || vector.Length is 0 or > MaxDimensions || maxEntries <= 0 || maxTotal <= 0)
        {
            return;
        }

        var now = time.GetUtcNow();
        var entry = new Entry(vector, signature, answer, now + ttl) { LastUsed = Interlocked.Increment(ref clock) };
        gate.EnterWriteLock();
        try
        {
            if (!partitions.TryGetValue(partition, out var entries))
            {
                partitions[partition] = entries = [];
            }

            count -= entries.RemoveAll(e => e.Expires <= now);
            entries.Add(entry);
            count++;
            while (entries.Count > maxEntries)
            {
                RemoveAt(partition, entries, Oldest(entries));
            }

            while (count > maxTotal)
            {
                EvictOldestAnywhere();
            }
        }
        finally
        {
            gate.ExitWriteLock();
        }
    }

    /// <inheritdoc />
    public void Dispose() => gate.Dispose();

    private static int Oldest(List<Entry> entries)
    {
        var oldest = 0;
        for (var i = 1; i < entries.Count; i++)
        {
            if (entries[i].LastUsed < entries[oldest].LastUsed)
            {
                oldest = i;
            }
        }

        return oldest;
    }

    /// <summary>The least recently used entry of the whole index (a scan: it runs only when the index is full, after an upstream call).</summary>
    private void EvictOldestAnywhere()
    {
        string? where = null;
        var at = -1;
        var stamp = long.MaxValue;
        foreach (var (name, entries) in partitions)
        {
            var i = Oldest(entries);
            if (entries.Count > 0 && entries[i].LastUsed < stamp)
            {
                (where, at, stamp) = (name, i, entries[i].LastUsed);
            }
        }

        if (where is not null)
        {
            RemoveAt(where, partitions[where], at);
        }
    }

    private void RemoveAt(string partition, List<Entry> entries, int index)
    {
        entries.RemoveAt(index);
        count--;
        if (entries.Count == 0)
        {
            partitions.Remove(partition);
        }
    }

    private sealed class Entry(float[] vector, PromptSignature signature, CachedAnswer answer, DateTimeOffset expires)
    {
        public float[] Vector { get; } = vector;

        public PromptSignature Signature { get; } = signature;

        public CachedAnswer Answer { get; } = answer;

        public DateTimeOffset Expires { get; } = expires;

        public long LastUsed; // a field: scans under the reader lock stamp it with Volatile.Write
    }
}

/// <summary>A semantic hit: the stored answer and how similar its prompt was (cosine, at most 1).</summary>
/// <param name="Answer">The stored answer.</param>
/// <param name="Similarity">The cosine similarity of the two prompts' embeddings.</param>
public sealed record SemanticMatch(CachedAnswer Answer, float Similarity);
