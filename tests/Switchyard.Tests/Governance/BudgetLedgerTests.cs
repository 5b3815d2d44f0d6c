using Microsoft.Extensions.Time.Testing;
using Switchyard.Governance;

namespace Switchyard.Tests.Governance;

/// <summary>The budget ledger on a fake clock: reserve all or nothing, settle, reclaim, periods, history and alerts.</summary>
public sealed class BudgetLedgerTests
{
    private readonly FakeTimeProvider clock = new(new DateTimeOffset(2026, 12, 6, 12, 0, 0, TimeSpan.Zero));

    private static readonly TimeSpan Hold = TimeSpan.FromMinutes(10);

    private static BudgetScope Key(long limit, string id = "k", BudgetPeriod period = BudgetPeriod.Monthly) =>
        new("key:" + id, new BudgetRule(limit, period), new SpendOwner(SpendOwnerKind.Key, id));

    [Fact]
    public void TwoHundredConcurrentReservations_AgainstRoomForFifty_ExactlyFiftyPass_AndSettleToTheLimit()
    {
        var ledger = new BudgetLedger(clock);
        var scope = Key(50_000);
        var taken = new System.Collections.Concurrent.ConcurrentBag<BudgetReservation>();

        Parallel.For(0, 200, new ParallelOptions { MaxDegreeOfParallelism = 16 }, i =>
        {
            if (ledger.TryReserve([scope], 1_000, Hold, out _) is { } r)
            {
                taken.Add(r);
            }
        });
        Assert.Equal(50, taken.Count);
        foreach (var r in taken)
        {
            r.Settle(1_000);
            r.Settle(1_000); // twice: nothing more
        }

        var state = ledger.Peek(scope);
        Assert.Equal((50_000L, 0L, 0L), (state.SpentMicros, state.ReservedMicros, state.RemainingMicros));
        Assert.Equal(0, ledger.OpenReservations);
    }

    [Fact]
    public void ACheaperAnswer_GivesBackTheRestOfItsReservation()
    {
        var ledger = new BudgetLedger(clock);
        var scope = Key(10_000);

        ledger.TryReserve([scope], 8_000, Hold, out _)!.Settle(1_500);

        Assert.Equal(8_500, ledger.Peek(scope).RemainingMicros);
        Assert.NotNull(ledger.TryReserve([scope], 8_000, Hold, out _));
    }

    [Fact]
    public void AnExhaustedBudget_RefusesEvenARequestEstimatedAtNothing()
    {
        var ledger = new BudgetLedger(clock);
        var scope = Key(1_000);
        ledger.TryReserve([scope], 1_000, Hold, out _)!.Settle(1_200); // an overspend the estimate could not see

        Assert.Null(ledger.TryReserve([scope], 0, Hold, out var refusal));
        Assert.Equal(("key:k", 1_200L, 0L), (refusal!.Scope, refusal.State.SpentMicros, refusal.State.RemainingMicros));
    }

    [Fact]
    public void MaxReservation_LetsASmallRemainderServeARequestWhoseWorstCaseIsLarger()
    {
        var ledger = new BudgetLedger(clock);
        var capped = new BudgetScope("key:k", new BudgetRule(10_000, BudgetPeriod.Monthly) { MaxReservationMicros = 2_000 }, new(SpendOwnerKind.Key, "k"));
        ledger.TryReserve([capped], 9_000, Hold, out _)!.Settle(7_000);

        var reservation = ledger.TryReserve([capped], 50_000, Hold, out _); // a 128k-token worst case

        Assert.NotNull(reservation);
        Assert.Equal(2_000, reservation!.AllowanceMicros);
        Assert.Null(ledger.TryReserve([capped], 50_000, Hold, out _)); // 1,000 left: less than the next 2,000
    }

    [Fact]
    public void AllOrNothing_ATeamWithoutRoomRefuses_AndTheKeyKeepsNothingReserved()
    {
        var ledger = new BudgetLedger(clock);
        var key = Key(100_000);
        var team = new BudgetScope("team:t", new BudgetRule(5_000, BudgetPeriod.Monthly), new(SpendOwnerKind.Team, "t"));

        Assert.Null(ledger.TryReserve([key, team], 6_000, Hold, out var refusal));

        Assert.Equal("team:t", refusal!.Scope);
        Assert.Equal(0, ledger.Peek(key).ReservedMicros);
    }

    [Fact]
    public void AReservationNeverSettled_IsReclaimedAfterItsDeadline_ALateSettleStillCountsItsSpend()
    {
        var ledger = new BudgetLedger(clock);
        var scope = Key(10_000);
        var lost = ledger.TryReserve([scope], 9_000, Hold, out _)!;
        Assert.Null(ledger.TryReserve([scope], 2_000, Hold, out _));

        clock.Advance(Hold + BudgetLedger.SweepEvery);
        Assert.NotNull(ledger.TryReserve([scope], 2_000, Hold, out _));
        Assert.Equal(1, ledger.OpenReservations);

        lost.Settle(3_000);
        var state = ledger.Peek(scope);
        Assert.Equal((3_000L, 2_000L), (state.SpentMicros, state.ReservedMicros));
    }

    [Fact]
    public void ADailyBudgetInParis_ResetsAtParisMidnight_AndARequestStraddlingTheResetCountsInItsOwnDay()
    {
        clock.SetUtcNow(new DateTimeOffset(2026, 12, 6, 22, 30, 0, TimeSpan.Zero)); // 23:30 in Paris (UTC+1 in winter)
        var ledger = new BudgetLedger(clock);
        var scope = new BudgetScope("key:k", new BudgetRule(10_000, BudgetPeriod.Daily) { TimeZone = "Europe/Paris" }, new(SpendOwnerKind.Key, "k"));
        ledger.TryReserve([scope], 4_000, Hold, out _)!.Settle(4_000);
        var straddling = ledger.TryReserve([scope], 5_000, Hold, out _)!;
        Assert.Equal(new DateTimeOffset(2026, 12, 6, 23, 0, 0, TimeSpan.Zero), ledger.Peek(scope).ResetsAt);

        clock.SetUtcNow(new DateTimeOffset(2026, 12, 6, 23, 0, 0, TimeSpan.Zero));
        straddling.Settle(5_000);

        var state = ledger.Peek(scope);
        Assert.Equal((0L, 0L, 10_000L), (state.SpentMicros, state.ReservedMicros, state.RemainingMicros));
        Assert.Equal(new DateTimeOffset(2026, 12, 7, 23, 0, 0, TimeSpan.Zero), state.ResetsAt);
    }

    [Theory]
    [InlineData(BudgetPeriod.Weekly, "2026-11-30T00:00:00Z", "2026-12-07T00:00:00Z")] // 6 Dec 2026 is a Sunday
    [InlineData(BudgetPeriod.Monthly, "2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z")]
    [InlineData(BudgetPeriod.Lifetime, "1970-01-01T00:00:00Z", "9999-12-31T23:59:59.9999999Z")]
    public void WeeksStartOnMonday_MonthsOnTheFirst_LifetimeNeverEnds(BudgetPeriod period, string start, string end)
    {
        var period_ = BudgetPeriods.Of(new BudgetRule(1, period), clock.GetUtcNow());

        Assert.Equal((Parse(start), Parse(end)), period_);
    }

    private static DateTimeOffset Parse(string s) =>
        DateTimeOffset.Parse(s, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal);

    [Fact]
    public void RecordedSpend_IsReadOncePerBudget_FromTheStartOfItsPeriod()
    {
        var source = new RecordedSpend(40_000);
        var ledger = new BudgetLedger(clock, source);
        var scope = Key(50_000);

        Assert.Equal(10_000, ledger.Peek(scope).RemainingMicros);
        ledger.TryReserve([scope], 1_000, Hold, out _)!.Settle(1_000);

        Assert.Equal(9_000, ledger.Peek(scope).RemainingMicros);
        Assert.Equal([new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero)], source.Asked);
    }

    [Fact]
    public void Alerts_AreRaisedOncePerShareAndPeriod_NotAgainForSpendRecordedBeforeARestart()
    {
        var ledger = new BudgetLedger(clock, new RecordedSpend(55_000));
        var rule = new BudgetRule(100_000, BudgetPeriod.Monthly) { AlertAt = [0.8, 0.5] };
        var scope = new BudgetScope("key:k", rule, new(SpendOwnerKind.Key, "k"));
        var alerts = new List<BudgetAlert>();
        ledger.Alert += alerts.Add;

        ledger.TryReserve([scope], 10_000, Hold, out _)!.Settle(10_000); // 65%: the 50% share was passed before the restart
        ledger.TryReserve([scope], 20_000, Hold, out _)!.Settle(20_000); // 85%
        ledger.TryReserve([scope], 1_000, Hold, out _)!.Settle(1_000);   // 86%: nothing new

        var alert = Assert.Single(alerts);
        Assert.Equal(("key:k", 0.8, 85_000L), (alert.Scope, alert.Threshold, alert.SpentMicros));
    }

    private sealed class RecordedSpend(long micros) : ISpendSource
    {
        public List<DateTimeOffset> Asked { get; } = [];

        public long SpentSince(SpendOwner owner, DateTimeOffset since)
        {
            Asked.Add(since);
            return micros;
        }
    }
}
