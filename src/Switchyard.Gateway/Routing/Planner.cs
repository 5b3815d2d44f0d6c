using Switchyard.Configuration;
using Switchyard.Ingress;
using Switchyard.Health;

namespace Switchyard.Routing;

/// <summary>
/// Routing (the normal path) then fallback (the exception path), turned into one ordered list: the
/// intended deployment first, chosen by the alias's strategy within its best available priority tier; then
/// the alias's other deployments (lower tiers last); then each fallback entry (an alias contributes its
/// own deployments the same way). Deployments whose circuit is open are left out. A deployment appears
/// once. Randomness comes from the injected <see cref="Random"/>, so tests are deterministic.
/// </summary>
public sealed class Planner(Random random, HealthRegistry health)
{
    /// <summary>Builds the plan for <paramref name="route"/>; <paramref name="excluded"/>, when given, collects what was left out.</summary>
    public PlanStep[] Plan(AliasRoute route, List<Exclusion>? excluded = null, bool peek = false) => Plan(route, default, excluded, peek);

    /// <summary>
    /// Builds the plan for a request with <paramref name="needs"/>: deployments that cannot serve it are left out.
    /// With <paramref name="peek"/> (a dry run) the plan is the one the next request would get, and no routing
    /// state moves (a round-robin turn is not taken).
    /// </summary>
    public PlanStep[] Plan(AliasRoute route, in RequestNeeds needs, List<Exclusion>? excluded = null, bool peek = false)
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
            return $"max output too small: {maxOut} tokens requested, {cap} allowed";
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

    private void AddAlias(List<PlanStep> steps, AliasRoute route, in RequestNeeds needs, PlanReason first, PlanReason rest, List<Exclusion>? excluded, bool peek)
    {
        var count = route.Deployments.Length;
        var candidates = new List<int>(count);
        for (var i = 0; i < count; i++)
        {
            if (Available(route.Deployments[i], needs, excluded))
            {
                candidates.Add(i);
            }
        }

        // Tiers in ascending priority; the strategy orders each tier.
        var tiers = route.Tiered ? candidates.Select(i => route.Priorities[i]).Distinct().Order().ToArray() : [0];
        foreach (var tier in tiers)
        {
            var members = route.Tiered ? candidates.Where(i => route.Priorities[i] == tier).ToList() : candidates;
            foreach (var i in Order(route, members, peek))
            {
                AddOnce(steps, route.Deployments[i], steps.Count == 0 ? first : rest);
            }
        }
    }

    /// <summary>The alias's strategy applied to <paramref name="members"/> (indices into its deployments).</summary>
    private List<int> Order(AliasRoute route, List<int> members, bool peek)
    {
        var weighted = WeightedOrder(route, members);
        switch (route.Alias.Strategy)
        {
            case RoutingStrategy.RoundRobin when members.Count > 1:
            {
                var start = peek ? route.PeekRoundRobin() : route.NextRoundRobin();
                var ordered = members.OrderBy(i => (i - start + route.Deployments.Length) % route.Deployments.Length).ToList();
                return ordered;
            }

            case RoutingStrategy.LeastBusy when members.Count > 1:
                // Stable sort: equal in-flight counts keep their weighted-random order.
                return weighted.OrderBy(i => health.For(route.Deployments[i].Name).InFlight).ToList();
            case RoutingStrategy.LowestLatency when members.Count > 1:
            {
                // Power of two choices: the faster of the first two weighted picks leads; an unmeasured
                // deployment counts as fastest so it gets explored.
                double Latency(int i) => health.For(route.Deployments[i].Name).LatencyMs is var l && double.IsNaN(l) ? 0 : l;
                if (Latency(weighted[1]) < Latency(weighted[0]))
                {
                    (weighted[0], weighted[1]) = (weighted[1], weighted[0]);
                }

                var head = weighted[0];
                return [head, .. weighted.Skip(1).OrderBy(Latency)];
            }

            case RoutingStrategy.LowestCost when members.Count > 1:
                // Stable: equal (or unknown) prices keep their weighted-random order.
                return weighted.OrderBy(i => route.Deployments[i].Config.Price?.Blended ?? decimal.MaxValue).ToList();
            case RoutingStrategy.UsageHeadroom when members.Count > 1:
                return weighted.OrderByDescending(i => health.For(route.Deployments[i].Name).Headroom(route.Deployments[i].Config.Limits)).ToList();
            default:
                return weighted;
        }
    }

    /// <summary>Weighted order without replacement: each pick is proportional to the weights left.</summary>
    private List<int> WeightedOrder(AliasRoute route, List<int> members)
    {
        if (members.Count <= 1)
        {
            return [.. members];
        }

        var left = new List<int>(members);
        var result = new List<int>(members.Count);
        var remaining = left.Sum(i => route.Weights[i]);
        while (left.Count > 0)
        {
            var roll = random.Next(remaining);
            var k = 0;
            while (roll >= route.Weights[left[k]])
            {
                roll -= route.Weights[left[k]];
                k++;
            }

            result.Add(left[k]);
            remaining -= route.Weights[left[k]];
            left.RemoveAt(k);
        }

        return result;
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
