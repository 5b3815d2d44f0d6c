namespace Switchyard.Routing;

/// <summary>Why a deployment is in a plan.</summary>
public enum PlanReason
{
    /// <summary>Chosen by the routing policy (weighted) among the alias's deployments: the intended one.</summary>
    Primary,

    /// <summary>Another deployment of the same alias, tried when the primary fails.</summary>
    AliasAlternate,

    /// <summary>An entry of the alias's fallback chain.</summary>
    Fallback,
}

/// <summary>One step of a plan.</summary>
public readonly record struct PlanStep(DeploymentTarget Deployment, PlanReason Reason);

/// <summary>
/// Routing (the normal path) then fallback (the exception path), turned into one ordered list: the
/// intended deployment first, picked by weight; then the alias's other deployments in weighted order;
/// then each fallback entry (an alias contributes its own deployments the same way). A deployment appears
/// once. Randomness comes from the injected <see cref="Random"/>, so tests are deterministic.
/// </summary>
public sealed class Planner(Random random)
{
    /// <summary>Builds the plan for <paramref name="route"/>.</summary>
    public PlanStep[] Plan(AliasRoute route)
    {
        // The common case, one deployment and no fallbacks, allocates just the one-element array.
        if (route.Deployments.Length == 1 && route.Fallbacks.Length == 0)
        {
            return [new PlanStep(route.Deployments[0], PlanReason.Primary)];
        }

        var steps = new List<PlanStep>(route.Deployments.Length + route.Fallbacks.Length + 2);
        AddWeighted(steps, route, PlanReason.Primary, PlanReason.AliasAlternate);
        foreach (var fallback in route.Fallbacks)
        {
            if (fallback.Deployment is { } d)
            {
                AddOnce(steps, d, PlanReason.Fallback);
            }
            else
            {
                AddWeighted(steps, fallback.Alias!, PlanReason.Fallback, PlanReason.Fallback);
            }
        }

        return steps.ToArray();
    }

    /// <summary>Weighted order without replacement: each pick is proportional to the weights left.</summary>
    private void AddWeighted(List<PlanStep> steps, AliasRoute route, PlanReason first, PlanReason rest)
    {
        var count = route.Deployments.Length;
        Span<bool> taken = count <= 64 ? stackalloc bool[count] : new bool[count];
        var remaining = route.TotalWeight;
        for (var picked = 0; picked < count; picked++)
        {
            var roll = random.Next(remaining);
            var chosen = -1;
            for (var i = 0; i < count; i++)
            {
                if (taken[i])
                {
                    continue;
                }

                if (roll < route.Weights[i])
                {
                    chosen = i;
                    break;
                }

                roll -= route.Weights[i];
            }

            taken[chosen] = true;
            remaining -= route.Weights[chosen];
            AddOnce(steps, route.Deployments[chosen], picked == 0 && steps.Count == 0 ? first : rest);
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
