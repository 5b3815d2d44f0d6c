using Microsoft.Extensions.Time.Testing;
using Switchyard.Governance;
using Switchyard.Tests.TestKit;

namespace Switchyard.Tests.Fleet;

/// <summary>
/// <c>on_unreachable</c> per limit and per budget (docs/adr/0013), on a real redis-server behind a proxy the test cuts:
/// each scope does what it declares (or what <c>redis.on_unreachable</c> says when it declares nothing); a budget on
/// <c>local</c> reserves against this replica's share of what was left, and its spend reaches Redis once it is back.
/// </summary>
public sealed class PerScopeFallbackTests : IAsyncLifetime
{
    private static readonly TimeSpan Hold = TimeSpan.FromMinutes(10);
    private readonly FakeTimeProvider clock = new(new DateTimeOffset(2026, 12, 6, 12, 0, 0, TimeSpan.Zero));
    private RedisReplicas? redis;
    private CuttableProxy? proxy;

    public Task InitializeAsync()
    {
        redis = RedisReplicas.Create(clock);
        proxy = redis is null ? null : CuttableProxy.Start(redis.Endpoint);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (redis is not null)
        {
            await redis.DisposeAsync();
        }

        if (proxy is not null)
        {
            await proxy.DisposeAsync();
        }
    }

    [Fact]
    public async Task Limits_EachScopeDoesWhatItDeclares_TheDefaultForTheOthers()
    {
        if (redis is null)
        {
            return;
        }

        var (a, link) = redis.Replica(redis.Settings(proxy!.Endpoint, RedisFallback.FailClosed, replicas: 2));
        var key = new LimitScope("key:a", new LimitSet(Rpm: 10) { OnUnreachable = RedisFallback.Local });
        var team = new LimitScope("team:t", new LimitSet(Rpm: 100)); // declares nothing: redis.on_unreachable (fail_closed)
        Assert.NotNull((await a.AcquireAsync([key], 0, 0)).Lease);

        proxy.Cut();
        var admitted = 0;
        for (var i = 0; i < 8; i++)
        {
            admitted += (await a.AcquireAsync([key], 0, 0)).Lease is null ? 0 : 1;
        }

        var both = await a.AcquireAsync([key, team], 0, 0);

        Assert.Equal(5, admitted); // the key's rpm 10 over 2 replicas
        Assert.Contains("team:t", both.Unavailable, StringComparison.Ordinal);
        Assert.Contains("redis.on_unreachable: fail_closed", both.Unavailable, StringComparison.Ordinal);
        Assert.False(link.IsShared);
    }

    [Fact]
    public async Task ABudgetDeclaringFailClosed_Refuses_WhileTheDefaultIsLocal()
    {
        if (redis is null)
        {
            return;
        }

        var (a, _) = redis.BudgetReplica(settings: redis.Settings(proxy!.Endpoint, RedisFallback.Local));
        var scope = Budget(10_000) with { Rule = new BudgetRule(10_000, BudgetPeriod.Monthly) { OnUnreachable = RedisFallback.FailClosed } };
        Assert.NotNull((await a.ReserveAsync([scope], 1_000, Hold)).Reservation);

        proxy.Cut();
        var down = await a.ReserveAsync([scope], 1_000, Hold);

        Assert.Null(down.Reservation);
        Assert.Contains("key:k", down.Unavailable, StringComparison.Ordinal);
        Assert.Contains("(on_unreachable: fail_closed)", down.Unavailable, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ABudgetOnLocal_TakesItsShareOfWhatWasLeft_AndItsSpendReachesRedisOnce_WhenBack()
    {
        if (redis is null)
        {
            return;
        }

        var (a, link) = redis.BudgetReplica(settings: redis.Settings(proxy!.Endpoint, RedisFallback.Local, replicas: 2));
        var scope = Budget(10_000);
        (await a.ReserveAsync([scope], 2_000, Hold)).Reservation!.Settle(2_000);
        await a.PeekAsync(scope); // the settle has landed

        proxy.Cut();
        var held = new List<IBudgetHold>();
        for (var i = 0; i < 6; i++)
        {
            if ((await a.ReserveAsync([scope], 1_000, Hold)).Reservation is { } r)
            {
                held.Add(r);
            }
        }

        Assert.Equal(4, held.Count); // (10,000 - 2,000) / 2 replicas = 4,000: four requests of 1,000
        held.ForEach(r => r.Settle(1_000));
        Assert.False(link.IsShared);

        proxy.Restore();
        await link.WhenShared().WaitAsync(TimeSpan.FromSeconds(10));
        var back = await a.PeekAsync(scope);
        Assert.Equal((6_000L, 0L), (back.SpentMicros, back.ReservedMicros)); // 2,000 before + 4,000 during the outage
        Assert.Equal(0, a.PendingSettles);
        Assert.NotNull((await a.ReserveAsync([scope], 4_000, Hold)).Reservation); // shared again: the whole remainder
    }

    [Fact]
    public async Task ARequestThatCostNothing_SettlesWithoutAnErrorFromRedis()
    {
        if (redis is null)
        {
            return;
        }

        var (a, link) = redis.BudgetReplica();
        var scope = Budget(10_000);
        (await a.ReserveAsync([scope], 0, Hold)).Reservation!.Settle(0); // a free model, or a dry run
        (await a.ReserveAsync([scope], 500, Hold)).Reservation!.Settle(0); // refused upstream: nothing billed
        var state = await a.PeekAsync(scope);

        Assert.Equal((0L, 0L), (state.SpentMicros, state.ReservedMicros));
        Assert.Equal(0, link.Outages); // a script error would have taken the link down
    }

    private static BudgetScope Budget(long limit) =>
        new("key:k", new BudgetRule(limit, BudgetPeriod.Monthly), new SpendOwner(SpendOwnerKind.Key, "k"));
}
