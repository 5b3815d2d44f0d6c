using System.Collections.Concurrent;
using System.Globalization;
using StackExchange.Redis;
using Switchyard.Governance;

namespace Switchyard.Fleet;

/// <summary>
/// The budgets of the whole fleet, on Redis (<see cref="BudgetScripts"/>): the same contract as
/// <see cref="BudgetLedger"/> (all or nothing across key, team and customer; settled once; reclaimed after the
/// deadline; spend rebuilt from the usage records), so 200 requests spread over any number of replicas cannot spend
/// more than a budget allows (Bifrost keeps budgets per replica: #3547). One script call per reservation; the settle
/// is sent off the request path, made exactly-once by a marker, and kept for replay while Redis is away. While Redis is
/// unreachable each budget's <c>on_unreachable</c> decides (<see cref="BudgetFallback"/>).
/// </summary>
public sealed class SharedBudgetCounters : IBudgetCounters
{
    /// <summary>Settles kept for replay after an outage; beyond this their spend reaches Redis only through the next seed.</summary>
    internal const int MaxPending = 10_000;

    private readonly RedisLink link;
    private readonly ISpendSource? history;
    private readonly TimeProvider time;
    private readonly string prefix;
    private readonly string replica = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray().AsSpan(0, 6));
    private readonly ConcurrentQueue<(RedisKey[] Keys, RedisValue[] Values)> pending = new();
    private readonly ConcurrentDictionary<RedisKey, Lazy<Task<long>>> seeding = new();
    private long next;

    /// <summary>Budgets on <paramref name="link"/>, seeded from <paramref name="history"/>.</summary>
    public SharedBudgetCounters(RedisLink link, ISpendSource? history, TimeProvider time)
    {
        this.link = link;
        this.history = history;
        this.time = time;
        prefix = "{" + link.Settings.KeyPrefix + "}:";
        Fallback = new BudgetFallback(link, history, time, this);
        link.Restored += Replay;
    }

    /// <inheritdoc />
    public event Action<BudgetAlert>? Alert;

    /// <summary>What budgets do while Redis is unreachable.</summary>
    internal BudgetFallback Fallback { get; }

    /// <summary>Settles waiting for Redis (for tests: 0 once every settle has been sent after an outage).</summary>
    public int PendingSettles => pending.Count;

    /// <inheritdoc />
    public async ValueTask<BudgetDecision> ReserveAsync(IReadOnlyList<BudgetScope> scopes, long estimateMicros, TimeSpan holdFor)
    {
        var now = time.GetUtcNow();
        var plan = Plan(scopes, estimateMicros, now);
        var id = NewId();
        var values = Arguments(plan, id, now, holdFor);
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var result = await link.EvaluateAsync(BudgetScripts.Reserve, plan.Keys, values).ConfigureAwait(false);
            if (result is null)
            {
                Send(plan, id, 0, undo: true); // if the reserve still reaches Redis, what it took goes back
                return Fallback.Reserve(scopes, estimateMicros, holdFor);
            }

            var answer = (long[])result!;
            if (answer[0] != 2)
            {
                return Decide(plan, answer, id);
            }

            try
            {
                await SeedAsync(plan, answer, values).ConfigureAwait(false); // a budget met for the first time this period: its recorded spend, then again
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                return BudgetDecision.Down("A budget's spend could not be read from the usage records (the database is unreachable); please retry shortly.");
            }
        }

        return BudgetDecision.Down("The shared budgets could not be seeded from the usage records; please retry.");
    }

    /// <inheritdoc />
    public async ValueTask<BudgetState> PeekAsync(BudgetScope scope)
    {
        var now = time.GetUtcNow();
        var plan = Plan([scope], 0, now);
        var result = await link.EvaluateAsync(BudgetScripts.Peek, plan.Keys, [now.ToUnixTimeMilliseconds()]).ConfigureAwait(false);
        var b = plan.Budgets[0];
        return result is not null && (long[])result! is [1, var spent, var reserved]
            ? new BudgetState(scope.Rule.LimitMicros, spent, reserved, b.Start, b.End)
            : new BudgetState(scope.Rule.LimitMicros, history?.SpentSince(scope.Owner, b.Start) ?? 0, 0, b.Start, b.End);
    }

    private string NewId() => replica + ":" + Interlocked.Increment(ref next).ToString(CultureInfo.InvariantCulture);

    /// <summary>Each budget's period, amount and keys: the hash and the reservations of the period the request starts in.</summary>
    internal SharedBudgetPlan Plan(IReadOnlyList<BudgetScope> scopes, long estimate, DateTimeOffset now)
    {
        var budgets = new SharedBudget[scopes.Count];
        var keys = new RedisKey[scopes.Count * 2];
        for (var i = 0; i < scopes.Count; i++)
        {
            var scope = scopes[i];
            var (start, end) = BudgetPeriods.Of(scope.Rule, now);
            var period = start.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
            budgets[i] = new SharedBudget(scope, Math.Min(estimate, scope.Rule.MaxReservationMicros ?? long.MaxValue), start, end);
            keys[2 * i] = $"{prefix}u:{scope.Name}:{period}";
            keys[2 * i + 1] = $"{prefix}ur:{scope.Name}:{period}";
        }

        return new SharedBudgetPlan(budgets, keys);
    }

    private static RedisValue[] Arguments(SharedBudgetPlan plan, string id, DateTimeOffset now, TimeSpan holdFor)
    {
        var values = new RedisValue[3 + plan.Budgets.Length * 4];
        values[0] = now.ToUnixTimeMilliseconds();
        values[1] = id;
        values[2] = (now + holdFor).ToUnixTimeMilliseconds();
        for (var i = 0; i < plan.Budgets.Length; i++)
        {
            var b = plan.Budgets[i];
            values[3 + 4 * i] = b.Scope.Rule.LimitMicros;
            values[4 + 4 * i] = b.Amount;
            values[5 + 4 * i] = -1;

            // The hash outlives its period by a day: a request that straddles the reset still settles into it.
            values[6 + 4 * i] = b.End == DateTimeOffset.MaxValue ? 0 : (b.End + TimeSpan.FromDays(1)).ToUnixTimeMilliseconds();
        }

        return values;
    }

    /// <summary>
    /// Fills in the recorded spend of the budgets the script named: one query per budget and period for the whole
    /// fleet in the common case, and one per replica when a burst meets a new period at once (concurrent requests of a
    /// replica share one query, off the request threads, so a burst at midnight cannot starve the thread pool).
    /// </summary>
    private async Task SeedAsync(SharedBudgetPlan plan, long[] answer, RedisValue[] values)
    {
        for (var j = 1; j < answer.Length; j++)
        {
            var i = (int)answer[j] - 1;
            var b = plan.Budgets[i];
            var key = plan.Keys[2 * i];
            var query = seeding.GetOrAdd(key, _ => new Lazy<Task<long>>(() => Task.Run(() => history?.SpentSince(b.Scope.Owner, b.Start) ?? 0)));
            try
            {
                values[5 + 4 * i] = await query.Value.ConfigureAwait(false);
            }
            finally
            {
                seeding.TryRemove(new KeyValuePair<RedisKey, Lazy<Task<long>>>(key, query)); // the next seed (Redis lost its data) reads afresh
            }
        }
    }

    private BudgetDecision Decide(SharedBudgetPlan plan, long[] answer, string id)
    {
        var states = new BudgetState[plan.Budgets.Length];
        for (var i = 0; i < states.Length; i++)
        {
            var b = plan.Budgets[i];
            states[i] = new BudgetState(b.Scope.Rule.LimitMicros, answer[2 + 2 * i], answer[3 + 2 * i], b.Start, b.End);
            Fallback.Saw(b, states[i]);
        }

        if (answer[0] == 1)
        {
            return new BudgetDecision(new SharedBudgetHold(this, plan, id), null, states);
        }

        var refused = plan.Budgets[(int)answer[1] - 1];
        return new BudgetDecision(null, new BudgetRefusal(refused.Scope.Name, states[(int)answer[1] - 1], refused.Amount), states);
    }

    /// <summary>
    /// Sends the settle (or undo) of reservation <paramref name="id"/> off the request path: its answer raises the alert
    /// shares it crossed; without one (Redis away) it waits in <see cref="pending"/> for the link to come back.
    /// </summary>
    internal void Send(SharedBudgetPlan plan, string id, long actualMicros, bool undo = false)
    {
        var keys = new RedisKey[plan.Keys.Length + 1];
        plan.Keys.CopyTo(keys, 0);
        keys[^1] = $"{prefix}us:{id}";
        var values = new RedisValue[3 + plan.Budgets.Length];
        (values[0], values[1], values[2]) = (undo ? "undo" : "settle", id, actualMicros);
        for (var i = 0; i < plan.Budgets.Length; i++)
        {
            values[3 + i] = plan.Budgets[i].Amount;
        }

        if (undo)
        {
            link.Fire(BudgetScripts.Settle, keys, values, evenIfDown: true);
            Keep(keys, values);
            return;
        }

        _ = SettleAsync(plan, keys, values);
    }

    private async Task SettleAsync(SharedBudgetPlan plan, RedisKey[] keys, RedisValue[] values)
    {
        var result = await link.EvaluateAsync(BudgetScripts.Settle, keys, values).ConfigureAwait(false);
        if (result is null)
        {
            Keep(keys, values); // sent again when Redis is back; the marker keeps it from counting twice
            return;
        }

        var answer = (long[])result!;
        for (var i = 0; answer[0] == 1 && i < plan.Budgets.Length; i++)
        {
            RaiseCrossed(plan.Budgets[i], answer[1 + 2 * i], answer[2 + 2 * i]);
        }
    }

    /// <summary>Spend settled by the local fallback during an outage, sent to Redis when it is back (once, by its marker).</summary>
    internal void KeepSpend(SharedBudgetPlan plan, string id, long actualMicros)
    {
        var keys = new RedisKey[plan.Keys.Length + 1];
        plan.Keys.CopyTo(keys, 0);
        keys[^1] = $"{prefix}us:{id}";
        var values = new RedisValue[3 + plan.Budgets.Length];
        (values[0], values[1], values[2]) = ("settle", id, actualMicros);
        for (var i = 0; i < plan.Budgets.Length; i++)
        {
            values[3 + i] = 0;
        }

        Keep(keys, values);
    }

    internal string LocalId() => NewId();

    private void Keep(RedisKey[] keys, RedisValue[] values)
    {
        if (pending.Count < MaxPending)
        {
            pending.Enqueue((keys, values));
        }

        if (link.IsShared)
        {
            Flush(); // the link came back meanwhile (or only this call timed out): send it now, the marker dedupes
        }
    }

    /// <summary>Each alert share this settle took the spend past: exactly one settle in the fleet crosses each.</summary>
    private void RaiseCrossed(SharedBudget budget, long before, long after)
    {
        var rule = budget.Scope.Rule;
        foreach (var share in rule.AlertAt)
        {
            var line = share * rule.LimitMicros;
            if (before >= 0 && before < line && after >= line)
            {
                Alert?.Invoke(new BudgetAlert(budget.Scope.Name, share, after, rule.LimitMicros, budget.End));
            }
        }
    }

    /// <summary>The link is back: settles that waited go first (ordered before the next reserve on the connection).</summary>
    private void Replay()
    {
        Flush();
        Fallback.Reset();
    }

    private void Flush()
    {
        while (pending.TryDequeue(out var settle))
        {
            link.Fire(BudgetScripts.Settle, settle.Keys, settle.Values);
        }
    }
}

/// <summary>One budget of a request: its scope, what the request reserves in it, its current period.</summary>
internal readonly record struct SharedBudget(BudgetScope Scope, long Amount, DateTimeOffset Start, DateTimeOffset End);

/// <summary>A request's budgets and their keys (hash, reservations) index for index.</summary>
internal sealed record SharedBudgetPlan(SharedBudget[] Budgets, RedisKey[] Keys);

/// <summary>A reservation on Redis, settled once (a second call does nothing).</summary>
internal sealed class SharedBudgetHold(SharedBudgetCounters owner, SharedBudgetPlan plan, string id) : IBudgetHold
{
    private int settled;

    /// <inheritdoc />
    public long AllowanceMicros => plan.Budgets.Min(b => b.Amount);

    /// <inheritdoc />
    public void Settle(long actualMicros)
    {
        if (Interlocked.Exchange(ref settled, 1) == 0)
        {
            owner.Send(plan, id, actualMicros);
        }
    }
}
