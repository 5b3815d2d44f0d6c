using System.Collections.Concurrent;
using System.Threading.RateLimiting;

namespace Switchyard.Governance;

/// <summary>A set of limits and the name of what it limits (<c>key:ID</c>, <c>team:ID</c>, <c>customer:TEAM/ID</c>, <c>key-model:ID/ALIAS</c>).</summary>
public sealed record LimitScope(string Name, LimitSet Limits);

/// <summary>Why a request was refused: which scope's which limit, and when it could pass (null: never, it is larger than the limit).</summary>
public sealed record LimitRefusal(string Scope, string What, long Limit, long Requested, TimeSpan? RetryAfter);

/// <summary>
/// The per-node state of every request limit: per-minute buckets for requests and tokens
/// (<see cref="MinuteBucket"/>) and <see cref="ConcurrencyLimiter"/>s for requests in flight, keyed by scope
/// and limit value (a changed limit starts a fresh bucket; leases of the old one still return to it).
/// Buckets that are full carry no state and are swept once there are many, so per-customer scopes cannot
/// grow without bound. Why per-minute buckets are ours and not System.Threading.RateLimiting's: docs/adr/0011.
/// </summary>
public sealed class LimitBook(TimeProvider time) : ILimitCounters
{
    /// <summary>Above this many buckets, idle ones are swept before another is added.</summary>
    internal const int SweepAbove = 50_000;

    private readonly ConcurrentDictionary<(string Scope, char Kind, long Limit), MinuteBucket> buckets = new();
    private readonly ConcurrentDictionary<(string Scope, int Limit), ConcurrencyLimiter> inFlight = new();
    private int sweeping;

    /// <summary>Buckets held now (for tests and metrics).</summary>
    public int BucketCount => buckets.Count;

    /// <summary>
    /// Takes one request and <paramref name="inputTokens"/> + <paramref name="outputTokens"/> (the estimate and the
    /// output reservation) from every limit of every scope, all or nothing: a refusal gives back what was taken.
    /// </summary>
    public LimitLease? TryAcquire(IReadOnlyList<LimitScope> scopes, long inputTokens, long outputTokens, out LimitRefusal? refusal)
    {
        var lease = new LimitLease(this, inputTokens, outputTokens);
        foreach (var scope in scopes)
        {
            refusal = Take(scope, lease);
            if (refusal is not null)
            {
                lease.Cancel();
                return null;
            }
        }

        refusal = null;
        return lease;
    }

    /// <inheritdoc />
    public ValueTask<LimitDecision> AcquireAsync(IReadOnlyList<LimitScope> scopes, long inputTokens, long outputTokens)
    {
        var lease = TryAcquire(scopes, inputTokens, outputTokens, out var refusal);
        RateLimitWindow? requests = null;
        RateLimitWindow? tokens = null;
        foreach (var scope in scopes)
        {
            var state = Peek(scope);
            requests = LimitDecision.Tighter(requests, state.Requests);
            tokens = LimitDecision.Tighter(tokens, state.Tokens);
        }

        return ValueTask.FromResult(new LimitDecision(lease, refusal, requests, tokens));
    }

    private LimitRefusal? Take(LimitScope scope, LimitLease lease)
    {
        var l = scope.Limits;
        var now = time.GetTimestamp();
        return Bucket(scope, 'r', l.Rpm, 1, "requests per minute", lease, now)
            ?? Bucket(scope, 't', l.Tpm, lease.Input + lease.Output, "tokens per minute", lease, now)
            ?? Bucket(scope, 'i', l.InputTpm, lease.Input, "input tokens per minute", lease, now)
            ?? Bucket(scope, 'o', l.OutputTpm, lease.Output, "output tokens per minute", lease, now)
            ?? Concurrency(scope, l.Concurrency, lease);
    }

    private LimitRefusal? Bucket(LimitScope scope, char kind, long? limit, long amount, string what, LimitLease lease, long now)
    {
        if (limit is not { } capacity)
        {
            return null;
        }

        if (amount > capacity)
        {
            return new LimitRefusal(scope.Name, what, capacity, amount, null);
        }

        var bucket = BucketFor(scope.Name, kind, capacity, now);
        if (!bucket.TryTake(amount, now, time, out var wait))
        {
            return new LimitRefusal(scope.Name, what, capacity, amount, wait);
        }

        lease.Took(kind, bucket, amount);
        return null;
    }

    private LimitRefusal? Concurrency(LimitScope scope, int? limit, LimitLease lease)
    {
        if (limit is not { } permits)
        {
            return null;
        }

        var limiter = inFlight.GetOrAdd((scope.Name, permits),
            static key => new ConcurrencyLimiter(new ConcurrencyLimiterOptions { PermitLimit = key.Limit, QueueLimit = 0 }));
        var permit = limiter.AttemptAcquire();
        if (!permit.IsAcquired)
        {
            permit.Dispose();
            return new LimitRefusal(scope.Name, "concurrent requests", permits, 1, TimeSpan.FromSeconds(1));
        }

        lease.Holds(permit);
        return null;
    }

    private MinuteBucket BucketFor(string scope, char kind, long capacity, long now)
    {
        var key = (scope, kind, capacity);
        if (buckets.TryGetValue(key, out var bucket))
        {
            return bucket;
        }

        if (buckets.Count >= SweepAbove)
        {
            Sweep(now);
        }

        return buckets.GetOrAdd(key, static (k, at) => new MinuteBucket(k.Limit, at), now);
    }

    /// <summary>Forgets full buckets (a new one would be identical); one sweeper at a time.</summary>
    private void Sweep(long now)
    {
        if (Interlocked.Exchange(ref sweeping, 1) != 0)
        {
            return;
        }

        try
        {
            foreach (var (key, bucket) in buckets)
            {
                if (bucket.IsIdle(now, time))
                {
                    buckets.TryRemove(new KeyValuePair<(string, char, long), MinuteBucket>(key, bucket));
                }
            }
        }
        finally
        {
            Volatile.Write(ref sweeping, 0);
        }
    }

    /// <summary>The state of <paramref name="scope"/>'s request and token limits, for the <c>x-ratelimit-*</c> headers.</summary>
    public RateLimitState Peek(LimitScope scope)
    {
        var now = time.GetTimestamp();
        var requests = PeekOne(scope.Name, 'r', scope.Limits.Rpm, now);
        var tokens = PeekOne(scope.Name, 't', scope.Limits.Tpm, now);
        return new RateLimitState(requests, tokens);
    }

    private RateLimitWindow? PeekOne(string scope, char kind, long? limit, long now)
    {
        if (limit is not { } capacity)
        {
            return null;
        }

        var (remaining, reset) = buckets.TryGetValue((scope, kind, capacity), out var bucket) ? bucket.Peek(now, time) : (capacity, TimeSpan.Zero);
        return new RateLimitWindow(capacity, remaining, reset);
    }

    internal TimeProvider Time => time;
}

/// <summary>One limit's state: its size, what is left, and when it is whole again.</summary>
public readonly record struct RateLimitWindow(long Limit, long Remaining, TimeSpan Reset);

/// <summary>A scope's request and token windows (null where the scope sets no such limit).</summary>
public readonly record struct RateLimitState(RateLimitWindow? Requests, RateLimitWindow? Tokens);
