using StackExchange.Redis;
using Switchyard.Cache;

namespace Switchyard.Fleet;

/// <summary>
/// The exact cache in Redis (<c>cache.store: redis</c>), shared by every replica of the fleet: one string per entry
/// under <c>{prefix}:cache:HEX</c>, holding the answer in <see cref="CachedAnswerCodec"/>'s compact form, expiring by
/// Redis's own <c>PX</c> (the policy's TTL). It rides the fleet's <see cref="RedisLink"/>: a read waits at most
/// <c>redis.timeout</c> and a down link answers at once, so an outage makes every lookup a miss (the request goes
/// upstream), never a failure, and is logged by the link, once when it goes down and once per interval after, never
/// per request. A store is sent without waiting (the client already has its answer) and skipped while the link is
/// down. An entry larger than <c>cache.max_entry_bytes</c> is not stored; <c>cache.max_bytes</c> does not apply (the
/// Redis server's <c>maxmemory</c> and eviction policy bound the whole; <c>volatile-lru</c> suits it, since every
/// entry has a TTL).
/// </summary>
public sealed class RedisResponseCache(RedisLink link) : IResponseCache
{
    private const string GetScript = "return redis.call('GET', KEYS[1])";
    private const string SetScript = "return redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])";

    private readonly string prefix = "{" + link.Settings.KeyPrefix + "}:cache:";

    /// <inheritdoc />
    public int Count => 0;

    /// <inheritdoc />
    public long Bytes => 0;

    /// <inheritdoc />
    public bool Shared => true;

    /// <inheritdoc />
    public async ValueTask<CachedAnswer?> GetAsync(byte[] key, RouteTable table)
    {
        var result = await link.EvaluateAsync(GetScript, [Key(key)], []).ConfigureAwait(false);
        if (result is null || result.IsNull || (byte[]?)result is not { } bytes)
        {
            return null;
        }

        return CachedAnswerCodec.Decode(bytes, name => Find(table, name));
    }

    /// <inheritdoc />
    public void Put(ReadOnlySpan<byte> key, CachedAnswer answer, TimeSpan ttl, CacheSettings settings)
    {
        if (ttl <= TimeSpan.Zero)
        {
            return;
        }

        var bytes = CachedAnswerCodec.Encode(answer);
        if (bytes.Length <= settings.MaxEntryBytes)
        {
            link.Fire(SetScript, [Key(key)], [bytes, (long)Math.Ceiling(ttl.TotalMilliseconds)]);
        }
    }

    private RedisKey Key(ReadOnlySpan<byte> key) => prefix + Convert.ToHexString(key);

    /// <summary>The deployment named <paramref name="name"/> in <paramref name="table"/> (an alias's, or a fallback's), or null.</summary>
    private static DeploymentTarget? Find(RouteTable table, string name)
    {
        foreach (var route in table.Aliases.Values)
        {
            foreach (var deployment in route.Deployments)
            {
                if (deployment.Name == name)
                {
                    return deployment;
                }
            }

            foreach (var step in route.Fallbacks)
            {
                if (step.Deployment?.Name == name)
                {
                    return step.Deployment;
                }
            }
        }

        return null;
    }
}
