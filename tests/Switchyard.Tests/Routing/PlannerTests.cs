using Switchyard.Configuration;
using Switchyard.Routing;
using Switchyard.Health;

namespace Switchyard.Tests.Routing;

public class PlannerTests
{
    private const string Yaml = """
        providers:
          p:
            kind: openai-compatible
            base_url: http://127.0.0.1:9/v1
            api_key_env: TEST_KEY
        deployments:
          a: { provider: p, model: model-a }
          b: { provider: p, model: model-b }
          c: { provider: p, model: model-c }
          x: { provider: p, model: model-x }
        models:
          weighted:
            deployments:
              - { deployment: a, weight: 3 }
              - { deployment: b, weight: 1 }
            fallbacks: [backup, x]
          backup:
            deployments: [c, a]
          single:
            deployments: [a]
        """;

    private static HealthRegistry Health() => new(TimeProvider.System);

    private static RouteTable Table()
    {
        var result = ConfigLoader.LoadYaml(Yaml, "test", name => name == "TEST_KEY" ? "k" : null);
        Assert.Empty(result.Errors);
        return RouteTable.Build(result.Config!, new KeyPoolRegistry(TimeProvider.System));
    }

    [Fact]
    public void Plan_SingleDeployment_IsJustThePrimary()
    {
        var plan = new Planner(new Random(1), Health()).Plan(Table().Aliases["single"]);
        Assert.Equal(["a"], plan.Select(s => s.Deployment.Name));
        Assert.Equal(PlanReason.Primary, plan[0].Reason);
    }

    [Fact]
    public void Plan_WeightedAlias_PrimaryFollowsWeights()
    {
        var route = Table().Aliases["weighted"];
        var planner = new Planner(new Random(42), Health());
        var counts = new Dictionary<string, int> { ["a"] = 0, ["b"] = 0 };
        const int n = 20_000;
        for (var i = 0; i < n; i++)
        {
            counts[planner.Plan(route)[0].Deployment.Name]++;
        }

        // Expected 75% / 25%; ±2 points is > 10 standard deviations at n = 20,000.
        Assert.InRange(counts["a"] / (double)n, 0.73, 0.77);
        Assert.InRange(counts["b"] / (double)n, 0.23, 0.27);
    }

    [Fact]
    public void Plan_WithFallbacks_OrdersAliasThenChainWithoutDuplicates()
    {
        var route = Table().Aliases["weighted"];
        var planner = new Planner(new Random(7), Health());
        for (var i = 0; i < 50; i++)
        {
            var plan = planner.Plan(route);
            var names = plan.Select(s => s.Deployment.Name).ToArray();

            // Own deployments first (in some weighted order), then backup's c (a is already in), then x.
            Assert.Equal(4, names.Length);
            Assert.Equal(["a", "b"], names[..2].Order());
            Assert.Equal(["c", "x"], names[2..]);
            Assert.Equal(PlanReason.Primary, plan[0].Reason);
            Assert.Equal(PlanReason.AliasAlternate, plan[1].Reason);
            Assert.All(plan[2..], s => Assert.Equal(PlanReason.Fallback, s.Reason));
        }
    }
}
