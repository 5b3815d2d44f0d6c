namespace Switchyard.Core;

/// <summary>An alias with its deployments resolved and its fallback chain linked.</summary>
public sealed class AliasRoute(ModelAlias alias, DeploymentTarget[] deployments, int[] weights, int[] priorities)
{
    private int roundRobin = -1;

    /// <summary>Priority tier of each entry of <see cref="Deployments"/> (lower first).</summary>
    public int[] Priorities { get; } = priorities;

    /// <summary>True when the alias has more than one priority tier.</summary>
    public bool Tiered { get; } = priorities.Distinct().Count() > 1;

    /// <summary>The one-step plan of a single-deployment alias without fallbacks, made once (see <see cref="Planner"/>).</summary>
    internal PlanStep[]? SinglePlan;

    /// <summary>
    /// The alias's strategy, resolved from <see cref="ModelAlias.Strategy"/> by the planner the first time it
    /// orders this alias, then reused by every request until a reload builds a new route: one catalog lookup
    /// per alias per configuration, none per request. (The table is built in Core, which cannot see the
    /// catalog in Routing, hence lazily.) Null until then; resolving twice in a race yields the same object.
    /// </summary>
    public IRoutingStrategy? Strategy { get; internal set; }

    /// <summary>The next round-robin start position.</summary>
    internal int NextRoundRobin() => (int)((uint)Interlocked.Increment(ref roundRobin) % (uint)Deployments.Length);

    /// <summary>The position <see cref="NextRoundRobin"/> would return next, without taking it (dry runs).</summary>
    internal int PeekRoundRobin() => (int)((uint)(Volatile.Read(ref roundRobin) + 1) % (uint)Deployments.Length);

    /// <summary>The configured alias.</summary>
    public ModelAlias Alias { get; } = alias;

    /// <summary>The alias's own deployments, in config order.</summary>
    public DeploymentTarget[] Deployments { get; } = deployments;

    /// <summary>Routing weight of each entry of <see cref="Deployments"/>.</summary>
    public int[] Weights { get; } = weights;

    /// <summary>Sum of <see cref="Weights"/>.</summary>
    public int TotalWeight { get; } = weights.Sum();

    /// <summary>The fallback chain; set once while the table is built.</summary>
    public FallbackStep[] Fallbacks { get; internal set; } = [];
}

/// <summary>A fallback entry: another alias (routed by its weights) or one deployment.</summary>
public sealed record FallbackStep(string Name, AliasRoute? Alias, DeploymentTarget? Deployment);
