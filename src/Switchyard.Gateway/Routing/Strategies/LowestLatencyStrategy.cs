namespace Switchyard.Routing.Strategies;

/// <summary>
/// <c>lowest_latency</c>, by power of two choices: two weighted-random picks, the faster (latency EWMA) leads.
/// Always taking the single fastest would stampede a deployment the moment it looks fast and starve the
/// others of the traffic that would show they recovered; two random choices keep most of the gain without
/// the herd (Mitzenmacher, "The Power of Two Choices in Randomized Load Balancing", 2001). An unmeasured
/// deployment counts as fastest, so it gets explored. The alternates follow fastest first.
/// </summary>
public sealed class LowestLatencyStrategy : IRoutingStrategy
{
    /// <inheritdoc />
    public string Name => "lowest_latency";

    /// <inheritdoc />
    public void Order(in RoutingInputs inputs, Span<int> tier)
    {
        var route = inputs.Route;
        TierOrder.ShuffleByWeight(tier, route.Weights, inputs.Random);
        Span<double> latency = tier.Length <= TierOrder.StackLimit ? stackalloc double[tier.Length] : new double[tier.Length];
        for (var k = 0; k < tier.Length; k++)
        {
            var ms = inputs.Signals.LatencyMs(route.Deployments[tier[k]]);
            latency[k] = double.IsNaN(ms) ? 0 : ms;
        }

        if (latency[1] < latency[0])
        {
            (tier[0], tier[1]) = (tier[1], tier[0]);
            (latency[0], latency[1]) = (latency[1], latency[0]);
        }

        TierOrder.SortBy(tier[1..], latency[1..]);
    }
}
