namespace Switchyard.Governance;

/// <summary>
/// The port <see cref="BudgetStage"/> reserves through: the per-replica <see cref="BudgetLedger"/>, or the fleet's
/// shared reservations on Redis (Fleet/SharedBudgetCounters, docs/adr/0013-redis-counters.md). Both keep the contract
/// of docs/adr/0011: every budget of the request reserves the worst case all or nothing, a reservation is settled once
/// at the real cost, one never settled is reclaimed after its deadline, and spend is rebuilt from the usage records
/// (<see cref="ISpendSource"/>) when a budget's period is first met.
/// </summary>
public interface IBudgetCounters
{
    /// <summary>
    /// Reserves <paramref name="estimateMicros"/> (capped per budget by its <see cref="BudgetRule.MaxReservationMicros"/>)
    /// in every scope, or nothing: the refusal names the first scope that could not take it.
    /// </summary>
    ValueTask<BudgetDecision> ReserveAsync(IReadOnlyList<BudgetScope> scopes, long estimateMicros, TimeSpan holdFor);

    /// <summary>The current state of <paramref name="scope"/>'s budget (for the admin view).</summary>
    ValueTask<BudgetState> PeekAsync(BudgetScope scope);

    /// <summary>Raised once per period (across the fleet for the shared implementation) when spend passes an alert share.</summary>
    event Action<BudgetAlert>? Alert;
}

/// <summary>What a request reserved: settled once at its real cost (a second call does nothing).</summary>
public interface IBudgetHold
{
    /// <summary>The smallest amount reserved in any of its budgets: what the request may spend without overspending one.</summary>
    long AllowanceMicros { get; }

    /// <summary>Charges <paramref name="actualMicros"/> in place of the reservation.</summary>
    void Settle(long actualMicros);
}

/// <summary>
/// The outcome of <see cref="IBudgetCounters.ReserveAsync"/>: a hold, a refusal (429), or <see cref="Unavailable"/>
/// (503: the shared budgets cannot be reached and a budget declares <c>on_unreachable: fail_closed</c>).
/// <see cref="States"/> are the budgets after the reservation, index for index with the scopes (for the alert header).
/// </summary>
public readonly record struct BudgetDecision(IBudgetHold? Reservation, BudgetRefusal? Refusal, IReadOnlyList<BudgetState>? States = null)
{
    /// <summary>Why no decision could be made (null when one was).</summary>
    public string? Unavailable { get; init; }

    /// <summary>Refused because the shared budgets are unreachable: the caller gets a 503 with <paramref name="reason"/>.</summary>
    public static BudgetDecision Down(string reason) => new(null, null) { Unavailable = reason };
}
