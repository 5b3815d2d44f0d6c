using Switchyard.Tests.Configuration;

namespace Switchyard.Tests.Cache;

/// <summary>The cache's configuration: off unless a model or route has <c>cache:</c>; every mistake named with its path.</summary>
public sealed class CacheConfigTests
{
    private static readonly Func<string, string?> Env = ConfigTestSupport.Env(("K", "k"));

    private const string Base = """
        providers:
          up: { kind: openai-compatible, base_url: "http://127.0.0.1:9/v1", api_key: "${K}" }
        deployments:
          d: { provider: up, model: m }

        """;

    [Fact]
    public void Load_CacheSections_BoundEverywhere()
    {
        var config = ConfigTestSupport.LoadValid(Base + """
            cache: { max_bytes: 8MiB, max_entry_bytes: 64KiB }
            models:
              on:
                deployments: [d]
                cache: { ttl: 90s, scope: team }
              defaults:
                deployments: [d]
                cache: {}
              off: d
            routes:
              r:
                primary_model: off
                cache: { ttl: 1h }
            """, Env);

        Assert.Equal(new CacheSettings(8L * 1024 * 1024, 64 * 1024), config.Cache);
        Assert.Equal(new CachePolicy(TimeSpan.FromSeconds(90), CacheScope.Team), config.Models["on"].Cache);
        Assert.Equal(new CachePolicy(TimeSpan.FromMinutes(10), CacheScope.Key), config.Models["defaults"].Cache);
        Assert.Null(config.Models["off"].Cache);
        Assert.Equal(new CachePolicy(TimeSpan.FromHours(1), CacheScope.Key), Assert.Single(config.Routes).Cache);
    }

    [Fact]
    public void Load_SemanticSection_BoundWithDefaults()
    {
        var config = ConfigTestSupport.LoadValid(Base + """
            cache: { semantic_max_entries: 500 }
            models:
              emb: d
              full:
                deployments: [d]
                cache: { semantic: { embedding_model: emb, threshold: 0.97, max_entries: 50, max_turns: 3, timeout: 500ms } }
              defaults:
                deployments: [d]
                cache: { semantic: { embedding_model: emb } }
            """, Env);

        Assert.Equal(500, config.Cache.SemanticMaxEntries);
        Assert.Equal(new SemanticCachePolicy("emb", 0.97f, 50, 3, TimeSpan.FromMilliseconds(500)), config.Models["full"].Cache!.Semantic);
        Assert.Equal(new SemanticCachePolicy("emb", 0.95f, 1000, 1, TimeSpan.FromSeconds(2)), config.Models["defaults"].Cache!.Semantic);
        Assert.Null(config.Models["emb"].Cache);
    }

    [Fact]
    public void Load_NoCacheSection_DefaultBounds()
    {
        var config = ConfigTestSupport.LoadValid(Base + "models:\n  m: d\n", Env);

        Assert.Equal(CacheSettings.Default, config.Cache);
        Assert.Null(config.Models["m"].Cache);
    }

    [Theory]
    [InlineData("models:\n  m:\n    deployments: [d]\n    cache: { scope: everyone }\n", "models.m.cache.scope", "unknown scope 'everyone'")]
    [InlineData("models:\n  m:\n    deployments: [d]\n    cache: { ttl: 30d }\n", "models.m.cache.ttl", "")]
    [InlineData("models:\n  m:\n    deployments: [d]\n    cache: { ttl: 0s }\n", "models.m.cache.ttl", "greater than zero")]
    [InlineData("models:\n  m:\n    deployments: [d]\n    cache: { tll: 1m }\n", "models.m.cache.tll", "")]
    [InlineData("cache: { max_bytes: 1MiB, max_entry_bytes: 2MiB }\nmodels:\n  m: d\n", "cache.max_entry_bytes", "max_bytes")]
    [InlineData("models:\n  m:\n    deployments: [d]\n    cache: { semantic: { embedding_model: nope } }\n", "models.m.cache.semantic.embedding_model", "unknown model 'nope'")]
    [InlineData("models:\n  m:\n    deployments: [d]\n    cache: { semantic: { threshold: 0.9 } }\n", "models.m.cache.semantic.embedding_model", "is required")]
    [InlineData("models:\n  m:\n    deployments: [d]\n    cache: { semantic: { embedding_model: m, threshold: 1.5 } }\n", "models.m.cache.semantic.threshold", "from 0.5 to 1")]
    [InlineData("models:\n  m:\n    deployments: [d]\n    cache: { semantic: { embedding_model: m, max_entries: 20000 } }\n", "models.m.cache.semantic.max_entries", "")]
    [InlineData("models:\n  m:\n    deployments: [d]\n    cache: { semantic: { embedding_model: m, treshold: 0.9 } }\n", "models.m.cache.semantic.treshold", "")]
    [InlineData("cache: { store: disk }\nmodels:\n  m: d\n", "cache.store", "unknown store 'disk'")]
    [InlineData("cache: { store: redis }\nmodels:\n  m: d\n", "cache.store", "redis: section")]
    public void Load_BadCacheSetting_OneErrorAtItsPath(string yaml, string path, string says)
    {
        var message = ConfigTestSupport.SingleErrorAt(Base + yaml, path, Env);

        Assert.Contains(says, message, StringComparison.Ordinal);
    }
}
