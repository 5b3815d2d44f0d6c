using static Switchyard.Tests.Configuration.ConfigTestSupport;

namespace Switchyard.Tests.Configuration;

/// <summary><c>deployments.X.price</c>: the override's five rates, its checks, and the price book when it is absent.</summary>
public sealed class PriceConfigTests
{
    private const string Providers = """
        providers:
          openai: { preset: openai, base_url: "http://127.0.0.1:9/v1", api_key_env: K }
          local: { kind: openai-compatible, base_url: "http://127.0.0.1:9/v1", api_key_env: K }
          claude: { kind: anthropic, base_url: "http://127.0.0.1:9/v1", api_key_env: K }

        """;

    private static readonly Func<string, string?> Keys = Env(("K", "k"));

    [Fact]
    public void LoadYaml_FullOverride_EveryRateBound()
    {
        var config = LoadValid(Providers + """
            deployments:
              d:
                provider: claude
                model: claude-sonnet-4-5-20250929
                price: { input: 2.5, output: 12, cached_input: 0.25, cache_write: 3.1, cache_write_1h: 5, reasoning: 12 }
            """, Keys);

        var price = config.Deployments["d"].Price!;
        Assert.Equal((2.5m, 12m, 0.25m, 3.1m, 5m, 12m),
            (price.Input, price.Output, price.CachedInput, price.CacheWrite, price.CacheWrite1h, price.Reasoning));
        Assert.Equal(Price.ConfigVersion, price.Version); // the override wins over the book's claude-sonnet-4-5
        Assert.Empty(price.Schedule);
        Assert.Equal(14.5m, price.Blended);
    }

    [Fact]
    public void LoadYaml_InputAndOutputOnly_ExistingFilesKeepWorking()
    {
        var config = LoadValid(Providers + """
            deployments:
              d: { provider: openai, model: gpt-4o, price: { input: 0.15, output: 0.6 } }
            """, Keys);

        var price = config.Deployments["d"].Price!;
        Assert.Equal(0.75m, price.Blended);
        Assert.Null(price.CachedInput); // billed at the input rate: nothing is taken from the book behind the file's back
        Assert.Equal("config", price.Version);
    }

    [Fact]
    public void LoadYaml_NoPrice_TheBooksEntryForTheModel()
    {
        var config = LoadValid(Providers + """
            deployments:
              snapshot: { provider: openai, model: gpt-4o-2024-08-06 }
              claude: { provider: claude, model: claude-haiku-4-5-20251001 }
              local: { provider: local, model: gpt-4o }
              unknown: { provider: openai, model: gpt-unknown }
            """, Keys);

        var snapshot = config.Deployments["snapshot"].Price!;
        Assert.Equal((2.50m, 1.25m, 10m), (snapshot.Input, snapshot.CachedInput, snapshot.Output));
        Assert.StartsWith("book:", snapshot.Version, StringComparison.Ordinal);
        Assert.NotEmpty(snapshot.Schedule);
        Assert.Equal((1m, 1.25m, 2m, 0.10m), (config.Deployments["claude"].Price!.Input, config.Deployments["claude"].Price!.CacheWrite,
            config.Deployments["claude"].Price!.CacheWrite1h, config.Deployments["claude"].Price!.CachedInput));
        Assert.Null(config.Deployments["local"].Price); // a server at a base_url is not OpenAI's bill
        Assert.Null(config.Deployments["unknown"].Price);
    }

    [Fact]
    public void LoadYaml_BadRates_EachReported()
    {
        var errors = LoadErrors(Providers + """
            deployments:
              d: { provider: openai, model: gpt-4o, price: { input: 1, output: 2, cached_input: -1, cache_write: lots, reasoning: 1e400, cached_inptu: 1 } }
            """, Keys);

        Assert.Contains("deployments.d.price.cached_input: must be a non-negative number (USD per million tokens)", errors);
        Assert.Contains("deployments.d.price.cache_write: must be a non-negative number (USD per million tokens)", errors);
        Assert.Contains("deployments.d.price.reasoning: must be a non-negative number (USD per million tokens)", errors);
        Assert.Contains(errors, e => e.StartsWith("deployments.d.price.cached_inptu: unknown key", StringComparison.Ordinal));
    }

    [Fact]
    public void EnvironmentDefaults_PresetModels_PricedByTheBook()
    {
        var config = Switchyard.Configuration.EnvironmentDefaults.Build(Env(("OPENAI_API_KEY", "sk"), ("ANTHROPIC_API_KEY", "sk")));

        Assert.Equal(2.50m, config.Deployments["openai/gpt-4o"].Price!.Input);
        Assert.Equal(3m, config.Deployments["anthropic/claude-sonnet-4-5"].Price!.Input);
        Assert.Equal((0m, 0m, "book:2026-12-06"), (config.Deployments["switchyard-echo"].Price!.Input,
            config.Deployments["switchyard-echo"].Price!.Output, config.Deployments["switchyard-echo"].Price!.Version));
    }
}
