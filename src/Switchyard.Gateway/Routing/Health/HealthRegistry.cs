using System.Collections.Concurrent;

namespace Switchyard.Routing.Health;

/// <summary>The live state of every deployment, by name; survives config reloads (a renamed deployment starts fresh).</summary>
public sealed class HealthRegistry(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, DeploymentHealth> states = new(StringComparer.Ordinal);

    /// <summary>The state of <paramref name="deployment"/>, created on first use.</summary>
    public DeploymentHealth For(string deployment) => states.GetOrAdd(deployment, static (name, t) => new DeploymentHealth(name, t), time);

    /// <summary>Every known state.</summary>
    public IEnumerable<DeploymentHealth> All => states.Values;
}
