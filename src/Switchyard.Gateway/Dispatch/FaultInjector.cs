using System.Collections.Concurrent;
using Switchyard.Dispatch;

namespace Switchyard.Dispatch;

/// <summary>
/// Failover drills: faults injected into chosen deployments for a while, so teams rehearse an outage on
/// live traffic (or on the drill's own simulation) before it happens. An injected fault short-circuits the
/// attempt before any upstream call, is counted as an attempt, and feeds the circuit breaker like a real one.
/// </summary>
public sealed class FaultInjector(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, (FailureKind Kind, DateTimeOffset Until)> faults = new(StringComparer.Ordinal);

    /// <summary>True when any fault is active (checked on the hot path; one volatile read when none).</summary>
    public bool Active => !faults.IsEmpty;

    /// <summary>Injects <paramref name="kind"/> into <paramref name="deployment"/> for <paramref name="duration"/>.</summary>
    public void Inject(string deployment, FailureKind kind, TimeSpan duration) => faults[deployment] = (kind, time.GetUtcNow() + duration);

    /// <summary>Removes every fault.</summary>
    public void Clear() => faults.Clear();

    /// <summary>The active faults.</summary>
    public IReadOnlyDictionary<string, (FailureKind Kind, DateTimeOffset Until)> Snapshot => faults;

    /// <summary>The injected failure for <paramref name="deployment"/>, or null.</summary>
    public UpstreamFailure? FailureFor(string deployment)
    {
        if (!faults.TryGetValue(deployment, out var fault))
        {
            return null;
        }

        if (fault.Until <= time.GetUtcNow())
        {
            faults.TryRemove(deployment, out _);
            return null;
        }

        return Synthesize(deployment, fault.Kind);
    }

    /// <summary>The failure an upstream would have produced for <paramref name="kind"/>.</summary>
    public static UpstreamFailure Synthesize(string deployment, FailureKind kind)
    {
        var message = $"deployment '{deployment}': injected fault ({FailureKinds.Name(kind)}, failover drill)";
        return kind switch
        {
            FailureKind.RateLimited => new UpstreamFailure(kind, message, 429, TimeSpan.FromSeconds(1)),
            FailureKind.ServerError => new UpstreamFailure(kind, message, 500),
            FailureKind.Auth => new UpstreamFailure(kind, message, 401),
            _ => new UpstreamFailure(kind, message),
        };
    }
}
