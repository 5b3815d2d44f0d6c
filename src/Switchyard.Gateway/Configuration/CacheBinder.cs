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
    private static readonly FrozenSet<string> ServerKeys = FrozenSet.Create(StringComparer.Ordinal, "max_bytes", "max_entry_bytes", "semantic_max_entries", "store");

    private static readonly FrozenSet<string> PolicyKeys = FrozenSet.Create(StringComparer.Ordinal, "ttl", "scope", "semantic");

    private static readonly FrozenSet<string> SemanticKeys = FrozenSet.Create(StringComparer.Ordinal, "embedding_model", "threshold", "max_entries", "max_turns", "timeout");

    /// <summary>The most entries one semantic partition may hold: a scan of that many 1,536-float vectors took about 10 ms (bench/README.md), past which an exact index is the wrong tool.</summary>
    public const int MaxSemanticEntries = 10_000;

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

        var semantic = ctx.Int(map["semantic_max_entries"], map.PathOf("semantic_max_entries"), 1, 1_000_000) ?? defaults.SemanticMaxEntries;
        var store = ctx.String(map["store"], map.PathOf("store"))?.Trim() switch
        {
            null or "memory" => CacheStore.Memory,
            "redis" => CacheStore.Redis,
            var other => UnknownStore(ctx, map.PathOf("store"), other),
        };
        return new CacheSettings(max, entry) { SemanticMaxEntries = semantic, Store = store };
    }

    private static CacheStore UnknownStore(BindContext ctx, string path, string value)
    {
        ctx.Error(path, $"unknown store '{value}'; valid: memory, redis");
        return CacheStore.Memory;
    }

    /// <summary>Each semantic cache's <c>embedding_model</c> names an alias; <c>store: redis</c> has a <c>redis:</c> section to use.</summary>
    public static void CheckReferences(BindContext ctx, IReadOnlySet<string> aliases, CacheSettings settings, RedisSettings? redis)
    {
        foreach (var (path, alias) in ctx.CacheEmbeddingRefs)
        {
            if (!aliases.Contains(alias))
            {
                ctx.Error(path, $"unknown model '{alias}'{Suggestions.Hint(alias, aliases)}; name an alias under models: that serves embeddings");
            }
        }

        if (settings.Store == CacheStore.Redis && redis is null)
        {
            ctx.Error("cache.store", "redis needs a redis: section (the connection the replicas share)");
        }
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
        return new CachePolicy(ttl, scope) { Semantic = BindSemantic(ctx, cache) };
    }

    /// <summary>Binds <c>semantic:</c> under a <c>cache:</c> section; null when absent.</summary>
    private static SemanticCachePolicy? BindSemantic(BindContext ctx, MapView cache)
    {
        if (!cache.Has("semantic") || ctx.Map(cache["semantic"], cache.PathOf("semantic"), SemanticKeys) is not { } map)
        {
            return null;
        }

        var model = ctx.String(map["embedding_model"], map.PathOf("embedding_model"))?.Trim();
        if (string.IsNullOrEmpty(model))
        {
            ctx.Error(map.PathOf("embedding_model"), "is required: the alias whose embeddings compare prompts");
        }
        else
        {
            ctx.CacheEmbeddingRefs.Add((map.PathOf("embedding_model"), model));
        }

        var threshold = ctx.Number(map["threshold"], map.PathOf("threshold"), 0.5, 1) ?? SemanticCachePolicy.DefaultThreshold;
        var entries = ctx.Int(map["max_entries"], map.PathOf("max_entries"), 1, MaxSemanticEntries) ?? SemanticCachePolicy.DefaultMaxEntries;
        var turns = ctx.Int(map["max_turns"], map.PathOf("max_turns"), 1, 100) ?? 1;
        var timeout = ctx.Duration(map["timeout"], map.PathOf("timeout")) ?? SemanticCachePolicy.DefaultTimeout;
        if (timeout <= TimeSpan.Zero || timeout > TimeSpan.FromMinutes(1))
        {
            ctx.Error(map.PathOf("timeout"), "must be more than 0 and at most 1 minute");
        }

        return new SemanticCachePolicy(model ?? "", (float)threshold, entries, turns, timeout);
    }

    private static CacheScope Invalid(BindContext ctx, string path, string value)
    {
        ctx.Error(path, $"unknown scope '{value}'; valid: key, team");
        return CacheScope.Key;
    }
}
