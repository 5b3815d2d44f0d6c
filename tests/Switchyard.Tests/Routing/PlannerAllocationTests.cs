using Switchyard.Configuration;
using Switchyard.Health;
using Switchyard.Routing;
using Switchyard.Routing.Strategies;

namespace Switchyard.Tests.Routing;

/// <summary>
/// The allocation budget of <see cref="Planner.Plan(AliasRoute, List{Exclusion}?, bool)"/>, the per-request
/// routing decision: a single-deployment alias allocates nothing (its plan is shared), and a small alias
/// allocates only the plan itself, whatever its strategy. Strategies order in place, on the stack; this is
/// where a LINQ call or a closure slipped into one would show.
/// </summary>
public class PlannerAllocationTests
{
    /// <summary>
    /// A three-deployment plan on x64: the step list (32 B), its backing array sized for the alias plus two
    /// (24 + 5 × 16 B) and the returned array (24 + 3 × 16 B). Before strategies ordered in place it was 536–1,032 B (BenchmarkDotNet, PlannerBenchmarks).
    /// </summary>
    private const int ThreeDeploymentBudget = 32 + 104 + 72;

    private const int Rounds = 200;

    private static RouteTable Table()
    {
        var models = string.Join("\n", StrategyCatalog.BuiltIn.Names.Select(n => $"  {n}: {{ deployments: [a, b, c], routing: {n} }}"));
        var yaml = """
            providers:
              p: { kind: openai-compatible, base_url: "http://127.0.0.1:9/v1", api_key_env: K }
            deployments:
              a: { provider: p, model: ma, price: { input: 1, output: 2 }, limits: { rpm: 1000000 } }
              b: { provider: p, model: mb, price: { input: 2, output: 2 } }
              c: { provider: p, model: mc }
            models:
              single: { deployments: [a] }

            """ + models + "\n";
        var result = ConfigLoader.LoadYaml(yaml, "test", n => n == "K" ? "k" : null);
        Assert.Empty(result.Errors);
        return RouteTable.Build(result.Config!, new KeyPoolRegistry(TimeProvider.System));
    }

    [Fact]
    public void Plan_SingleDeployment_AllocatesNothing()
    {
        var route = Table().Aliases["single"];
        var planner = new Planner(new Random(1), new HealthRegistry(TimeProvider.System));
        Assert.Equal(0, BytesPerPlan(planner, route));
    }

    [Theory]
    [InlineData("weighted")]
    [InlineData("round_robin")]
    [InlineData("least_busy")]
    [InlineData("lowest_latency")]
    [InlineData("lowest_cost")]
    [InlineData("usage_headroom")]
    public void Plan_ThreeDeployments_AllocatesOnlyThePlan(string strategy)
    {
        var route = Table().Aliases[strategy];
        var planner = new Planner(new Random(1), new HealthRegistry(TimeProvider.System));
        Assert.InRange(BytesPerPlan(planner, route), 0, ThreeDeploymentBudget);
    }

    private static double BytesPerPlan(Planner planner, AliasRoute route)
    {
        // Warm up first: the first plans create health entries and resolve the strategy, once per route.
        for (var i = 0; i < Rounds; i++)
        {
            planner.Plan(route);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Rounds; i++)
        {
            planner.Plan(route);
        }

        return (GC.GetAllocatedBytesForCurrentThread() - before) / (double)Rounds;
    }
}
