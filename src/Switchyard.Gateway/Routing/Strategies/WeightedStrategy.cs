namespace Switchyard.Routing.Strategies;

/// <summary>
/// <c>weighted</c> (the default): random, in proportion to the weights (<c>weight: 3</c> is picked three times
/// as often as <c>weight: 1</c>); the rest follow in weighted-random order too, so alternates spread the same way.
/// </summary>
public sealed class WeightedStrategy : IRoutingStrategy
{
    /// <inheritdoc />
    public string Name => "weighted";

    /// <inheritdoc />
    public void Order(in RoutingInputs inputs, Span<int> tier) =>
        TierOrder.ShuffleByWeight(tier, inputs.Route.Weights, inputs.Random);
}
