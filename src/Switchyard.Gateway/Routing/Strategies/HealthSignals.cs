using Switchyard.Health;

namespace Switchyard.Routing.Strategies;

/// <summary>
/// <see cref="IDeploymentSignals"/> read from the <see cref="HealthRegistry"/>: the live counters real traffic
/// feeds. One per planner; each read is the registry's lookup by name, as the planner's own availability check does.
/// </summary>
public sealed class HealthSignals(HealthRegistry health) : IDeploymentSignals
{
    /// <inheritdoc />
    public int InFlight(DeploymentTarget deployment) => health.For(deployment.Name).InFlight;

    /// <inheritdoc />
    public double LatencyMs(DeploymentTarget deployment) => health.For(deployment.Name).LatencyMs;

    /// <inheritdoc />
    public double Headroom(DeploymentTarget deployment) => health.For(deployment.Name).Headroom(deployment.Config.Limits);
}
