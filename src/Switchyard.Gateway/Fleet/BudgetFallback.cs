using System.Collections.Concurrent;
using Switchyard.Governance;

namespace Switchyard.Fleet;

/// <summary>
/// Budgets while Redis is unreachable, as each declares (<c>on_unreachable</c>, default <c>redis.on_unreachable</c>):
/// <c>fail_closed</c> refuses the request with a 503 naming the cause; <c>local</c> reserves in this replica's own
/// <see cref="BudgetLedger"/> against its share of what the budget had left when Redis was last seen (limit minus spent
/// and reserved, divided by <c>redis.replicas</c>), so the fleet together stays within the budget while traffic is spread
/// evenly. The spend settled locally is kept and sent to Redis once it is back (exactly once, by its marker), and the
/// local ledger starts afresh, so the next outage's share is computed from a sum that includes this one's spend.
/// </summary>
internal sealed class BudgetFallback(RedisLink link, ISpendSource? history, TimeProvider time, SharedBudgetCounters owner)
{
    private readonly ConcurrentDictionary<string, (DateTimeOffset Start, long Used)> seen = new(StringComparer.Ordinal);
    private BudgetLedger ledger = new(time);

    /// <summary>Remembers what a budget had used (spent + reserved) in the fleet, from each answer of Redis.</summary>
    public void Saw(SharedBudget budget, BudgetState state) =>
        seen[budget.Scope.Name] = (budget.Start, state.SpentMicros + state.ReservedMicros);

    /// <summary>Redis is back: the outage's spend is on its way there, so the local shares start again from zero.</summary>
    public void Reset() => ledger = new BudgetLedger(time);

    /// <summary>The declared behaviour for a reservation Redis could not take.</summary>
    public BudgetDecision Reserve(IReadOnlyList<BudgetScope> scopes, long estimate, TimeSpan holdFor)
    {
        link.CountFallback();
        foreach (var scope in scopes)
        {
            if ((scope.Rule.OnUnreachable ?? link.Settings.OnUnreachable) == RedisFallback.FailClosed)
            {
                return BudgetDecision.Down(
                    $"Budgets are shared across replicas and the shared reservations (Redis) are unreachable; the budget of {scope.Name} "
                    + $"refuses requests until they are back ({(scope.Rule.OnUnreachable is null ? "redis." : "")}on_unreachable: fail_closed). Please retry shortly.");
            }
        }

        var now = time.GetUtcNow();
        var local = new BudgetScope[scopes.Count];
        for (var i = 0; i < scopes.Count; i++)
        {
            if (Share(scopes[i], now) is not { } share)
            {
                return BudgetDecision.Down($"Neither the shared reservations (Redis) nor the usage records can tell what the budget of {scopes[i].Name} has left; please retry shortly.");
            }

            local[i] = scopes[i] with { Rule = scopes[i].Rule with { LimitMicros = share } };
        }

        var current = ledger;
        var reservation = current.TryReserve(local, estimate, holdFor, out var refusal);
        return reservation is null
            ? new BudgetDecision(null, refusal)
            : new BudgetDecision(new Hold(reservation, owner, owner.Plan(scopes, estimate, now), owner.LocalId()), null);
    }

    /// <summary>This replica's share of what the budget had left, or null when nothing can tell (records unreachable too).</summary>
    private long? Share(BudgetScope scope, DateTimeOffset now)
    {
        var start = BudgetPeriods.Of(scope.Rule, now).Start;
        long used;
        if (seen.TryGetValue(scope.Name, out var last) && last.Start == start)
        {
            used = last.Used;
        }
        else
        {
            try
            {
                used = history?.SpentSince(scope.Owner, start) ?? 0;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                return null;
            }

            seen[scope.Name] = (start, used);
        }

        var left = Math.Max(0, scope.Rule.LimitMicros - used);
        return left / Math.Max(1, link.Settings.Replicas);
    }

    /// <summary>A local reservation whose spend also goes to Redis when it is back.</summary>
    private sealed class Hold(BudgetReservation reservation, SharedBudgetCounters owner, SharedBudgetPlan plan, string id) : IBudgetHold
    {
        private int settled;

        public long AllowanceMicros => reservation.AllowanceMicros;

        public void Settle(long actualMicros)
        {
            if (Interlocked.Exchange(ref settled, 1) == 0)
            {
                reservation.Settle(actualMicros);
                if (actualMicros != 0)
                {
                    owner.KeepSpend(plan, id, actualMicros);
                }
            }
        }
    }
}
