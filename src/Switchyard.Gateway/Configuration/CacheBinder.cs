using System.Collections.Frozen;
using YamlDotNet.RepresentationModel;

namespace Switchyard.Configuration;

/// <summary>
/// Binds the exact cache: the server-wide bounds (<c>cache:</c> at the top level: <c>max_bytes</c>,
/// <c>max_entry_bytes</c>) and the policy of an alias or route (<c>cache:</c> under it: <c>ttl</c>, <c>scope</c>).
/// The cache is off for an alias or route without its own section (docs/adr/0015-cache.md).
/// </summary>
internal static class CacheBinder
{
    private static readonly FrozenSet<string> ServerKeys = FrozenSet.Create(StringComparer.Ordinal, "max_bytes", "max_entry_bytes");

    private static readonly FrozenSet<string> PolicyKeys = FrozenSet.Create(StringComparer.Ordinal, "ttl", "scope");

    /// <summary>TTL when a section omits it: long enough to absorb retries and repeated evaluations, short enough to follow a model change.</summary>
    public static readonly TimeSpan DefaultTtl = TimeSpan.FromMinutes(10);

    /// <summary>The longest TTL taken: the cache is a memory of recent answers, not an archive.</summary>
    private static readonly TimeSpan MaxTtl = TimeSpan.FromDays(7);

    /// <summary>Binds the top-level <c>cache:</c> section (the defaults when absent).</summary>
    public static CacheSettings BindServer(BindContext ctx, YamlNode? node, string path)
    {
        var map = ctx.Map(node, path, ServerKeys);
        if (map is null)
        {
            return CacheSettings.Default;
        }

        var defaults = CacheSettings.Default;
        var max = ctx.Size(map["max_bytes"], map.PathOf("max_bytes")) ?? defaults.MaxBytes;
        var entry = ctx.Size(map["max_entry_bytes"], map.PathOf("max_entry_bytes")) ?? Math.Min(defaults.MaxEntryBytes, max);
        if (entry > max)
        {
            ctx.Error(map.PathOf("max_entry_bytes"), "must not be larger than max_bytes");
        }

        return new CacheSettings(max, entry);
    }

    /// <summary>Binds <c>cache:</c> of an alias or route at <paramref name="map"/>; null when it has none.</summary>
    public static CachePolicy? BindPolicy(BindContext ctx, MapView map)
    {
        if (!map.Has("cache") || ctx.Map(map["cache"], map.PathOf("cache"), PolicyKeys) is not { } cache)
        {
            return null;
        }

        var ttl = ctx.Duration(cache["ttl"], cache.PathOf("ttl")) ?? DefaultTtl;
        if (ttl <= TimeSpan.Zero || ttl > MaxTtl)
        {
            ctx.Error(cache.PathOf("ttl"), "must be more than 0 and at most 7 days");
        }

        var scope = ctx.String(cache["scope"], cache.PathOf("scope"))?.Trim() switch
        {
            null or "key" => CacheScope.Key,
            "team" => CacheScope.Team,
            var other => Invalid(ctx, cache.PathOf("scope"), other),
        };
        return new CachePolicy(ttl, scope);
    }

    private static CacheScope Invalid(BindContext ctx, string path, string value)
    {
        ctx.Error(path, $"unknown scope '{value}'; valid: key, team");
        return CacheScope.Key;
    }
}
