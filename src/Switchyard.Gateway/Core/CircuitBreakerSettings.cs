namespace Switchyard.Core;

/// <summary>
/// When a deployment's circuit opens: over the last <see cref="Window"/>, at least <see cref="MinRequests"/>
/// attempts of which at least <see cref="FailureRatio"/> failed. It stays open for <see cref="BreakFor"/>,
/// then lets <see cref="HalfOpenTrials"/> live requests through; one success closes it, a failure reopens it.
/// Only upstream faults count (connection, timeout, 429, 5xx, stream cut), never the client's own errors.
/// Set per deployment (<c>deployments.X.circuit_breaker</c>), as a default for an alias's own deployments
/// (<c>models.X.circuit_breaker</c>), or for the server (<c>server.circuit_breaker</c>); <c>off</c> never opens.
/// </summary>
public sealed record CircuitBreakerSettings(double FailureRatio, int MinRequests, TimeSpan Window, TimeSpan BreakFor, int HalfOpenTrials)
{
    /// <summary><c>slow_ttft</c>: a success whose time to first token exceeds this counts as a failure (slow-stream detection).</summary>
    public TimeSpan? SlowTimeToFirstToken { get; init; }

    /// <summary>False for <c>circuit_breaker: off</c>: the deployment is always tried, whatever it answers.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>50% failures over 30 s with at least 10 attempts; open for 30 s; one trial.</summary>
    public static CircuitBreakerSettings Default { get; } = new(0.5, 10, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30), 1);

    /// <summary><c>circuit_breaker: off</c>.</summary>
    public static CircuitBreakerSettings Off { get; } = Default with { Enabled = false };
}
