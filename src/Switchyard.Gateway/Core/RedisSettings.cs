namespace Switchyard.Core;

/// <summary>What a replica does with a limited request while Redis cannot be reached (<c>redis.on_unreachable</c>).</summary>
public enum RedisFallback
{
    /// <summary>Refuse the request with a 503 naming the cause: a limit is never exceeded, availability pays.</summary>
    FailClosed,

    /// <summary>
    /// Count on this replica alone, each limit divided by <see cref="RedisSettings.Replicas"/>: the fleet stays
    /// within the limit as long as the load balancer spreads traffic evenly, and requests keep flowing.
    /// </summary>
    Local,
}

/// <summary>
/// <c>redis:</c>: the shared counters of a fleet of replicas (docs/adr/0013-redis-counters.md). Read at start
/// only (a reload that changes it is logged by the binder's caller, not applied). The connection string holds
/// credentials, so it comes from an environment variable and is never logged or echoed.
/// </summary>
/// <param name="ConnectionString">StackExchange.Redis configuration (<c>host:port,password=...</c>), from the environment.</param>
/// <param name="ConnectionStringEnv">The variable it came from (for messages).</param>
/// <param name="Timeout">The longest a request waits for Redis before the fallback applies (default 50 ms).</param>
/// <param name="OnUnreachable">What limited requests get while Redis is unreachable.</param>
/// <param name="Replicas">How many replicas share the limits: the divisor of <see cref="RedisFallback.Local"/>.</param>
public sealed record RedisSettings(string ConnectionString, string ConnectionStringEnv, TimeSpan Timeout, RedisFallback OnUnreachable, int Replicas)
{
    /// <summary>Default <see cref="Timeout"/>: a loopback or same-zone Redis answers in well under a millisecond.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// <c>key_prefix</c>: the hash tag every key and channel of this fleet starts with (<c>{switchyard}:...</c>), so two
    /// fleets can share one Redis and a cluster keeps a script's keys in one slot.
    /// </summary>
    public string KeyPrefix { get; init; } = "switchyard";

    /// <summary><c>lease_ttl</c>: how long a concurrency permit outlives a replica that stopped renewing it (crashed).</summary>
    public TimeSpan LeaseTtl { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Shown instead of the connection string anywhere it could be printed.</summary>
    public override string ToString() => $"RedisSettings {{ from ${ConnectionStringEnv}, timeout {Timeout}, on_unreachable {OnUnreachable}, replicas {Replicas} }}";
}
