namespace Switchyard.Governance;

/// <summary>
/// The port <see cref="LimitStage"/> takes its allowances through: the per-replica <see cref="LimitBook"/>, or the
/// fleet's shared counters on Redis (Fleet/SharedLimitCounters, docs/adr/0013-redis-counters.md). Both keep one
/// contract: every limit of every scope is taken all or nothing, tokens are reserved and corrected once by
/// <see cref="ILimitLease.Settle"/>, concurrency permits come back exactly once.
/// </summary>
public interface ILimitCounters
{
    /// <summary>
    /// Takes one request and <paramref name="inputTokens"/> + <paramref name="outputTokens"/> from every limit of every
    /// scope, all or nothing, and reports the tightest request and token windows for the <c>x-ratelimit-*</c> headers.
    /// </summary>
    ValueTask<LimitDecision> AcquireAsync(IReadOnlyList<LimitScope> scopes, long inputTokens, long outputTokens);
}

/// <summary>What a request took: settled once with its real token counts, or cancelled (everything back).</summary>
public interface ILimitLease
{
    /// <summary>The request ran: charges its real tokens in place of the reservation, returns its permits.</summary>
    void Settle(long inputTokens, long outputTokens);

    /// <summary>Nothing ran (a dry run, a later refusal): everything taken goes back.</summary>
    void Cancel();
}

/// <summary>
/// The outcome of <see cref="ILimitCounters.AcquireAsync"/>: a lease, or a refusal (429), or
/// <see cref="Unavailable"/> (503: the shared counters cannot be reached and the policy is to fail closed).
/// </summary>
public readonly record struct LimitDecision(ILimitLease? Lease, LimitRefusal? Refusal, RateLimitWindow? Requests, RateLimitWindow? Tokens)
{
    /// <summary>Why no decision could be made (null when one was).</summary>
    public string? Unavailable { get; init; }

    /// <summary>Refused because the counters are unreachable: the caller gets a 503 with <paramref name="reason"/>.</summary>
    public static LimitDecision Down(string reason) => new(null, null, null, null) { Unavailable = reason };

    /// <summary>The tighter of two windows (the one with less left).</summary>
    public static RateLimitWindow? Tighter(RateLimitWindow? a, RateLimitWindow? b) =>
        a is null ? b : b is null ? a : b.Value.Remaining < a.Value.Remaining ? b : a;
}
