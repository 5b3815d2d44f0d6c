using System.Collections.Concurrent;

namespace Switchyard.Health;

/// <summary>The live state of every deployment, by name; survives config reloads (a renamed deployment starts fresh).</summary>
public sealed class HealthRegistry(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, DeploymentHealth> states = new(StringComparer.Ordinal);
    private readonly TimeProvider clock = time;
    private CircuitBreakerSettings settings = CircuitBreakerSettings.Default;

    /// <summary>The state of <paramref name="deployment"/>, created on first use.</summary>
    public DeploymentHealth For(string deployment) =>
        states.TryGetValue(deployment, out var h) ? h : states.GetOrAdd(deployment, static (name, r) => new DeploymentHealth(name, r.clock) { Settings = r.settings }, this);

    /// <summary>Applies breaker thresholds to every deployment (at start and on each reload).</summary>
    public void Configure(CircuitBreakerSettings next)
    {
        settings = next;
        foreach (var h in states.Values)
        {
            h.Settings = next;
        }
    }

    /// <summary>Every known state.</summary>
    public IEnumerable<DeploymentHealth> All => states.Values;
}
