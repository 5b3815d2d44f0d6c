using Microsoft.Extensions.Time.Testing;
using Switchyard.Governance;

namespace Switchyard.Tests.Fleet;

/// <summary>
/// One contract, two implementations: every case runs against the per-replica <see cref="LimitBook"/> and against
/// the shared counters on a real redis-server (two replicas where it matters), on one fake clock. Same counts,
/// same refusals, same Retry-After, same headers.
/// </summary>
public sealed class LimitContractTests : IAsyncLifetime
{
    private readonly FakeTimeProvider clock = new(new DateTimeOffset(2026, 12, 6, 0, 0, 0, TimeSpan.Zero));
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

    /// <summary>Two views of one set of limits: the same book twice (local), or two replicas sharing Redis.</summary>
    private (ILimitCounters A, ILimitCounters B)? Pair(string kind)
    {
        if (kind == "local")
        {
            var book = new LimitBook(clock);
            return (book, book);
        }

        if (redis is null)
        {
            return null; // SWITCHYARD_TEST_SKIP_REDIS=1
        }

        return (redis.Replica().Counters, redis.Replica().Counters);
    }

    private static LimitScope Key(LimitSet limits, string name = "key:a") => new(name, limits);

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Rpm100_AcrossReplicas_AdmitsExactly100_ThenOneEvery600ms(string kind)
    {
        if (Pair(kind) is not var (a, b))
        {
            return;
        }

        var scopes = new[] { Key(new LimitSet(Rpm: 100)) };
        var admitted = 0;
        for (var i = 0; i < 150; i++)
        {
            admitted += (await (i % 2 == 0 ? a : b).AcquireAsync(scopes, 0, 0)).Lease is null ? 0 : 1;
        }

        Assert.Equal(100, admitted);
        var refused = await a.AcquireAsync(scopes, 0, 0);
        Assert.Equal(TimeSpan.FromMilliseconds(600), refused.Refusal!.RetryAfter);
        Assert.Equal(("key:a", "requests per minute", 100L), (refused.Refusal.Scope, refused.Refusal.What, refused.Refusal.Limit));
        Assert.Equal(0, refused.Requests!.Value.Remaining);

        clock.Advance(TimeSpan.FromMilliseconds(600));
        Assert.NotNull((await b.AcquireAsync(scopes, 0, 0)).Lease);
        Assert.Null((await a.AcquireAsync(scopes, 0, 0)).Lease);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Tokens_AreReserved_ThenCorrectedToTheRealCount_Once(string kind)
    {
        if (Pair(kind) is not var (a, b))
        {
            return;
        }

        var scopes = new[] { Key(new LimitSet(Tpm: 10_000)) };
        var first = await a.AcquireAsync(scopes, 1_000, 4_000);
        Assert.Equal(5_000, first.Tokens!.Value.Remaining);

        first.Lease!.Settle(1_000, 500); // the answer was short: 3,500 reserved tokens come back
        first.Lease.Settle(1_000, 9_000); // settling twice changes nothing
        var next = await a.AcquireAsync(scopes, 100, 400); // a replica's settles reach Redis before its next call

        Assert.Equal(8_000, next.Tokens!.Value.Remaining); // 10,000 - 1,500 - 500
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task AnAnswerLongerThanItsReservation_LeavesADebt(string kind)
    {
        if (Pair(kind) is not var (a, b))
        {
            return;
        }

        var scopes = new[] { Key(new LimitSet(Tpm: 6_000)) };
        (await a.AcquireAsync(scopes, 1_000, 1_000)).Lease!.Settle(1_000, 8_000);

        var refused = await a.AcquireAsync(scopes, 10, 10);
        Assert.Null((await b.AcquireAsync(scopes, 10, 10)).Lease);

        Assert.Null(refused.Lease);
        Assert.Equal(TimeSpan.FromMilliseconds(30_200), refused.Refusal!.RetryAfter); // 3,000 debt + 20 asked, at 100 tokens/s
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task ARequestLargerThanTheLimit_IsRefused_WithoutRetryAfter(string kind)
    {
        if (Pair(kind) is not var (a, _))
        {
            return;
        }

        var refused = await a.AcquireAsync([Key(new LimitSet(Tpm: 1_000))], 900, 200);

        Assert.Null(refused.Refusal!.RetryAfter);
        Assert.Equal(1_100, refused.Refusal.Requested);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task ARefusalByOneScope_TakesNothingFromTheOthers(string kind)
    {
        if (Pair(kind) is not var (a, b))
        {
            return;
        }

        var key = Key(new LimitSet(Rpm: 10, Tpm: 1_000));
        var team = Key(new LimitSet(Rpm: 1), "team:t");
        Assert.NotNull((await a.AcquireAsync([key, team], 100, 100)).Lease);

        var refused = await b.AcquireAsync([key, team], 100, 100);
        Assert.Equal("team:t", refused.Refusal!.Scope);

        var state = await a.AcquireAsync([key], 0, 0);
        Assert.Equal(8, state.Requests!.Value.Remaining); // 10 - the first - this one: the refused request took nothing
        Assert.Equal(800, state.Tokens!.Value.Remaining);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Concurrency_IsHeldUntilSettled_AcrossReplicas(string kind)
    {
        if (Pair(kind) is not var (a, b))
        {
            return;
        }

        var scopes = new[] { Key(new LimitSet(Concurrency: 2)) };
        var first = (await a.AcquireAsync(scopes, 0, 0)).Lease!;
        var second = (await b.AcquireAsync(scopes, 0, 0)).Lease!;

        var refused = await b.AcquireAsync(scopes, 0, 0);
        Assert.Equal("concurrent requests", refused.Refusal!.What);

        first.Settle(0, 0);
        first.Settle(0, 0); // a permit comes back once
        Assert.NotNull((await a.AcquireAsync(scopes, 0, 0)).Lease); // a replica's settles reach Redis before its next call
        Assert.Null((await b.AcquireAsync(scopes, 0, 0)).Lease);
        second.Cancel();
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task TheResetHeaderValue_IsTheTimeUntilTheBucketIsFull(string kind)
    {
        if (Pair(kind) is not var (a, _))
        {
            return;
        }

        var scope = Key(new LimitSet(Rpm: 60));
        LimitDecision last = default;
        for (var i = 0; i < 6; i++)
        {
            last = await a.AcquireAsync([scope], 0, 0);
        }

        var requests = last.Requests!.Value;
        Assert.Equal((60L, 54L, TimeSpan.FromSeconds(6)), (requests.Limit, requests.Remaining, requests.Reset));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task ACancelledLease_GivesEverythingBack(string kind)
    {
        if (Pair(kind) is not var (a, b))
        {
            return;
        }

        var scopes = new[] { Key(new LimitSet(Rpm: 2, Tpm: 1_000, Concurrency: 1)) };
        (await a.AcquireAsync(scopes, 300, 300)).Lease!.Cancel();

        var next = await a.AcquireAsync(scopes, 0, 0);

        Assert.Equal((1L, 1_000L), (next.Requests!.Value.Remaining, next.Tokens!.Value.Remaining));
    }
}
