using System.Buffers.Binary;

namespace Switchyard.Cache;

/// <summary>
/// The default <see cref="IResponseCache"/>: in process, bounded in bytes (<c>cache.max_bytes</c>), least recently used
/// evicted first, each entry expiring at its own time (<see cref="TimeProvider"/>: a test moves the clock, nothing
/// sleeps). One lock around a dictionary and a linked list: a lookup or store is a hash probe and a few pointer moves,
/// far below the cost of the JSON work around it. Expired entries go when met or when eviction reaches them.
/// </summary>
public sealed class MemoryResponseCache(TimeProvider time) : IResponseCache
{
    /// <summary>Bookkeeping per entry besides the answer (dictionary slot, list node, key, expiry).</summary>
    internal const int EntryOverhead = 160;

    private readonly Lock gate = new();
    private readonly Dictionary<Digest, LinkedListNode<Entry>> entries = [];
    private readonly LinkedList<Entry> recency = new(); // most recently used first
    private long bytes;

    /// <inheritdoc />
    public int Count
    {
        get
        {
            lock (gate)
            {
                return entries.Count;
            }
        }
    }

    /// <inheritdoc />
    public long Bytes => Volatile.Read(ref bytes);

    /// <inheritdoc />
    public ValueTask<CachedAnswer?> GetAsync(byte[] key, RouteTable table) => ValueTask.FromResult(Get(key));

    /// <summary>The live entry under <paramref name="key"/>, or null (absent or expired).</summary>
    public CachedAnswer? Get(ReadOnlySpan<byte> key)
    {
        var digest = Digest.Of(key);
        var now = time.GetUtcNow();
        lock (gate)
        {
            if (!entries.TryGetValue(digest, out var node))
            {
                return null;
            }

            if (node.Value.Expires <= now)
            {
                Remove(node);
                return null;
            }

            recency.Remove(node);
            recency.AddFirst(node);
            return node.Value.Answer;
        }
    }

    /// <inheritdoc />
    public void Put(ReadOnlySpan<byte> key, CachedAnswer answer, TimeSpan ttl, CacheSettings settings)
    {
        var size = answer.SizeBytes + EntryOverhead;
        if (ttl <= TimeSpan.Zero || size > settings.MaxEntryBytes || size > settings.MaxBytes)
        {
            return;
        }

        var digest = Digest.Of(key);
        var entry = new Entry(digest, answer, time.GetUtcNow() + ttl, size);
        lock (gate)
        {
            if (entries.TryGetValue(digest, out var old))
            {
                Remove(old);
            }

            var node = recency.AddFirst(entry);
            entries[digest] = node;
            bytes += size;
            while (bytes > settings.MaxBytes && recency.Last is { } last)
            {
                Remove(last); // least recently used first
            }
        }
    }

    private void Remove(LinkedListNode<Entry> node)
    {
        recency.Remove(node);
        entries.Remove(node.Value.Key);
        bytes -= node.Value.Size;
    }

    private sealed record Entry(Digest Key, CachedAnswer Answer, DateTimeOffset Expires, long Size);

    /// <summary>A SHA-256 digest as four words: a dictionary key without a string per lookup.</summary>
    private readonly record struct Digest(ulong A, ulong B, ulong C, ulong D)
    {
        public static Digest Of(ReadOnlySpan<byte> key) => key.Length != 32
            ? throw new ArgumentException("a cache key is a 32-byte SHA-256 digest", nameof(key))
            : new Digest(BinaryPrimitives.ReadUInt64LittleEndian(key), BinaryPrimitives.ReadUInt64LittleEndian(key[8..]),
                BinaryPrimitives.ReadUInt64LittleEndian(key[16..]), BinaryPrimitives.ReadUInt64LittleEndian(key[24..]));
    }
}
