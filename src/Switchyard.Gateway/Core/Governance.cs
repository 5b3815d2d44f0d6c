namespace Switchyard.Core;

/// <summary>
/// Request limits of one scope (a key, a team, a customer, a key × model). Each is per rolling minute except
/// <see cref="Concurrency"/>. Null: no limit of that kind. Token limits are reserved from the request's
/// estimated prompt plus its output cap and corrected after the answer.
/// </summary>
/// <param name="Rpm">Requests per minute.</param>
/// <param name="Tpm">Tokens (input + output) per minute.</param>
/// <param name="InputTpm">Input tokens per minute.</param>
/// <param name="OutputTpm">Output tokens per minute.</param>
/// <param name="Concurrency">Requests in flight at once.</param>
public sealed record LimitSet(int? Rpm = null, long? Tpm = null, long? InputTpm = null, long? OutputTpm = null, int? Concurrency = null)
{
    /// <summary>
    /// <c>on_unreachable</c>: what this scope's limits do while the shared counters (Redis) cannot be reached; null
    /// takes <c>redis.on_unreachable</c> (docs/adr/0013-redis-counters.md). Ignored without <c>redis:</c>.
    /// </summary>
    public RedisFallback? OnUnreachable { get; init; }

    /// <summary>True when no limit is set.</summary>
    public bool IsEmpty => Rpm is null && Tpm is null && InputTpm is null && OutputTpm is null && Concurrency is null;
}

/// <summary>The period a budget resets on (calendar-aligned in the budget's time zone), or never.</summary>
public enum BudgetPeriod
{
    /// <summary>Every day at midnight.</summary>
    Daily,

    /// <summary>Every Monday at midnight.</summary>
    Weekly,

    /// <summary>The first of every month at midnight.</summary>
    Monthly,

    /// <summary>Never resets.</summary>
    Lifetime,
}

/// <summary>What happens to a stream whose running cost reaches the budget's remainder.</summary>
public enum BudgetStreamMode
{
    /// <summary>The stream is ended with an error event in the caller's format.</summary>
    HardStop,

    /// <summary>The stream finishes; the overspend is bounded by the reservation made before the call.</summary>
    Finish,
}

/// <summary>
/// A spending cap in micro-dollars (1 USD = 1,000,000) over a <see cref="BudgetPeriod"/>. Reserved before the
/// upstream call, settled to the real cost after, released on failure.
/// </summary>
/// <param name="LimitMicros">The cap.</param>
/// <param name="Period">When it resets.</param>
public sealed record BudgetRule(long LimitMicros, BudgetPeriod Period)
{
    /// <summary>The IANA time zone the period's boundaries are computed in (UTC by default).</summary>
    public string TimeZone { get; init; } = "UTC";

    /// <summary>Shares of the limit (e.g. 0.8) at which an alert is raised once per period.</summary>
    public IReadOnlyList<double> AlertAt { get; init; } = [];

    /// <summary>What happens to a stream that reaches the limit.</summary>
    public BudgetStreamMode Streams { get; init; } = BudgetStreamMode.HardStop;

    /// <summary>The most one request may reserve (so a key with a small remainder is not blocked by a model's largest output).</summary>
    public long? MaxReservationMicros { get; init; }

    /// <summary>
    /// <c>on_unreachable</c>: what this budget does while the shared reservations (Redis) cannot be reached; null takes
    /// <c>redis.on_unreachable</c>. <c>local</c> reserves in this replica's ledger against its share of what was left.
    /// </summary>
    public RedisFallback? OnUnreachable { get; init; }
}

/// <summary>
/// What governs a key beyond its role: its team, the models it may use, its limits and budget, its expiry.
/// Teams carry defaults that apply where the key sets nothing; the request's customer (header
/// <c>x-switchyard-customer</c> or the body's <c>user</c>) adds its own.
/// </summary>
public sealed record KeyPolicy
{
    /// <summary>A policy that constrains nothing.</summary>
    public static KeyPolicy None { get; } = new();

    /// <summary>The owning team's id, if any.</summary>
    public string? TeamId { get; init; }

    /// <summary>The customer the key belongs to, when the key is a customer's own.</summary>
    public string? CustomerId { get; init; }

    /// <summary>Model aliases (or <c>prefix/*</c> patterns) the key may use; empty: all.</summary>
    public IReadOnlyList<string> AllowedModels { get; init; } = [];

    /// <summary>Conditional routes the key may name or match; empty: all.</summary>
    public IReadOnlyList<string> AllowedRoutes { get; init; } = [];

    /// <summary>The key's own limits.</summary>
    public LimitSet? Limits { get; init; }

    /// <summary>The key's limits per model alias (key × model), beside its own.</summary>
    public IReadOnlyDictionary<string, LimitSet> ModelLimits { get; init; } = new Dictionary<string, LimitSet>();

    /// <summary>The key's own budget.</summary>
    public BudgetRule? Budget { get; init; }

    /// <summary>After this instant the key is refused (401), as if revoked.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>Free-form labels (string pairs), recorded and matchable by routes.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();

    /// <summary>Guardrail policies applied to every request of the key, besides the route's or alias's (docs/adr/0016).</summary>
    public IReadOnlyList<string> Guardrails { get; init; } = [];
}

/// <summary>A team: owns keys and carries their defaults.</summary>
public sealed record TeamInfo(string Id, string Name)
{
    /// <summary>Models the team's keys may use when a key names none; empty: all.</summary>
    public IReadOnlyList<string> AllowedModels { get; init; } = [];

    /// <summary>Limits shared by all the team's keys together.</summary>
    public LimitSet? Limits { get; init; }

    /// <summary>A budget shared by all the team's keys together.</summary>
    public BudgetRule? Budget { get; init; }
}

/// <summary>A team's end user, identified per request; pre-registered customers carry their own limits and budget.</summary>
public sealed record CustomerInfo(string Id, string TeamId)
{
    /// <summary>A display name, if any.</summary>
    public string? Name { get; init; }

    /// <summary>The customer's limits.</summary>
    public LimitSet? Limits { get; init; }

    /// <summary>The customer's budget.</summary>
    public BudgetRule? Budget { get; init; }
}

/// <summary>
/// Teams and customers by id, for the stages that enforce their limits and budgets. Fed by the config file
/// and the admin API; reads are lock-free snapshots.
/// </summary>
public interface IGovernanceDirectory
{
    /// <summary>The team, or null.</summary>
    TeamInfo? Team(string id);

    /// <summary>A registered customer of <paramref name="teamId"/> (null team: any), or null.</summary>
    CustomerInfo? Customer(string? teamId, string id);
}
