namespace Switchyard.Routing.Strategies;

/// <summary>
/// <c>lowest_cost</c>: cheapest first by the deployment's price (<c>deployments.X.price</c>, else its provider's price
/// book entry for the model, in effect when the configuration was loaded; blended input/output); deployments without
/// a price go last. Equal (or unknown) prices keep a weighted-random order.
/// </summary>
public sealed class LowestCostStrategy : IRoutingStrategy
{
    /// <inheritdoc />
    public string Name => "lowest_cost";

    /// <inheritdoc />
    public void Order(in RoutingInputs inputs, Span<int> tier)
    {
        var route = inputs.Route;
        TierOrder.ShuffleByWeight(tier, route.Weights, inputs.Random);
        Span<decimal> price = tier.Length <= TierOrder.StackLimit ? stackalloc decimal[tier.Length] : new decimal[tier.Length];
        for (var k = 0; k < tier.Length; k++)
        {
            price[k] = route.Deployments[tier[k]].Config.Price?.Blended ?? decimal.MaxValue;
        }

        TierOrder.SortBy(tier, price);
    }
}
