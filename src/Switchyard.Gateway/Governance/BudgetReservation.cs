namespace Switchyard.Governance;

/// <summary>
/// What one request reserved in its budgets: settled once, at its real cost, by Settle (through the request's
/// hold). Settling twice does nothing, so no path can give back a reservation twice; one never settled is
/// reclaimed by the ledger after <see cref="Deadline"/>.
/// </summary>
public sealed class BudgetReservation : IBudgetHold
{
    private readonly BudgetLedger ledger;
    private int settled;

    internal BudgetReservation(BudgetLedger ledger, BudgetLedger.Account[] accounts, long[] amounts, DateTimeOffset reservedAt, DateTimeOffset deadline)
    {
        this.ledger = ledger;
        Accounts = accounts;
        Amounts = amounts;
        ReservedAt = reservedAt;
        Deadline = deadline;
    }

    internal BudgetLedger.Account[] Accounts { get; }

    internal long[] Amounts { get; }

    /// <summary>When it was made: its spend counts in the period this falls in.</summary>
    public DateTimeOffset ReservedAt { get; }

    /// <summary>After this the ledger reclaims it if it is still open.</summary>
    public DateTimeOffset Deadline { get; }

    /// <summary>The smallest amount reserved in any of its budgets: what the request may spend without overspending one.</summary>
    public long AllowanceMicros => Amounts.Length == 0 ? 0 : Amounts.Min();

    /// <summary>Charges <paramref name="actualMicros"/> in place of the reservation.</summary>
    public void Settle(long actualMicros)
    {
        if (Interlocked.Exchange(ref settled, 1) == 0)
        {
            ledger.Settle(this, actualMicros);
        }
    }
}
