using System.Collections.Concurrent;

namespace Switchyard.Health;

/// <summary>The live state of every deployment, by name; survives config reloads (a renamed deployment starts fresh).</summary>
public sealed class HealthRegistry(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, DeploymentHealth> states = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ShareBudget> hedges = new(StringComparer.Ordinal);
    private readonly TimeProvider clock = time;
    private CircuitBreakerSettings settings = CircuitBreakerSettings.Default;
    private IReadOnlyDictionary<string, CircuitBreakerSettings> byDeployment = new Dictionary<string, CircuitBreakerSettings>();

    /// <summary>The state of <paramref name="deployment"/>, created on first use.</summary>
    public DeploymentHealth For(string deployment) =>
        states.TryGetValue(deployment, out var h) ? h : states.GetOrAdd(deployment, static (name, r) => new DeploymentHealth(name, r.clock) { Settings = r.SettingsFor(name), Opened = r.RaiseOpened }, this);

    /// <summary>
    /// Raised when this replica's traffic opens a deployment's circuit, with the break it opened for (the fleet's
    /// breaker broadcast publishes it; docs/adr/0013-redis-counters.md).
    /// </summary>
    public event Action<string, TimeSpan>? Opened;

    private void RaiseOpened(DeploymentHealth health) => Opened?.Invoke(health.Name, health.Settings.BreakFor);

    /// <summary>
    /// The hedge budget of alias <paramref name="alias"/>: hedges may be at most a share of the alias's requests
    /// that waited past the hedge delay, over the last minute. Kept across reloads, like deployment health.
    /// </summary>
    public ShareBudget Hedges(string alias) =>
        hedges.TryGetValue(alias, out var b) ? b : hedges.GetOrAdd(alias, static (_, r) => new ShareBudget(r.clock, TimeSpan.FromMinutes(1)), this);

    /// <summary>Applies breaker thresholds to every deployment (at start and on each reload).</summary>
    public void Configure(CircuitBreakerSettings next)
    {
        settings = next;
        byDeployment = new Dictionary<string, CircuitBreakerSettings>();
        foreach (var h in states.Values)
        {
            h.Settings = next;
        }
    }

    /// <summary>
    /// Applies each deployment's own breaker (its own, its alias's default, or the server's: see
    /// <see cref="GatewayConfig.BreakerFor"/>) at start and on each reload.
    /// </summary>
    public void Configure(GatewayConfig config)
    {
        settings = config.Server.CircuitBreaker;
        byDeployment = config.Deployments.ToDictionary(d => d.Key, d => config.BreakerFor(d.Value), StringComparer.Ordinal);
        foreach (var h in states.Values)
        {
            h.Settings = SettingsFor(h.Name);
        }
    }

    private CircuitBreakerSettings SettingsFor(string deployment) => byDeployment.GetValueOrDefault(deployment, settings);

    /// <summary>Every known state.</summary>
    public IEnumerable<DeploymentHealth> All => states.Values;
}
