using BenchmarkDotNet.Attributes;
using Switchyard.Configuration;
using Switchyard.Health;
using Switchyard.Routing;

namespace Switchyard.Benchmarks;

/// <summary>
/// The routing decision of one request (<see cref="Planner.Plan(AliasRoute, List{Exclusion}?, bool)"/>) for a
/// single-deployment alias (the shortcut) and a three-deployment alias per strategy. Budget: the shortcut
/// allocates nothing; a three-deployment plan allocates only the plan (208 B), checked by PlannerAllocationTests.
/// </summary>
[MemoryDiagnoser]
public class PlannerBenchmarks
{
    private Planner planner = null!;
    private AliasRoute route = null!;

    /// <summary>The alias planned: <c>single</c>, or a three-deployment alias named after its strategy.</summary>
    [Params("single", "weighted", "round_robin", "least_busy", "lowest_latency", "lowest_cost", "usage_headroom")]
    public string Alias { get; set; } = "single";

    [GlobalSetup]
    public void Setup()
    {
        var yaml = """
            providers:
              p: { kind: openai-compatible, base_url: "http://127.0.0.1:9/v1", api_key_env: K }
            deployments:
              a: { provider: p, model: ma, price: { input: 1, output: 2 }, limits: { rpm: 1000000000 } }
              b: { provider: p, model: mb, price: { input: 2, output: 2 } }
              c: { provider: p, model: mc }
            models:
              single: { deployments: [a] }
              weighted: { deployments: [a, b, c] }
              round_robin: { deployments: [a, b, c], routing: round_robin }
              least_busy: { deployments: [a, b, c], routing: least_busy }
              lowest_latency: { deployments: [a, b, c], routing: lowest_latency }
              lowest_cost: { deployments: [a, b, c], routing: lowest_cost }
              usage_headroom: { deployments: [a, b, c], routing: usage_headroom }
            """;
        var result = ConfigLoader.LoadYaml(yaml, "bench", n => n == "K" ? "k" : null);
        if (result.Config is null)
        {
            throw new InvalidOperationException(string.Join("; ", result.Errors.Select(e => $"{e.Path}: {e.Message}")));
        }

        route = RouteTable.Build(result.Config, new KeyPoolRegistry(TimeProvider.System)).Aliases[Alias];
        planner = new Planner(new Random(1), new HealthRegistry(TimeProvider.System));
    }

    [Benchmark(Description = "plan one request")]
    public int Plan() => planner.Plan(route).Length;
}
