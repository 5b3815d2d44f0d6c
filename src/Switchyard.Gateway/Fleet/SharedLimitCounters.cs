using System.Collections.Concurrent;
using System.Globalization;
using StackExchange.Redis;
using Switchyard.Governance;

namespace Switchyard.Fleet;

/// <summary>
/// The limits of the whole fleet, on Redis: the same contract as <see cref="LimitBook"/> (all or nothing across
/// scopes, tokens reserved then corrected once, permits returned once), so a key with <c>rpm: 100</c> gets 100
/// requests a minute across every replica, not 100 per replica (LiteLLM #27736). One script call per request
/// decides; settling is sent without waiting. While Redis is unreachable <see cref="RedisSettings.OnUnreachable"/>
/// decides: a 503, or this replica's own <see cref="LimitBook"/> with every limit divided by the replica count.
/// Concurrency permits carry a deadline (<see cref="RedisSettings.LeaseTtl"/>) that <see cref="RenewAsync"/> pushes
/// while the request runs, so a crashed replica's permits come back within one TTL.
/// </summary>
public sealed class SharedLimitCounters : ILimitCounters
{
    /// <summary>Undos kept for replay after an outage; beyond this, allowances lapse by refill and deadline instead.</summary>
    internal const int MaxPendingUndos = 10_000;

    private readonly RedisLink link;
    private readonly LimitBook local;
    private readonly TimeProvider time;
    private readonly ConcurrentQueue<(RedisKey[] Keys, RedisValue[] Values)> undos = new();
    private readonly string prefix;
    private readonly string replica = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray().AsSpan(0, 6));
    private readonly ConcurrentDictionary<long, SharedLease> held = new();
    private readonly ConcurrentDictionary<LimitSet, LimitSet> divided = new();
    private long next;

    /// <summary>Counters on <paramref name="link"/>, with <paramref name="local"/> as the <c>local</c> fallback.</summary>
    public SharedLimitCounters(RedisLink link, LimitBook local, TimeProvider time)
    {
        this.link = link;
        this.local = local;
        this.time = time;
        prefix = "{" + link.Settings.KeyPrefix + "}:";
        link.Restored += ReplayUndos;
    }

    /// <summary>Leases this replica holds on Redis now (for tests and the renewal).</summary>
    public int HeldLeases => held.Count;

    /// <inheritdoc />
    public async ValueTask<LimitDecision> AcquireAsync(IReadOnlyList<LimitScope> scopes, long inputTokens, long outputTokens)
    {
        var id = Interlocked.Increment(ref next);
        var leaseId = replica + ":" + id.ToString(CultureInfo.InvariantCulture);
        var plan = Allowances(scopes, inputTokens, outputTokens, leaseId);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var lease = new SharedLease(this, plan, leaseId, id);
        var result = await link.EvaluateAsync(LimitScripts.Acquire, plan.Keys, Head(plan, now, leaseId)).ConfigureAwait(false);
        if (result is null)
        {
            lease.Undo(); // if the acquire still reaches Redis, what it took goes back
            return await FallbackAsync(scopes, inputTokens, outputTokens).ConfigureAwait(false);
        }

        var values = (long[])result!;
        var decision = Decide(plan, values);
        if (values[0] == 1)
        {
            if (plan.HasConcurrency)
            {
                held[id] = lease;
            }

            return decision with { Lease = lease };
        }

        return decision;
    }

    private RedisValue[] Head(AllowancePlan plan, long now, string leaseId)
    {
        var values = new RedisValue[3 + plan.Allowances.Count * 3];
        values[0] = now;
        values[1] = leaseId;
        values[2] = now + (long)link.Settings.LeaseTtl.TotalMilliseconds;
        for (var i = 0; i < plan.Allowances.Count; i++)
        {
            var a = plan.Allowances[i];
            values[3 + 3 * i] = a.Kind == 'c' ? "c" : "b";
            values[4 + 3 * i] = a.Capacity;
            values[5 + 3 * i] = a.Amount;
        }

        return values;
    }

    /// <summary>The allowances of the scopes in <see cref="LimitBook"/>'s order: per scope requests, tokens, input, output, concurrency.</summary>
    private AllowancePlan Allowances(IReadOnlyList<LimitScope> scopes, long input, long output, string leaseId)
    {
        var list = new List<Allowance>(scopes.Count * 2);
        foreach (var scope in scopes)
        {
            var l = scope.Limits;
            Add(list, scope, 'r', l.Rpm, 1, "requests per minute");
            Add(list, scope, 't', l.Tpm, input + output, "tokens per minute");
            Add(list, scope, 'i', l.InputTpm, input, "input tokens per minute");
            Add(list, scope, 'o', l.OutputTpm, output, "output tokens per minute");
            Add(list, scope, 'c', l.Concurrency, 1, "concurrent requests");
        }

        var keys = new RedisKey[list.Count + 1];
        keys[list.Count] = $"{prefix}l:{leaseId}";
        for (var i = 0; i < list.Count; i++)
        {
            var a = list[i];
            keys[i] = a.Kind == 'c'
                ? $"{prefix}c:{a.Scope}:{a.Capacity.ToString(CultureInfo.InvariantCulture)}"
                : $"{prefix}b:{a.Scope}:{a.Kind}:{a.Capacity.ToString(CultureInfo.InvariantCulture)}";
        }

        return new AllowancePlan(list, keys);
    }

    private static void Add(List<Allowance> list, LimitScope scope, char kind, long? limit, long amount, string what)
    {
        if (limit is { } capacity)
        {
            list.Add(new Allowance(scope.Name, kind, capacity, amount, what));
        }
    }

    /// <summary>The refusal (if any) and the tightest request and token windows from the script's answer.</summary>
    private static LimitDecision Decide(AllowancePlan plan, long[] values)
    {
        RateLimitWindow? requests = null;
        RateLimitWindow? tokens = null;
        for (var i = 0; i < plan.Allowances.Count; i++)
        {
            var a = plan.Allowances[i];
            var window = new RateLimitWindow(a.Capacity, values[3 + 2 * i], TimeSpan.FromMilliseconds(values[4 + 2 * i]));
            if (a.Kind == 'r')
            {
                requests = LimitDecision.Tighter(requests, window);
            }
            else if (a.Kind == 't')
            {
                tokens = LimitDecision.Tighter(tokens, window);
            }
        }

        if (values[0] == 1)
        {
            return new LimitDecision(null, null, requests, tokens);
        }

        var refused = plan.Allowances[(int)values[1] - 1];
        TimeSpan? wait = values[2] < 0 ? null : TimeSpan.FromMilliseconds(values[2]);
        var refusal = new LimitRefusal(refused.Scope, refused.What, refused.Capacity, refused.Amount, wait);
        return new LimitDecision(null, refusal, requests, tokens);
    }

    /// <summary>Redis is unreachable: the declared behaviour, never a silent change of meaning.</summary>
    private ValueTask<LimitDecision> FallbackAsync(IReadOnlyList<LimitScope> scopes, long input, long output)
    {
        link.CountFallback();
        foreach (var scope in scopes)
        {
            // Each scope's own declaration (on_unreachable), else redis.on_unreachable; one that fails closed refuses the
            // whole request, since limits are taken all or nothing.
            if ((scope.Limits.OnUnreachable ?? link.Settings.OnUnreachable) == RedisFallback.FailClosed)
            {
                return ValueTask.FromResult(LimitDecision.Down(
                    $"Rate limits are shared across replicas and the shared counters (Redis) are unreachable; the limits of {scope.Name} "
                    + $"refuse requests until they are back ({(scope.Limits.OnUnreachable is null ? "redis." : "")}on_unreachable: fail_closed). Please retry shortly."));
            }
        }

        var replicas = link.Settings.Replicas;
        var localScopes = new LimitScope[scopes.Count];
        for (var i = 0; i < scopes.Count; i++)
        {
            localScopes[i] = new LimitScope(scopes[i].Name, divided.GetOrAdd(scopes[i].Limits, static (l, n) => Divide(l, n), replicas));
        }

        return local.AcquireAsync(localScopes, input, output);
    }

    /// <summary>This replica's share of a limit: the limit divided by the replicas, at least 1.</summary>
    internal static LimitSet Divide(LimitSet l, int replicas) => replicas <= 1 ? l : new LimitSet(
        Share(l.Rpm, replicas), Share(l.Tpm, replicas), Share(l.InputTpm, replicas), Share(l.OutputTpm, replicas), Share(l.Concurrency, replicas))
    {
        OnUnreachable = l.OnUnreachable,
    };

    private static int? Share(int? value, int replicas) => value is { } v ? Math.Max(1, v / replicas) : null;

    private static long? Share(long? value, int replicas) => value is { } v ? Math.Max(1, v / replicas) : null;

    /// <summary>Sends the settle script for <paramref name="lease"/> (corrections and releases) without waiting.</summary>
    internal void Send(SharedLease lease, RedisValue[] values, bool undo = false)
    {
        held.TryRemove(lease.Number, out _);
        link.Fire(LimitScripts.Settle, lease.Plan.Keys, values, evenIfDown: undo);
        if (undo && !link.IsShared && undos.Count < MaxPendingUndos)
        {
            // The acquire may have reached Redis with its answer lost: undo it now if the connection still carries
            // it, and again once the link is back (the marker makes an undo apply once, and only if the acquire did).
            undos.Enqueue((lease.Plan.Keys, values));
        }
    }

    private void ReplayUndos()
    {
        while (undos.TryDequeue(out var undo))
        {
            undo.Values[0] = Now();
            link.Fire(LimitScripts.Settle, undo.Keys, undo.Values);
        }
    }

    internal long Now() => time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>
    /// Pushes the deadline of every permit this replica still holds by one <see cref="RedisSettings.LeaseTtl"/>. Called
    /// every third of the TTL, so a live request never loses its permit and a dead replica's lapse within one TTL.
    /// </summary>
    public async Task RenewAsync()
    {
        if (held.IsEmpty)
        {
            return;
        }

        var keys = new List<RedisKey>();
        var values = new List<RedisValue> { Now(), Now() + (long)link.Settings.LeaseTtl.TotalMilliseconds };
        foreach (var lease in held.Values)
        {
            foreach (var (key, _) in lease.ConcurrencyKeys())
            {
                keys.Add(key);
                values.Add(lease.Id);
            }
        }

        await link.EvaluateAsync(LimitScripts.Renew, [.. keys], [.. values]).ConfigureAwait(false);
    }
}

/// <summary>One allowance of a request: a scope's limit of one kind and what the request takes from it.</summary>
internal readonly record struct Allowance(string Scope, char Kind, long Capacity, long Amount, string What);

/// <summary>A request's allowances and their Redis keys, index for index, then the lease's marker key.</summary>
internal sealed record AllowancePlan(List<Allowance> Allowances, RedisKey[] Keys)
{
    public bool HasConcurrency => Allowances.Exists(a => a.Kind == 'c');
}
