namespace Switchyard.Routing.Strategies;

/// <summary>
/// <c>round_robin</c>: each deployment in turn. The turn is the alias's (<see cref="AliasRoute.NextRoundRobin"/>),
/// counted over all its deployments, so one that is unavailable for a while is skipped, not waited for, and
/// the deployments after the start follow in config order. A dry run peeks at the turn instead of taking it.
/// </summary>
public sealed class RoundRobinStrategy : IRoutingStrategy
{
    /// <inheritdoc />
    public string Name => "round_robin";

    /// <inheritdoc />
    public void Order(in RoutingInputs inputs, Span<int> tier)
    {
        var route = inputs.Route;
        var n = route.Deployments.Length;
        var start = inputs.Peek ? route.PeekRoundRobin() : route.NextRoundRobin();
        Span<int> distance = tier.Length <= TierOrder.StackLimit ? stackalloc int[tier.Length] : new int[tier.Length];
        for (var k = 0; k < tier.Length; k++)
        {
            distance[k] = (tier[k] - start + n) % n; // positions after the start, wrapping around
        }

        TierOrder.SortBy(tier, distance);
    }
}
