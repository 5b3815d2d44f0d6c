using Microsoft.Extensions.Time.Testing;
using Switchyard.Governance;

namespace Switchyard.Tests.Fleet;

/// <summary>
/// One budget contract, two implementations (docs/adr/0011, docs/adr/0013): every case runs against the per-replica
/// <see cref="BudgetLedger"/> and against the shared budgets on a real redis-server (two replicas, each its own
/// connection), on one fake clock: all or nothing across scopes, settled once, reclaimed after the deadline, spend
/// rebuilt from the records, alert shares raised once.
/// </summary>
public sealed class BudgetContractTests : IAsyncLifetime
{
    private static readonly TimeSpan Hold = TimeSpan.FromMinutes(10);
    private readonly FakeTimeProvider clock = new(new DateTimeOffset(2026, 12, 6, 12, 0, 0, TimeSpan.Zero));
    private RedisReplicas? redis;

    public static TheoryData<string> Kinds => new() { "local", "redis" };

    public Task InitializeAsync()
    {
        redis = RedisReplicas.Create(clock);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (redis is not null)
        {
            await redis.DisposeAsync();
        }
    }

    /// <summary>Two views of one set of budgets: the same ledger twice (local), or two replicas sharing Redis.</summary>
    private (IBudgetCounters A, IBudgetCounters B)? Pair(string kind, ISpendSource? history = null)
    {
        if (kind == "local")
        {
            var ledger = new BudgetLedger(clock, history);
            return (ledger, ledger);
        }

        return redis is null ? null : (redis.BudgetReplica(history).Budgets, redis.BudgetReplica(history).Budgets);
    }

    private static BudgetScope Key(long limit, string id = "k") =>
        new("key:" + id, new BudgetRule(limit, BudgetPeriod.Monthly), new SpendOwner(SpendOwnerKind.Key, id));

    /// <summary>The state once both replicas' settles have reached the counters (each replica's calls run in order).</summary>
    private static async Task<BudgetState> StateAsync(IBudgetCounters a, IBudgetCounters b, BudgetScope scope)
    {
        await b.PeekAsync(scope);
        return await a.PeekAsync(scope);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task TwoHundredConcurrentReservations_OnTwoReplicas_AgainstRoomForFifty_ExactlyFiftyPass(string kind)
    {
        if (Pair(kind) is not var (a, b))
        {
            return;
        }

        var scope = Key(50_000);
        var decisions = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => Task.Run(async () =>
            await (i % 2 == 0 ? a : b).ReserveAsync([scope], 1_000, Hold))));
        var taken = decisions.Where(d => d.Reservation is not null).ToList();
        Assert.Equal(50, taken.Count);
        Assert.All(decisions.Where(d => d.Reservation is null), d => Assert.Equal("key:k", d.Refusal!.Scope));
        foreach (var d in taken)
        {
            d.Reservation!.Settle(1_000);
            d.Reservation.Settle(1_000); // twice: nothing more
        }

        var state = await StateAsync(a, b, scope);
        Assert.Equal((50_000L, 0L, 0L), (state.SpentMicros, state.ReservedMicros, state.RemainingMicros));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task ACheaperAnswer_GivesBackTheRestOfItsReservation(string kind)
    {
        if (Pair(kind) is not var (a, b))
        {
            return;
        }

        var scope = Key(10_000);
        (await a.ReserveAsync([scope], 8_000, Hold)).Reservation!.Settle(1_500);

        Assert.Equal(8_500, (await a.PeekAsync(scope)).RemainingMicros);
        Assert.NotNull((await b.ReserveAsync([scope], 8_000, Hold)).Reservation);
        Assert.Null((await a.ReserveAsync([scope], 600, Hold)).Reservation); // 8,500 - 8,000 = 500 left
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task ARefusalByOneScope_ReservesNothingInTheOthers(string kind)
    {
        if (Pair(kind) is not var (a, b))
        {
            return;
        }

        var key = Key(10_000);
        var team = new BudgetScope("team:t", new BudgetRule(3_000, BudgetPeriod.Monthly), new SpendOwner(SpendOwnerKind.Team, "t"));
        Assert.NotNull((await a.ReserveAsync([key, team], 2_000, Hold)).Reservation);

        var refused = await b.ReserveAsync([key, team], 2_000, Hold);

        Assert.Equal("team:t", refused.Refusal!.Scope);
        Assert.Equal((3_000L, 2_000L, 2_000L), (refused.Refusal.State.LimitMicros, refused.Refusal.State.ReservedMicros, refused.Refusal.RequestedMicros));
        Assert.Equal(2_000, (await a.PeekAsync(key)).ReservedMicros); // the refused request took nothing from the key
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task AnExhaustedBudget_RefusesEvenARequestEstimatedAtNothing(string kind)
    {
        if (Pair(kind) is not var (a, b))
        {
            return;
        }

        var scope = Key(1_000);
        (await a.ReserveAsync([scope], 1_000, Hold)).Reservation!.Settle(1_200); // an overspend the estimate could not see
        await a.PeekAsync(scope);

        var refused = await b.ReserveAsync([scope], 0, Hold);

        Assert.Null(refused.Reservation);
        Assert.Equal(1_200, refused.Refusal!.State.SpentMicros);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task AReservationNeverSettled_IsReclaimedAfterItsDeadline(string kind)
    {
        if (Pair(kind) is not var (a, b))
        {
            return;
        }

        var scope = Key(10_000);
        Assert.NotNull((await a.ReserveAsync([scope], 10_000, Hold)).Reservation); // its request never reaches Settle
        Assert.Null((await b.ReserveAsync([scope], 1, Hold)).Reservation);

        clock.Advance(Hold + BudgetLedger.SweepEvery);

        Assert.NotNull((await b.ReserveAsync([scope], 10_000, Hold)).Reservation);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task TheReservation_IsCappedByMaxReservation(string kind)
    {
        if (Pair(kind) is not var (a, _))
        {
            return;
        }

        var scope = new BudgetScope("key:k", new BudgetRule(10_000, BudgetPeriod.Monthly) { MaxReservationMicros = 2_000 }, new(SpendOwnerKind.Key, "k"));

        var decision = await a.ReserveAsync([scope], 50_000, Hold);

        Assert.Equal(2_000, decision.Reservation!.AllowanceMicros);
        Assert.Equal(2_000, (await a.PeekAsync(scope)).ReservedMicros);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task RecordedSpend_SeedsTheBudget_FromTheStartOfItsPeriod_AndANewPeriodStartsAgain(string kind)
    {
        var source = new RecordedSpend(40_000);
        if (Pair(kind, source) is not var (a, b))
        {
            return;
        }

        var scope = Key(50_000);
        Assert.Equal(10_000, (await a.PeekAsync(scope)).RemainingMicros);
        (await b.ReserveAsync([scope], 1_000, Hold)).Reservation!.Settle(1_000);
        await b.PeekAsync(scope);

        Assert.Equal(9_000, (await a.PeekAsync(scope)).RemainingMicros);
        Assert.All(source.Asked, since => Assert.Equal(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero), since));

        source.Micros = 0;
        clock.Advance(TimeSpan.FromDays(30)); // January: a new period, read from the records again
        Assert.NotNull((await a.ReserveAsync([scope], 1_000, Hold)).Reservation);
        var january = await a.PeekAsync(scope);
        Assert.Equal((0L, 1_000L), (january.SpentMicros, january.ReservedMicros));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Alerts_AreRaisedOncePerShare_AcrossReplicas_NotForSpendRecordedBefore(string kind)
    {
        if (Pair(kind, new RecordedSpend(55_000)) is not var (a, b))
        {
            return;
        }

        var rule = new BudgetRule(100_000, BudgetPeriod.Monthly) { AlertAt = [0.8, 0.5] };
        var scope = new BudgetScope("key:k", rule, new(SpendOwnerKind.Key, "k"));
        var alerts = new System.Collections.Concurrent.ConcurrentQueue<BudgetAlert>();
        a.Alert += alerts.Enqueue;
        if (!ReferenceEquals(a, b))
        {
            b.Alert += alerts.Enqueue;
        }

        (await a.ReserveAsync([scope], 10_000, Hold)).Reservation!.Settle(10_000); // 65%: 50% was passed before
        await a.PeekAsync(scope);
        (await b.ReserveAsync([scope], 20_000, Hold)).Reservation!.Settle(20_000); // 85%
        await b.PeekAsync(scope);
        (await a.ReserveAsync([scope], 1_000, Hold)).Reservation!.Settle(1_000); // 86%: nothing new
        await a.PeekAsync(scope);
        await WaitAsync(() => !alerts.IsEmpty);

        var alert = Assert.Single(alerts);
        Assert.Equal(("key:k", 0.8, 85_000L), (alert.Scope, alert.Threshold, alert.SpentMicros));
    }

    /// <summary>Alerts of the shared budgets are raised by the settle's answer, off the request path: wait for it (bounded).</summary>
    private static async Task WaitAsync(Func<bool> done)
    {
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!done())
        {
            await Task.Delay(10, bound.Token);
        }
    }

    private sealed class RecordedSpend(long micros) : ISpendSource
    {
        public long Micros { get; set; } = micros;

        public System.Collections.Concurrent.ConcurrentQueue<DateTimeOffset> Asked { get; } = new();

        public long SpentSince(SpendOwner owner, DateTimeOffset since)
        {
            Asked.Enqueue(since);
            return Micros;
        }
    }
}
