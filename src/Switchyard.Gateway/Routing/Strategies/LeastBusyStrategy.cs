namespace Switchyard.Routing.Strategies;

/// <summary>
/// <c>least_busy</c>: fewest requests in flight first. Equal counts (the idle case) keep a weighted-random
/// order, so an idle alias still spreads by weight instead of always picking its first deployment.
/// </summary>
public sealed class LeastBusyStrategy : IRoutingStrategy
{
    /// <inheritdoc />
    public string Name => "least_busy";

    /// <inheritdoc />
    public void Order(in RoutingInputs inputs, Span<int> tier)
    {
        var route = inputs.Route;
        TierOrder.ShuffleByWeight(tier, route.Weights, inputs.Random);
        Span<int> inFlight = tier.Length <= TierOrder.StackLimit ? stackalloc int[tier.Length] : new int[tier.Length];
        for (var k = 0; k < tier.Length; k++)
        {
            inFlight[k] = inputs.Signals.InFlight(route.Deployments[tier[k]]);
        }

        TierOrder.SortBy(tier, inFlight);
    }
}
