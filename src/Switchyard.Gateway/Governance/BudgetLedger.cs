namespace Switchyard.Governance;

/// <summary>A budget as one request meets it: its ledger name (<c>key:ID</c>, <c>team:ID</c>, <c>customer:TEAM/ID</c>), rule and owner.</summary>
public sealed record BudgetScope(string Name, BudgetRule Rule, SpendOwner Owner);

/// <summary>Why a budget refused a request: its state at that moment and what the request needed.</summary>
public sealed record BudgetRefusal(string Scope, BudgetState State, long RequestedMicros);

/// <summary>A budget's current period: its limit, settled spend, open reservations and reset.</summary>
public readonly record struct BudgetState(long LimitMicros, long SpentMicros, long ReservedMicros, DateTimeOffset PeriodStart, DateTimeOffset ResetsAt)
{
    /// <summary>What may still be reserved (never negative).</summary>
    public long RemainingMicros => Math.Max(0, LimitMicros - SpentMicros - ReservedMicros);
}

/// <summary>A share of a budget reached (from the rule's <c>alert_at</c>), raised once per period.</summary>
public sealed record BudgetAlert(string Scope, double Threshold, long SpentMicros, long LimitMicros, DateTimeOffset ResetsAt);

/// <summary>
/// Budgets on one node (docs/adr/0011-limits-and-budgets.md): every request reserves an upper bound of its cost in
/// each of its budgets, all or nothing, under one lock, before any upstream is called; so concurrent requests can
/// never take more together than the budget has left. The reservation is settled to the real cost when the request
/// ends (Settle), and a reservation still open past its deadline is reclaimed, so none can leak and block a key
/// with phantom spend. Spend is rebuilt from the usage records when a budget is first met (<see cref="ISpendSource"/>).
/// </summary>
public sealed class BudgetLedger(TimeProvider time, ISpendSource? history = null) : IBudgetCounters
{
    /// <summary>How often open reservations are swept for expired ones (on the next request after it).</summary>
    internal static readonly TimeSpan SweepEvery = TimeSpan.FromSeconds(10);

    private readonly Lock gate = new();
    private readonly Dictionary<string, Account> accounts = new(StringComparer.Ordinal);
    private readonly HashSet<BudgetReservation> open = [];
    private DateTimeOffset nextSweep;

    /// <summary>Raised (outside the lock) when a settled request takes a budget past one of its alert shares.</summary>
    public event Action<BudgetAlert>? Alert;

    /// <summary>
    /// Reserves <paramref name="estimateMicros"/> (capped per budget by its <see cref="BudgetRule.MaxReservationMicros"/>)
    /// in every scope, or nothing: null and the first scope that cannot take it. A budget with nothing left refuses
    /// even a request estimated at 0.
    /// </summary>
    public BudgetReservation? TryReserve(IReadOnlyList<BudgetScope> scopes, long estimateMicros, TimeSpan holdFor, out BudgetRefusal? refusal)
    {
        var now = time.GetUtcNow();
        var loaded = Load(scopes, now);
        lock (gate)
        {
            Sweep(now);
            var taken = new Account[scopes.Count];
            var amounts = new long[scopes.Count];
            for (var i = 0; i < scopes.Count; i++)
            {
                var account = taken[i] = Current(scopes[i], now, loaded?[i]);
                amounts[i] = Math.Min(estimateMicros, scopes[i].Rule.MaxReservationMicros ?? long.MaxValue);
                var state = account.State(scopes[i].Rule);
                if (state.RemainingMicros <= 0 || amounts[i] > state.RemainingMicros)
                {
                    refusal = new BudgetRefusal(scopes[i].Name, state, amounts[i]);
                    return null;
                }
            }

            var reservation = new BudgetReservation(this, taken, amounts, now, now + holdFor);
            for (var i = 0; i < taken.Length; i++)
            {
                taken[i].Reserved += amounts[i];
            }

            open.Add(reservation);
            refusal = null;
            return reservation;
        }
    }

    /// <inheritdoc />
    public ValueTask<BudgetDecision> ReserveAsync(IReadOnlyList<BudgetScope> scopes, long estimateMicros, TimeSpan holdFor)
    {
        var reservation = TryReserve(scopes, estimateMicros, holdFor, out var refusal);
        return ValueTask.FromResult(new BudgetDecision(reservation, refusal, reservation is null ? null : AlertStates(scopes)));
    }

    /// <inheritdoc />
    public ValueTask<BudgetState> PeekAsync(BudgetScope scope) => ValueTask.FromResult(Peek(scope));

    /// <summary>The states of the scopes, only when one of them has alert shares (the header needs them; nothing allocated otherwise).</summary>
    private BudgetState[]? AlertStates(IReadOnlyList<BudgetScope> scopes)
    {
        BudgetState[]? states = null;
        for (var i = 0; i < scopes.Count; i++)
        {
            if (scopes[i].Rule.AlertAt.Count > 0)
            {
                states ??= new BudgetState[scopes.Count];
                states[i] = Peek(scopes[i]);
            }
        }

        return states;
    }

    /// <summary>The current state of <paramref name="scope"/>'s budget (loading its recorded spend if first met).</summary>
    public BudgetState Peek(BudgetScope scope)
    {
        var now = time.GetUtcNow();
        var loaded = Load([scope], now);
        lock (gate)
        {
            return Current(scope, now, loaded?[0]).State(scope.Rule);
        }
    }

    /// <summary>Open reservations (for tests and the admin view: 0 once every request has ended).</summary>
    public int OpenReservations
    {
        get
        {
            lock (gate)
            {
                return open.Count;
            }
        }
    }

    /// <summary>Settles <paramref name="reservation"/> at <paramref name="actualMicros"/>; called once by the reservation.</summary>
    internal void Settle(BudgetReservation reservation, long actualMicros)
    {
        List<BudgetAlert>? alerts = null;
        lock (gate)
        {
            var reclaimed = !open.Remove(reservation);
            for (var i = 0; i < reservation.Accounts.Length; i++)
            {
                var account = reservation.Accounts[i];
                if (!reclaimed)
                {
                    account.Reserved -= reservation.Amounts[i];
                }

                // Spend belongs to the period the request started in, as its record does: a request that straddles
                // a reset does not eat into the new period.
                if (account.PeriodStart <= reservation.ReservedAt && reservation.ReservedAt < account.ResetsAt)
                {
                    account.Spent += actualMicros;
                    account.CrossedAlerts(ref alerts);
                }
            }
        }

        if (alerts is not null)
        {
            foreach (var alert in alerts)
            {
                Alert?.Invoke(alert);
            }
        }
    }

    /// <summary>Recorded spend for the scopes met for the first time or whose calendar changed (a query each, outside the lock).</summary>
    private long?[]? Load(IReadOnlyList<BudgetScope> scopes, DateTimeOffset now)
    {
        long?[]? spent = null;
        for (var i = 0; i < scopes.Count; i++)
        {
            bool known;
            lock (gate)
            {
                known = accounts.TryGetValue(scopes[i].Name, out var account) && account.SameCalendar(scopes[i].Rule);
            }

            if (!known)
            {
                spent ??= new long?[scopes.Count];
                spent[i] = history?.SpentSince(scopes[i].Owner, BudgetPeriods.Of(scopes[i].Rule, now).Start) ?? 0;
            }
        }

        return spent;
    }

    /// <summary>The scope's account in its current period: created from <paramref name="recorded"/>, or rolled over at a reset.</summary>
    private Account Current(BudgetScope scope, DateTimeOffset now, long? recorded)
    {
        var (start, end) = BudgetPeriods.Of(scope.Rule, now);
        if (!accounts.TryGetValue(scope.Name, out var account) || (!account.SameCalendar(scope.Rule) && recorded is not null))
        {
            var reserved = account?.Reserved ?? 0;
            account = accounts[scope.Name] = new Account(scope.Name, scope.Rule, start, end) { Spent = recorded ?? 0, Reserved = reserved };
            account.SkipPassedAlerts(); // alerts already raised before a restart are not raised again
        }
        else if (account.PeriodStart != start)
        {
            account.Roll(start, end);
        }

        return account;
    }

    /// <summary>Gives back reservations past their deadline (a request that never reached Settle); at most every <see cref="SweepEvery"/>.</summary>
    private void Sweep(DateTimeOffset now)
    {
        if (now < nextSweep)
        {
            return;
        }

        nextSweep = now + SweepEvery;
        open.RemoveWhere(r =>
        {
            if (r.Deadline > now)
            {
                return false;
            }

            for (var i = 0; i < r.Accounts.Length; i++)
            {
                r.Accounts[i].Reserved -= r.Amounts[i];
            }

            return true;
        });
    }

    /// <summary>One budget's running state. Guarded by the ledger's lock.</summary>
    internal sealed class Account(string name, BudgetRule rule, DateTimeOffset start, DateTimeOffset end)
    {
        private BudgetRule rule = rule;
        private int alerted;

        public DateTimeOffset PeriodStart { get; private set; } = start;

        public DateTimeOffset ResetsAt { get; private set; } = end;

        public long Spent { get; set; }

        public long Reserved { get; set; }

        public bool SameCalendar(BudgetRule other) => other.Period == rule.Period && other.TimeZone == rule.TimeZone;

        public BudgetState State(BudgetRule current)
        {
            rule = current; // a changed limit or alert list applies at once
            return new BudgetState(current.LimitMicros, Spent, Reserved, PeriodStart, ResetsAt);
        }

        public void Roll(DateTimeOffset start, DateTimeOffset end)
        {
            (PeriodStart, ResetsAt, Spent, alerted) = (start, end, 0, 0);
        }

        public void SkipPassedAlerts()
        {
            List<BudgetAlert>? skipped = null;
            CrossedAlerts(ref skipped);
        }

        /// <summary>Adds an alert for each share of the limit the spend has reached since the last one raised.</summary>
        public void CrossedAlerts(ref List<BudgetAlert>? alerts)
        {
            var shares = rule.AlertAt.Order().ToArray();
            while (alerted < shares.Length && Spent >= shares[alerted] * rule.LimitMicros)
            {
                (alerts ??= []).Add(new BudgetAlert(name, shares[alerted], Spent, rule.LimitMicros, ResetsAt));
                alerted++;
            }
        }
    }
}
