using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using Switchyard.Cache;
using Switchyard.Canonical;

namespace Switchyard.Tests.Cache;

/// <summary>The in-memory store: TTL on the injected clock, a byte bound with least-recently-used eviction.</summary>
public sealed class MemoryResponseCacheTests
{
    private static readonly CacheSettings Roomy = new(1024 * 1024, 64 * 1024);

    private static byte[] K(string name) => SHA256.HashData(Encoding.UTF8.GetBytes(name));

    private static CachedAnswer Answer(long size) =>
        new([StreamEvent.TextChunk("x")], "m", default, CacheTestKit.Deployment(), size);

    [Fact]
    public void Get_BeforeAndAfterTtl_HitThenMiss()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var cache = new MemoryResponseCache(time);
        cache.Put(K("a"), Answer(100), TimeSpan.FromMinutes(10), Roomy);

        time.Advance(TimeSpan.FromMinutes(10) - TimeSpan.FromSeconds(1));
        Assert.NotNull(cache.Get(K("a")));

        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(cache.Get(K("a")));
        Assert.Equal(0, cache.Count);
        Assert.Equal(0, cache.Bytes);
    }

    [Fact]
    public void Put_OverTheByteBound_EvictsLeastRecentlyUsed()
    {
        var cache = new MemoryResponseCache(new FakeTimeProvider());
        var entry = 1000 - MemoryResponseCache.EntryOverhead; // 1,000 bytes each with bookkeeping
        var bound = new CacheSettings(3000, 3000);
        cache.Put(K("a"), Answer(entry), TimeSpan.FromHours(1), bound);
        cache.Put(K("b"), Answer(entry), TimeSpan.FromHours(1), bound);
        cache.Put(K("c"), Answer(entry), TimeSpan.FromHours(1), bound);
        Assert.NotNull(cache.Get(K("a"))); // a is now the most recently used; b the least

        cache.Put(K("d"), Answer(entry), TimeSpan.FromHours(1), bound);

        Assert.Null(cache.Get(K("b")));
        Assert.NotNull(cache.Get(K("a")));
        Assert.NotNull(cache.Get(K("c")));
        Assert.NotNull(cache.Get(K("d")));
        Assert.Equal(3, cache.Count);
        Assert.Equal(3000, cache.Bytes);
    }

    [Fact]
    public void Put_EntryLargerThanItsBound_NotStored()
    {
        var cache = new MemoryResponseCache(new FakeTimeProvider());
        cache.Put(K("big"), Answer(5000), TimeSpan.FromHours(1), new CacheSettings(1024 * 1024, 4096));

        Assert.Null(cache.Get(K("big")));
        Assert.Equal(0, cache.Bytes);
    }

    [Fact]
    public void Put_SameKeyAgain_ReplacesAndCountsOnce()
    {
        var cache = new MemoryResponseCache(new FakeTimeProvider());
        cache.Put(K("a"), Answer(100), TimeSpan.FromHours(1), Roomy);
        var second = Answer(200);
        cache.Put(K("a"), second, TimeSpan.FromHours(1), Roomy);

        Assert.Same(second, cache.Get(K("a")));
        Assert.Equal(1, cache.Count);
        Assert.Equal(200 + MemoryResponseCache.EntryOverhead, cache.Bytes);
    }
}
