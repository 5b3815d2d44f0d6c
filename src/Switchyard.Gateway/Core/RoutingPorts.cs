namespace Switchyard.Core;

/// <summary>
/// A routing strategy: how an alias picks its intended deployment, by ordering the available deployments of
/// one priority tier, the intended one first. Config names it (<c>models.X.routing</c>); the implementations
/// live in <c>Routing/Strategies</c>, one class each, listed one line each in its <c>StrategyCatalog</c>.
/// The contract is here, in Core, so <see cref="AliasRoute"/> can hold the resolved strategy and a request
/// neither looks it up nor allocates for it (the same reason <see cref="IProviderAdapter"/> is here).
/// One instance serves every alias that names it, concurrently: per-alias state (round robin's turn) lives
/// on the <see cref="AliasRoute"/>, and live per-deployment facts come from <see cref="RoutingInputs.Signals"/>.
/// </summary>
public interface IRoutingStrategy
{
    /// <summary>The name config uses (<c>routing: NAME</c>) and route explain prints.</summary>
    string Name { get; }

    /// <summary>
    /// Reorders <paramref name="tier"/> in place, most preferred first. On entry it holds indices into
    /// <see cref="AliasRoute.Deployments"/> of the tier's available deployments, in config order, and at least
    /// two of them: the planner does not ask about a tier of one, so a one-candidate tier moves no state.
    /// With <see cref="RoutingInputs.Peek"/> (a dry run) the order must be the one the next real request
    /// would get, and no state may move.
    /// </summary>
    void Order(in RoutingInputs inputs, Span<int> tier);
}

/// <summary>What a strategy may read while it orders a tier. Made by the planner on the stack, once per alias in a plan.</summary>
/// <param name="route">The alias being planned.</param>
/// <param name="random">The gateway's injected randomness (seeded in tests).</param>
/// <param name="signals">Live facts about the deployments (in-flight, latency, limit headroom).</param>
/// <param name="peek">A dry run (route explain): decide as for real, but move no state.</param>
public readonly struct RoutingInputs(AliasRoute route, Random random, IDeploymentSignals signals, bool peek)
{
    /// <summary>The alias being planned: its deployments, weights, priorities and round-robin turn.</summary>
    public AliasRoute Route { get; } = route;

    /// <summary>The gateway's injected randomness; never a static, so tests are deterministic.</summary>
    public Random Random { get; } = random;

    /// <summary>Live facts about the deployments.</summary>
    public IDeploymentSignals Signals { get; } = signals;

    /// <summary>True in a dry run: order exactly as for real, but take no turn and move no counter.</summary>
    public bool Peek { get; } = peek;
}

/// <summary>
/// Live facts about deployments that strategies order by. The Health layer keeps them; Core cannot see it,
/// so the planner passes this port (one instance per planner, no per-request allocation).
/// </summary>
public interface IDeploymentSignals
{
    /// <summary>Requests to <paramref name="deployment"/> in flight right now.</summary>
    int InFlight(DeploymentTarget deployment);

    /// <summary>The latency estimate (EWMA) in milliseconds; NaN until the deployment has answered once.</summary>
    double LatencyMs(DeploymentTarget deployment);

    /// <summary>Share of the deployment's RPM/TPM limits left this minute (1 when it has no limits).</summary>
    double Headroom(DeploymentTarget deployment);
}
