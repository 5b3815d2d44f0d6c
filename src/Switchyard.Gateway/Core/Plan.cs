namespace Switchyard.Core;

/// <summary>Why a deployment is in a plan.</summary>
public enum PlanReason
{
    /// <summary>Chosen by the routing strategy among the alias's deployments: the intended one.</summary>
    Primary,

    /// <summary>Another deployment of the same alias, tried when the primary fails.</summary>
    AliasAlternate,

    /// <summary>An entry of the alias's fallback chain.</summary>
    Fallback,
}

/// <summary>One step of a plan.</summary>
public readonly record struct PlanStep(DeploymentTarget Deployment, PlanReason Reason);

/// <summary>A deployment left out of a plan, and why (for <c>/v1/route/explain</c>).</summary>
public sealed record Exclusion(string Deployment, string Reason);
