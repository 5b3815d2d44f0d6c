using Switchyard.Health;
using Switchyard.Routing.Strategies;

namespace Switchyard.Routing;

/// <summary>
/// Routing (the normal path) then fallback (the exception path), turned into one ordered list: the
/// intended deployment first, chosen by the alias's strategy within its best available priority tier; then
/// the alias's other deployments (lower tiers last); then each fallback entry (an alias contributes its
/// own deployments the same way). Deployments whose circuit is open are left out. A deployment appears
/// once. Randomness comes from the injected <see cref="Random"/>, so tests are deterministic.
/// </summary>
/// <param name="random">Randomness for the strategies (seeded in tests).</param>
/// <param name="health">Live deployment state: availability here, signals for the strategies.</param>
/// <param name="strategies">Where alias strategies are resolved by name; <see cref="StrategyCatalog.BuiltIn"/> when null.</param>
public sealed class Planner(Random random, HealthRegistry health, StrategyCatalog? strategies = null)
{
    private readonly StrategyCatalog catalog = strategies ?? StrategyCatalog.BuiltIn;
    private readonly HealthSignals signals = new(health);

    /// <summary>Builds the plan for <paramref name="route"/>; <paramref name="excluded"/>, when given, collects what was left out.</summary>
    public PlanStep[] Plan(AliasRoute route, List<Exclusion>? excluded = null, bool peek = false) => Plan(route, default, excluded, peek);

    /// <summary>
    /// Builds the plan for a request with <paramref name="needs"/>: deployments that cannot serve it are left out.
    /// With <paramref name="peek"/> (a dry run) the plan is the one the next request would get, and no routing
    /// state moves (a round-robin turn is not taken).
    /// </summary>
    public PlanStep[] Plan(AliasRoute route, in RequestNeeds needs, List<Exclusion>? excluded = null, bool peek = false)
    {
        if (route.Alias.DropUnsupportedParams && needs.MaxOutputTokens is not null)
        {
            // The model's rules lower max_tokens to each deployment's limit (Dispatch/ModelRules): no deployment is
            // out for its output limit alone.
            var relaxed = needs;
            relaxed.MaxOutputTokens = null;
            return PlanFor(route, relaxed, excluded, peek);
        }

        return PlanFor(route, needs, excluded, peek);
    }

    private PlanStep[] PlanFor(AliasRoute route, in RequestNeeds needs, List<Exclusion>? excluded, bool peek)
    {
        // The common case, one available deployment and no fallbacks, allocates just the one-element array.
        if (route.Deployments.Length == 1 && route.Fallbacks.Length == 0 && excluded is null
            && CanServe(route.Deployments[0], needs) is null && health.For(route.Deployments[0].Name).IsAvailable)
        {
            // Shared across requests: plans are never written to after they are made.
            return route.SinglePlan ??= [new PlanStep(route.Deployments[0], PlanReason.Primary)];
        }

        var steps = new List<PlanStep>(route.Deployments.Length + route.Fallbacks.Length + 2);
        AddAlias(steps, route, needs, PlanReason.Primary, PlanReason.AliasAlternate, excluded, peek);
        foreach (var fallback in route.Fallbacks)
        {
            if (fallback.Deployment is { } d)
            {
                if (Available(d, needs, excluded))
                {
                    AddOnce(steps, d, steps.Count == 0 ? PlanReason.Primary : PlanReason.Fallback);
                }
            }
            else
            {
                AddAlias(steps, fallback.Alias!, needs, steps.Count == 0 ? PlanReason.Primary : PlanReason.Fallback, PlanReason.Fallback, excluded, peek);
            }
        }

        return steps.ToArray();
    }

    /// <summary>Why <paramref name="d"/> cannot serve a request with <paramref name="needs"/>, or null when it can.</summary>
    public static string? CanServe(DeploymentTarget d, in RequestNeeds needs)
    {
        var operation = MediaOperations.KindOf(needs.Operation);
        if ((d.Config.Operations & operation) == 0)
        {
            return "no capability: " + MediaOperations.Name(operation);
        }

        var caps = d.Config.Capabilities;
        if (needs.Tools && !caps.Tools)
        {
            return "no capability: tools";
        }

        if (needs.Vision && !caps.Vision)
        {
            return "no capability: vision";
        }

        if (needs.JsonSchema && !caps.JsonSchema)
        {
            return "no capability: json_schema";
        }

        if (needs.MaxOutputTokens is { } maxOut && caps.MaxOutputTokens is { } cap && maxOut > cap)
        {
            return $"max output too small: {maxOut} tokens requested, {cap} allowed (drop_unsupported_params on the model lowers max_tokens instead)";
        }

        // Inline images inflate a byte-based estimate far beyond their token cost, so vision requests skip the pre-check.
        if (!needs.Vision && caps.ContextWindow is { } window && needs.EstimatedPromptTokens + (needs.MaxOutputTokens ?? 0) > window)
        {
            return $"context too small: ~{needs.EstimatedPromptTokens} prompt tokens estimated, window {window}";
        }

        return null;
    }

    private bool Available(DeploymentTarget d, in RequestNeeds needs, List<Exclusion>? excluded)
    {
        if (CanServe(d, needs) is { } reason)
        {
            excluded?.Add(new Exclusion(d.Name, reason));
            return false;
        }

        var h = health.For(d.Name);
        if (d.Config.Limits is { } limits && h.Headroom(limits) <= 0)
        {
            excluded?.Add(new Exclusion(d.Name, "over limit: the deployment's RPM/TPM for this minute is used up"));
            return false;
        }

        if (h.IsAvailable)
        {
            return true;
        }

        excluded?.Add(new Exclusion(d.Name, h.State == CircuitState.Open ? "circuit open" : "circuit half-open: trial slots taken"));
        return false;
    }

    /// <summary>
    /// The strategy <paramref name="route"/> is ordered by, resolved from this planner's catalog the first time
    /// and kept on the route (a reload builds new routes, so a changed <c>routing:</c> takes effect).
    /// </summary>
    public IRoutingStrategy StrategyOf(AliasRoute route) => route.Strategy ??= catalog.Resolve(route.Alias.Strategy);

    private void AddAlias(List<PlanStep> steps, AliasRoute route, in RequestNeeds needs, PlanReason first, PlanReason rest, List<Exclusion>? excluded, bool peek)
    {
        var strategy = StrategyOf(route);
        var count = route.Deployments.Length;
        Span<int> candidates = count <= TierOrder.StackLimit ? stackalloc int[count] : new int[count];
        var available = 0;
        for (var i = 0; i < count; i++)
        {
            if (Available(route.Deployments[i], needs, excluded))
            {
                candidates[available++] = i;
            }
        }

        candidates = candidates[..available];
        if (route.Tiered)
        {
            SortByPriority(candidates, route.Priorities);
        }

        // Each run of equal priority is a tier, in ascending priority; the strategy orders each tier.
        var inputs = new RoutingInputs(route, random, signals, peek);
        for (var start = 0; start < candidates.Length;)
        {
            var end = start + 1;
            while (end < candidates.Length && route.Priorities[candidates[end]] == route.Priorities[candidates[start]])
            {
                end++;
            }

            var tier = candidates[start..end];
            if (tier.Length > 1)
            {
                strategy.Order(inputs, tier);
            }

            foreach (var i in tier)
            {
                AddOnce(steps, route.Deployments[i], steps.Count == 0 ? first : rest);
            }

            start = end;
        }
    }

    /// <summary>Stable insertion sort by priority tier: within a tier, deployments keep config order.</summary>
    private static void SortByPriority(Span<int> candidates, int[] priorities)
    {
        for (var i = 1; i < candidates.Length; i++)
        {
            var entry = candidates[i];
            var j = i - 1;
            while (j >= 0 && priorities[candidates[j]] > priorities[entry])
            {
                candidates[j + 1] = candidates[j];
                j--;
            }

            candidates[j + 1] = entry;
        }
    }

    private static void AddOnce(List<PlanStep> steps, DeploymentTarget deployment, PlanReason reason)
    {
        foreach (var s in steps)
        {
            if (ReferenceEquals(s.Deployment, deployment))
            {
                return;
            }
        }

        steps.Add(new PlanStep(deployment, reason));
    }
}
