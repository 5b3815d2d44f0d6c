using Switchyard.Configuration;
using Switchyard.Dispatch;
using Switchyard.Routing;
using Switchyard.Health;

namespace Switchyard.Tests.Routing;

public class PlannerStrategyTests
{
    private static RouteTable Table(string models)
    {
        var yaml = """
            providers:
              p: { kind: openai-compatible, base_url: "http://127.0.0.1:9/v1", api_key_env: K }
            deployments:
              a: { provider: p, model: ma }
              b: { provider: p, model: mb }
              c: { provider: p, model: mc }
            models:

            """ + models + "\n";
        var result = ConfigLoader.LoadYaml(yaml, "test", n => n == "K" ? "k" : null);
        Assert.Empty(result.Errors);
        return RouteTable.Build(result.Config!, new KeyPoolRegistry(TimeProvider.System));
    }

    [Fact]
    public void Plan_RoundRobin_CyclesThePrimary()
    {
        var route = Table("  m: { deployments: [a, b, c], routing: round_robin }").Aliases["m"];
        var planner = new Planner(new Random(1), new HealthRegistry(TimeProvider.System));
        var primaries = Enumerable.Range(0, 6).Select(_ => planner.Plan(route)[0].Deployment.Name).ToArray();
        Assert.Equal(["a", "b", "c", "a", "b", "c"], primaries);
    }

    [Fact]
    public void Plan_RoundRobinPeek_LeavesTheTurnForTheNextRealRequest()
    {
        var route = Table("  m: { deployments: [a, b, c], routing: round_robin }").Aliases["m"];
        var planner = new Planner(new Random(1), new HealthRegistry(TimeProvider.System));
        Assert.Equal("a", planner.Plan(route)[0].Deployment.Name);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal("b", planner.Plan(route, new List<Exclusion>(), peek: true)[0].Deployment.Name); // route explain
        }

        Assert.Equal("b", planner.Plan(route)[0].Deployment.Name);
    }

    [Fact]
    public void Plan_RoundRobinWithOneAvailable_TakesNoTurn()
    {
        var route = Table("  m: { deployments: [a, b, c], routing: round_robin }").Aliases["m"];
        var health = new HealthRegistry(TimeProvider.System);
        var planner = new Planner(new Random(1), health);
        health.For("b").Force(CircuitState.Open);
        health.For("c").Force(CircuitState.Open);
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(["a"], planner.Plan(route).Select(s => s.Deployment.Name));
        }

        health.For("b").Force(CircuitState.Closed);
        health.For("c").Force(CircuitState.Closed);
        Assert.Equal(["a", "b", "c"], planner.Plan(route).Select(s => s.Deployment.Name)); // still the first turn
    }

    [Fact]
    public void Plan_LeastBusy_PrefersFewestInFlight()
    {
        var route = Table("  m: { deployments: [a, b, c], routing: least_busy }").Aliases["m"];
        var health = new HealthRegistry(TimeProvider.System);
        var planner = new Planner(new Random(1), health);
        Assert.True(health.For("a").TryAcquire());
        Assert.True(health.For("a").TryAcquire());
        Assert.True(health.For("c").TryAcquire());
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(["b", "c", "a"], planner.Plan(route).Select(s => s.Deployment.Name));
        }
    }

    [Fact]
    public void Plan_LowestLatency_PrefersTheFastDeployment()
    {
        var route = Table("  m: { deployments: [a, b], routing: lowest_latency }").Aliases["m"];
        var health = new HealthRegistry(TimeProvider.System);
        foreach (var (name, ms) in new[] { ("a", 400), ("b", 40) })
        {
            Assert.True(health.For(name).TryAcquire());
            health.For(name).Complete(FailureKind.None, TimeSpan.FromMilliseconds(ms), null);
        }

        var planner = new Planner(new Random(3), health);
        for (var i = 0; i < 50; i++)
        {
            Assert.Equal("b", planner.Plan(route)[0].Deployment.Name);
        }
    }

    [Fact]
    public void Plan_PriorityTiers_UseTierTwoOnlyWhenTierOneIsUnavailable()
    {
        var route = Table("""
              m:
                deployments:
                  - { deployment: a, priority: 1 }
                  - { deployment: b, priority: 1 }
                  - { deployment: c, priority: 2 }
            """).Aliases["m"];
        var health = new HealthRegistry(TimeProvider.System);
        var planner = new Planner(new Random(5), health);
        for (var i = 0; i < 20; i++)
        {
            var plan = planner.Plan(route).Select(s => s.Deployment.Name).ToArray();
            Assert.Equal("c", plan[2]);
        }

        health.For("a").Force(CircuitState.Open);
        health.For("b").Force(CircuitState.Open);
        var excluded = new List<Exclusion>();
        var fallbackPlan = planner.Plan(route, excluded);
        Assert.Equal(["c"], fallbackPlan.Select(s => s.Deployment.Name));
        Assert.Equal(PlanReason.Primary, fallbackPlan[0].Reason);
        Assert.Equal(["a", "b"], excluded.Select(e => e.Deployment).Order());
        Assert.All(excluded, e => Assert.Equal("circuit open", e.Reason));
    }

    [Fact]
    public void LoadYaml_UnknownStrategy_IsAnError()
    {
        var result = ConfigLoader.LoadYaml("models:\n  m: { deployments: [switchyard-echo], routing: fastest }\n", "t", _ => null);
        Assert.Contains(result.Errors, e => e.Path == "models.m.routing" && e.Message.StartsWith("unknown routing strategy 'fastest'", StringComparison.Ordinal));
    }

    [Fact]
    public void Plan_LowestCost_OrdersByPriceWithUnpricedLast()
    {
        var yaml = """
            providers:
              p: { kind: openai-compatible, base_url: "http://127.0.0.1:9/v1", api_key_env: K }
            deployments:
              pricey: { provider: p, model: a, price: { input: 5, output: 15 } }
              cheap: { provider: p, model: b, price: { input: 0.1, output: 0.4 } }
              unknown: { provider: p, model: c }
            models:
              m: { deployments: [pricey, unknown, cheap], routing: lowest_cost }
            """;
        var config = ConfigLoader.LoadYaml(yaml, "t", n => n == "K" ? "k" : null).Config!;
        var route = RouteTable.Build(config, new KeyPoolRegistry(TimeProvider.System)).Aliases["m"];
        var planner = new Planner(new Random(9), new HealthRegistry(TimeProvider.System));
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(["cheap", "pricey", "unknown"], planner.Plan(route).Select(s => s.Deployment.Name));
        }
    }

    [Fact]
    public void Plan_LowestCost_BookPricesWhereTheFileSetsNoneAndOverridesWin()
    {
        // gpt-4o ($2.50 + $10) and gpt-4o-mini ($0.15 + $0.60) from the price book; "own" overrides gpt-4o's to $0.01 + $0.01.
        var yaml = """
            providers:
              openai: { preset: openai, base_url: "http://127.0.0.1:9/v1", api_key_env: K }
            deployments:
              big: { provider: openai, model: gpt-4o }
              small: { provider: openai, model: gpt-4o-mini }
              own: { provider: openai, model: gpt-4o, price: { input: 0.01, output: 0.01 } }
              unknown: { provider: openai, model: gpt-unknown }
            models:
              m: { deployments: [unknown, big, small, own], routing: lowest_cost }
            """;
        var config = ConfigLoader.LoadYaml(yaml, "t", n => n == "K" ? "k" : null).Config!;
        var route = RouteTable.Build(config, new KeyPoolRegistry(TimeProvider.System)).Aliases["m"];
        var planner = new Planner(new Random(9), new HealthRegistry(TimeProvider.System));
        Assert.Equal(["own", "small", "big", "unknown"], planner.Plan(route).Select(s => s.Deployment.Name));
    }

    [Fact]
    public void Plan_UsageHeadroom_PrefersTheLeastUsedAndExcludesTheExhausted()
    {
        var yaml = """
            providers:
              p: { kind: openai-compatible, base_url: "http://127.0.0.1:9/v1", api_key_env: K }
            deployments:
              a: { provider: p, model: a, limits: { rpm: 2 } }
              b: { provider: p, model: b, limits: { rpm: 10 } }
            models:
              m: { deployments: [a, b], routing: usage_headroom }
            """;
        var config = ConfigLoader.LoadYaml(yaml, "t", n => n == "K" ? "k" : null).Config!;
        var route = RouteTable.Build(config, new KeyPoolRegistry(TimeProvider.System)).Aliases["m"];
        var health = new HealthRegistry(TimeProvider.System);
        var planner = new Planner(new Random(9), health);
        Assert.True(health.For("a").TryAcquire()); // a: 1 of 2 used (50% left); b: 100% left
        Assert.Equal("b", planner.Plan(route)[0].Deployment.Name);
        Assert.True(health.For("a").TryAcquire()); // a: exhausted for this minute
        var excluded = new List<Exclusion>();
        Assert.Equal(["b"], planner.Plan(route, excluded).Select(s => s.Deployment.Name));
        Assert.StartsWith("over limit", excluded.Single().Reason, StringComparison.Ordinal);
    }
}
