using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Switchyard.Governance;
using Switchyard.Tests.Configuration;
using Switchyard.Tests.TestKit;

namespace Switchyard.Tests.Fleet;

/// <summary>
/// The shared counters when things break, on a real redis-server behind a proxy the test cuts: crashed replicas'
/// permits come back at their deadline, a dead Redis costs at most the timeout and then nothing, each policy does
/// what it declares, one log line per outage, and the counters are shared again once Redis answers.
/// </summary>
public sealed class RedisFailureTests : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);
    private readonly FakeTimeProvider clock = new(new DateTimeOffset(2026, 12, 6, 0, 0, 0, TimeSpan.Zero));
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

    private static LimitScope[] Scopes(LimitSet limits) => [new("key:a", limits)];

    [Fact]
    public async Task ACrashedReplicasPermit_IsReclaimedAtItsDeadline()
    {
        if (redis is null)
        {
            return;
        }

        var scopes = Scopes(new LimitSet(Concurrency: 1));
        var (a, linkA) = redis.Replica();
        var (b, _) = redis.Replica();
        Assert.NotNull((await a.AcquireAsync(scopes, 0, 0)).Lease);
        await linkA.DisposeAsync(); // the replica dies holding its permit: no settle ever comes

        Assert.Null((await b.AcquireAsync(scopes, 0, 0)).Lease);
        clock.Advance(redis.Settings().LeaseTtl - TimeSpan.FromMilliseconds(1));
        Assert.Null((await b.AcquireAsync(scopes, 0, 0)).Lease);
        clock.Advance(TimeSpan.FromMilliseconds(2));

        Assert.NotNull((await b.AcquireAsync(scopes, 0, 0)).Lease);
    }

    [Fact]
    public async Task ALiveRequestsPermit_IsRenewed_PastItsFirstDeadline()
    {
        if (redis is null)
        {
            return;
        }

        var scopes = Scopes(new LimitSet(Concurrency: 1));
        var (a, _) = redis.Replica();
        var (b, _) = redis.Replica();
        var lease = (await a.AcquireAsync(scopes, 0, 0)).Lease!;
        Assert.Equal(1, a.HeldLeases);

        clock.Advance(TimeSpan.FromSeconds(20));
        await a.RenewAsync();
        clock.Advance(TimeSpan.FromSeconds(20)); // 40 s after the acquire: past the first deadline, within the renewed one

        Assert.Null((await b.AcquireAsync(scopes, 0, 0)).Lease);
        lease.Settle(0, 0);
        Assert.Equal(0, a.HeldLeases);
        Assert.NotNull((await a.AcquireAsync(scopes, 0, 0)).Lease);
    }

    [Fact]
    public async Task RedisDown_FailClosed_RefusesWithAReason_LogsOnce_AndSharesAgainWhenBack()
    {
        if (redis is null)
        {
            return;
        }

        var log = new CapturingLogger();
        var (a, link) = redis.Replica(redis.Settings(proxy!.Endpoint, RedisFallback.FailClosed), log);
        var scopes = Scopes(new LimitSet(Rpm: 100));
        Assert.NotNull((await a.AcquireAsync(scopes, 0, 0)).Lease);

        proxy.Cut();
        for (var i = 0; i < 20; i++)
        {
            var down = await a.AcquireAsync(scopes, 0, 0);
            Assert.Null(down.Lease);
            Assert.Contains("redis.on_unreachable: fail_closed", down.Unavailable, StringComparison.Ordinal);
        }

        Assert.False(link.IsShared);
        Assert.Equal(1, link.Outages);
        Assert.Single(log.Entries, e => e.Id.Id == 4301 && e.Level == LogLevel.Warning);
        Assert.Equal(20, link.FallbackRequests);

        proxy.Restore();
        await link.WhenShared().WaitAsync(Bound);
        var back = await a.AcquireAsync(scopes, 0, 0);
        Assert.NotNull(back.Lease);
        Assert.Equal(98, back.Requests!.Value.Remaining); // the shared bucket, with the request taken before the outage
        Assert.Single(log.Entries, e => e.Id.Id == 4303);
    }

    [Fact]
    public async Task RedisDown_Local_CountsThisReplicasShare_OfEachLimit()
    {
        if (redis is null)
        {
            return;
        }

        var (a, link) = redis.Replica(redis.Settings(proxy!.Endpoint, RedisFallback.Local, replicas: 2));
        var scopes = Scopes(new LimitSet(Rpm: 10, Concurrency: 3));
        await a.AcquireAsync(scopes, 0, 0); // connected and shared

        proxy.Cut();
        var admitted = 0;
        for (var i = 0; i < 8; i++)
        {
            admitted += (await a.AcquireAsync(scopes, 0, 0)) is { Lease: { } lease } ? Settled(lease) : 0;
        }

        Assert.Equal(5, admitted); // rpm 10 over 2 replicas
        Assert.False(link.IsShared);
        Assert.Equal(8, link.FallbackRequests);
    }

    private static int Settled(ILimitLease lease)
    {
        lease.Settle(0, 0);
        return 1;
    }

    [Fact]
    public async Task AStalledRedis_CostsARequestAtMostTheTimeout_ThenNothing()
    {
        if (redis is null)
        {
            return;
        }

        var settings = redis.Settings(proxy!.Endpoint, RedisFallback.Local) with { Timeout = TimeSpan.FromMilliseconds(100) };
        var (a, link) = redis.Replica(settings);
        var scopes = Scopes(new LimitSet(Rpm: 1_000));
        await a.AcquireAsync(scopes, 0, 0);

        proxy.Stall(); // connections stay open, nothing answers: only the timeout can tell
        var slowest = TimeSpan.Zero;
        for (var i = 0; i < 20; i++)
        {
            var watch = Stopwatch.StartNew();
            Assert.NotNull((await a.AcquireAsync(scopes, 0, 0)).Lease);
            slowest = TimeSpan.FromTicks(Math.Max(slowest.Ticks, watch.Elapsed.Ticks));
        }

        // The first calls wait the 100 ms timeout (RedisLink.TimeoutsToDown of them), the others none. The bound is loose (a loaded CI machine), but far
        // below StackExchange.Redis's own default of 5 s, which is what a request would wait without ours.
        Assert.True(slowest < TimeSpan.FromSeconds(1), $"slowest call {slowest.TotalMilliseconds} ms");
        Assert.Equal(1, link.Outages);
        proxy.Restore();
        await link.WhenShared().WaitAsync(Bound);
    }
}
