namespace Switchyard.Routing.Strategies;

/// <summary>
/// <c>usage_headroom</c>: most headroom first, the largest share of the deployment's RPM/TPM limits left in
/// the current minute, so load spreads before any one deployment hits its provider's quota. A deployment
/// without limits counts as fully free. Equal headroom keeps a weighted-random order.
/// </summary>
public sealed class UsageHeadroomStrategy : IRoutingStrategy
{
    /// <inheritdoc />
    public string Name => "usage_headroom";

    /// <inheritdoc />
    public void Order(in RoutingInputs inputs, Span<int> tier)
    {
        var route = inputs.Route;
        TierOrder.ShuffleByWeight(tier, route.Weights, inputs.Random);
        Span<double> headroom = tier.Length <= TierOrder.StackLimit ? stackalloc double[tier.Length] : new double[tier.Length];
        for (var k = 0; k < tier.Length; k++)
        {
            headroom[k] = inputs.Signals.Headroom(route.Deployments[tier[k]]);
        }

        TierOrder.SortBy(tier, headroom, descending: true);
    }
}
