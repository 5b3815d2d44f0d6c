using System.Diagnostics.Metrics;
using Switchyard.Health;

namespace Switchyard.Observability;

/// <summary>
/// The usage writer's state, as the gauges read it (Hosting maps the writer's own status into this: Observability
/// and Usage are peers and do not import each other).
/// </summary>
/// <param name="Buffered">Records in memory, not yet on disk.</param>
/// <param name="Dropped">Records dropped since start (memory bound reached while no store took them).</param>
/// <param name="JournalBacklogBytes">Journal bytes not yet in the database.</param>
/// <param name="DurabilityLag">How long the last batch's oldest record waited in memory before it was on disk.</param>
public readonly record struct UsageBacklog(long Buffered, long Dropped, long JournalBacklogBytes, TimeSpan DurabilityLag);

/// <summary>
/// Gauges read when metrics are collected (a scrape, an export), never on the request path: each deployment's
/// circuit state and requests in flight (from <see cref="HealthRegistry"/>, for the deployments of the live
/// configuration), and the usage writer's backlog.
/// </summary>
internal static class StateGauges
{
    private static readonly (CircuitState State, string Name)[] States =
        [(CircuitState.Closed, "closed"), (CircuitState.HalfOpen, "half_open"), (CircuitState.Open, "open")];

    /// <summary>Creates the gauges on <paramref name="meter"/>.</summary>
    public static void Create(Meter meter, RouterState router, HealthRegistry health, Func<UsageBacklog> usage, IResponseCache? cache = null)
    {
        if (cache is { Shared: false }) // a shared store's size is the fleet's, not this replica's
        {
            meter.CreateObservableGauge("switchyard.cache.entries", () => cache.Count, "{entry}", "Answers held by the exact cache");
            meter.CreateObservableGauge("switchyard.cache.size", () => cache.Bytes, "By", "Estimated memory the exact cache's entries hold (bounded by cache.max_bytes)");
        }

        meter.CreateObservableGauge("switchyard.circuit.state", () => Circuits(router, health), "{state}",
            "1 for the state each deployment's circuit breaker is in (closed, half_open, open), 0 for the other two");
        meter.CreateObservableGauge("switchyard.deployment.in_flight", () => InFlight(router, health), "{request}",
            "Upstream attempts in flight per deployment");
        meter.CreateObservableGauge("switchyard.usage.buffered", () => usage().Buffered, "{record}",
            "Usage records in memory, not yet on disk (journal or database)");
        meter.CreateObservableCounter("switchyard.usage.dropped", () => usage().Dropped, "{record}",
            "Usage records dropped since start: the memory bound was reached while no store took them");
        meter.CreateObservableGauge("switchyard.usage.journal.backlog", () => usage().JournalBacklogBytes, "By",
            "Journal bytes not yet copied into the usage database");
        meter.CreateObservableGauge("switchyard.usage.durability_lag", () => usage().DurabilityLag.TotalSeconds, "s",
            "How long the last written batch's oldest usage record waited in memory before it was on disk");
    }

    private static IEnumerable<Measurement<int>> Circuits(RouterState router, HealthRegistry health)
    {
        foreach (var name in router.Current.Config.Deployments.Keys)
        {
            var state = health.For(name).State;
            foreach (var (value, label) in States)
            {
                yield return new Measurement<int>(state == value ? 1 : 0,
                    new KeyValuePair<string, object?>(GenAiNames.Deployment, name), new KeyValuePair<string, object?>(GenAiNames.State, label));
            }
        }
    }

    private static IEnumerable<Measurement<int>> InFlight(RouterState router, HealthRegistry health)
    {
        foreach (var name in router.Current.Config.Deployments.Keys)
        {
            yield return new Measurement<int>(health.For(name).InFlight, new KeyValuePair<string, object?>(GenAiNames.Deployment, name));
        }
    }
}
