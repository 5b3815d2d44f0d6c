using Switchyard.Configuration;

namespace Switchyard.Tests.Routing.Strategies;

/// <summary>
/// Routes from YAML and hand-set live signals, so a strategy is tested by calling its
/// <see cref="IRoutingStrategy.Order"/> directly, without a planner or health registry.
/// </summary>
internal static class StrategyFixture
{
    /// <summary>A route table over deployments a, b, c, d of one provider, with the given <c>models:</c> lines.</summary>
    public static RouteTable Table(string models, string deployments = "")
    {
        var yaml = """
            providers:
              p: { kind: openai-compatible, base_url: "http://127.0.0.1:9/v1", api_key_env: K }
            deployments:
              a: { provider: p, model: ma }
              b: { provider: p, model: mb }
              c: { provider: p, model: mc }
              d: { provider: p, model: md }

            """ + deployments + """
            models:

            """ + models + "\n";
        var result = ConfigLoader.LoadYaml(yaml, "test", n => n == "K" ? "k" : null);
        Assert.Empty(result.Errors);
        return RouteTable.Build(result.Config!, new KeyPoolRegistry(TimeProvider.System));
    }

    /// <summary>Orders every deployment of <paramref name="route"/> (one tier, config order on entry) and names the result.</summary>
    public static string[] Order(IRoutingStrategy strategy, AliasRoute route, Random random, IDeploymentSignals? signals = null, bool peek = false)
    {
        Span<int> tier = stackalloc int[route.Deployments.Length];
        for (var i = 0; i < tier.Length; i++)
        {
            tier[i] = i;
        }

        strategy.Order(new RoutingInputs(route, random, signals ?? new FakeSignals(), peek), tier);
        var names = new string[tier.Length];
        for (var i = 0; i < tier.Length; i++)
        {
            names[i] = route.Deployments[tier[i]].Name;
        }

        return names;
    }
}

/// <summary>Live signals set by hand, by deployment name; anything not set reads as idle, unmeasured and unlimited.</summary>
internal sealed class FakeSignals : IDeploymentSignals
{
    public Dictionary<string, int> InFlightOf { get; } = [];

    public Dictionary<string, double> LatencyOf { get; } = [];

    public Dictionary<string, double> HeadroomOf { get; } = [];

    public int InFlight(DeploymentTarget deployment) => InFlightOf.GetValueOrDefault(deployment.Name);

    public double LatencyMs(DeploymentTarget deployment) => LatencyOf.GetValueOrDefault(deployment.Name, double.NaN);

    public double Headroom(DeploymentTarget deployment) => HeadroomOf.GetValueOrDefault(deployment.Name, 1);
}
