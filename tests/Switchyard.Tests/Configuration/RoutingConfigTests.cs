using Switchyard.Configuration;

namespace Switchyard.Tests.Configuration;

public class RoutingConfigTests
{
    private static ConfigLoadResult Load(string yaml) => ConfigLoader.LoadYaml(yaml, "t", n => n == "K" ? "k" : null);

    private const string Base = """
        providers:
          p: { kind: openai-compatible, base_url: "http://127.0.0.1:9/v1", api_key_env: K }
        deployments:
          a: { provider: p, model: ma, price: { input: 0.15, output: 0.6 }, price_tier: economy, context_window: 128000 }
          b: { provider: p, model: mb }
        models:
          m: { deployments: [a, b], hedge: { delay: 250ms, max_share: 5% }, retry: { budget: 20% } }
          n: b

        """;

    [Fact]
    public void LoadYaml_RoutingSettings_AreBound()
    {
        var result = Load(Base + """
            server:
              circuit_breaker: { failure_ratio: 25%, min_requests: 5, window: 10s, break_for: 1m, half_open_trials: 2 }
            """);
        Assert.Empty(result.Errors);
        var config = result.Config!;
        var breaker = config.Server.CircuitBreaker;
        Assert.Equal((0.25, 5, TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(1), 2),
            (breaker.FailureRatio, breaker.MinRequests, breaker.Window, breaker.BreakFor, breaker.HalfOpenTrials));
        var m = config.Models["m"];
        Assert.Equal(new HedgePolicy(TimeSpan.FromMilliseconds(250), false, 0.05), m.Hedge);
        Assert.Equal(0.2, m.Policy.RetryBudget);
        var a = config.Deployments["a"];
        Assert.Equal(0.75m, a.Price!.Blended);
        Assert.Equal("economy", a.PriceTier);
        Assert.Equal(128000, a.Capabilities.ContextWindow);
    }

    [Fact]
    public void LoadYaml_BadRoutes_AreReportedWithPaths()
    {
        var result = Load(Base + """
            routes:
              canary:
                split:
                  - { model: m, percent: 80 }
                  - { model: n, percent: 30 }
              wrong:
                primary_model: nope
                fallback: { on_provider_5xx: retry_forever, max_attempts: 0 }
              bad_shadow:
                primary_model: m
                shadow: { model: ghost, percent: 5 }
            """);
        var errors = result.Errors.Select(e => e.ToString()).ToList();
        Assert.Contains("routes.canary.split: percentages must add up to 100, not 110", errors);
        Assert.Contains(errors, e => e.StartsWith("routes.wrong.primary_model: unknown model 'nope'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("routes.wrong.fallback.on_provider_5xx: unknown action 'retry_forever'", StringComparison.Ordinal));
        Assert.Contains("routes.wrong.fallback.max_attempts: must be at least 1", errors);
        Assert.Contains("routes.bad_shadow.shadow.model: unknown model 'ghost'", errors);
    }

    [Fact]
    public void LoadYaml_BadPriceAndCapability_AreReported()
    {
        var result = Load("""
            providers:
              p: { kind: openai-compatible, base_url: "http://127.0.0.1:9/v1", api_key_env: K }
            deployments:
              a: { provider: p, model: ma, price: { input: cheap }, capabilities: { telepathy: true, tools: maybe } }
            """);
        var errors = result.Errors.Select(e => e.ToString()).ToList();
        Assert.Contains("deployments.a.price.input: must be a non-negative number (USD per million tokens)", errors);
        Assert.Contains("deployments.a.price.output: is required (USD per million tokens)", errors);
        Assert.Contains(errors, e => e.StartsWith("deployments.a.capabilities.telepathy: unknown capability", StringComparison.Ordinal));
        Assert.Contains("deployments.a.capabilities.tools: must be true or false", errors);
    }
}
