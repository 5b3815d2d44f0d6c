using System.Diagnostics;
using Switchyard.Tests.EndToEnd.Admin;

namespace Switchyard.Tests.EndToEnd.Fleet;

/// <summary>
/// Issue 11's proof for Redis, end to end: two gateway replicas share one key's <c>rpm: 100</c> exactly; a Redis
/// cut mid-run makes each replica do what <c>redis.on_unreachable</c> declares (a clear 503, or the limit divided by
/// the replicas), without waiting on Redis, with one log line and readiness saying so, and the replicas share their
/// counters again once Redis is back; a key revoked through replica A is refused by replica B.
/// </summary>
[Collection(FleetCollection.Name)]
public sealed class TwoReplicasTests
{
    private static readonly TimeSpan Bound = GatewayHarness.Bound;

    [Fact]
    public async Task Rpm100_HitThroughBothReplicas_ExactlyHundredSucceed()
    {
        await using var fleet = await TwoReplicas.StartAsync();
        if (fleet is null)
        {
            return;
        }

        var statuses = await Task.WhenAll(Enumerable.Range(0, 160).Select(async i =>
        {
            using var response = await fleet.ChatAsync(i % 2 == 0 ? fleet.A : fleet.Second);
            return (int)response.StatusCode;
        }));

        var counts = string.Join(", ", statuses.GroupBy(s => s).Select(g => $"{g.Key}: {g.Count()}")) + " " + (await fleet.ReadyAsync(fleet.A)).Body.ToJsonString();
        Assert.True(statuses.Count(s => s == 200) == 100, counts);
        Assert.Equal(60, statuses.Count(s => s == 429));
        Assert.Equal(100, fleet.First.A.RequestCount);
    }

    [Fact]
    public async Task RedisCut_FailClosed_Refuses503_Fast_OneOutage_NotReady_ThenSharedAgain()
    {
        await using var fleet = await TwoReplicas.StartAsync("fail_closed", viaProxy: true, timeout: "200ms");
        if (fleet is null)
        {
            return;
        }

        for (var i = 0; i < 10; i++)
        {
            using var ok = await fleet.ChatAsync(i % 2 == 0 ? fleet.A : fleet.Second);
            Assert.Equal(200, (int)ok.StatusCode);
        }

        fleet.Proxy!.Cut();
        var slowest = TimeSpan.Zero;
        for (var i = 0; i < 20; i++)
        {
            var watch = Stopwatch.StartNew();
            using var refused = await fleet.ChatAsync(i % 2 == 0 ? fleet.A : fleet.Second);
            slowest = watch.Elapsed > slowest ? watch.Elapsed : slowest;
            var error = await Wire.AssertOpenAIErrorAsync(refused, 503, code: "rate_limits_unavailable");
            Assert.Contains("fail_closed", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
        }

        // Loose on purpose (a loaded CI machine): the timeout is 200 ms, and without it a request would wait
        // StackExchange.Redis's own timeout (seconds) or forever.
        Assert.True(slowest < TimeSpan.FromSeconds(2), $"slowest refusal took {slowest.TotalMilliseconds} ms");
        var (status, body) = await fleet.ReadyAsync(fleet.Second);
        Assert.Equal(503, status);
        Assert.Equal("unreachable", body["redis"]!["state"]!.GetValue<string>());
        Assert.Equal(1, TwoReplicas.Link(fleet.A).Outages); // one warning line per replica, not one per request
        Assert.Equal(1, TwoReplicas.Link(fleet.Second).Outages);
        Assert.Equal(10, fleet.First.A.RequestCount);

        fleet.Proxy.Restore();
        await TwoReplicas.Link(fleet.A).WhenShared().WaitAsync(Bound);
        await TwoReplicas.Link(fleet.Second).WhenShared().WaitAsync(Bound);
        using var back = await fleet.ChatAsync(fleet.Second);
        Assert.Equal(200, (int)back.StatusCode);
        Assert.Equal("89", Wire.Header(back, "x-ratelimit-remaining-requests")); // the shared bucket: 100 - 10 - this one
        Assert.Equal(200, (await fleet.ReadyAsync(fleet.Second)).Status);
    }

    [Fact]
    public async Task RedisCut_Local_EachReplicaTakesItsShare_DegradedButReady_ThenSharedAgain()
    {
        await using var fleet = await TwoReplicas.StartAsync("local", viaProxy: true, timeout: "200ms");
        if (fleet is null)
        {
            return;
        }

        using (var first = await fleet.ChatAsync(fleet.A))
        {
            Assert.Equal(200, (int)first.StatusCode);
        }

        fleet.Proxy!.Cut();
        var statuses = new List<int>();
        for (var i = 0; i < 60; i++)
        {
            using var response = await fleet.ChatAsync(fleet.Second);
            statuses.Add((int)response.StatusCode);
        }

        Assert.Equal(50, statuses.Count(s => s == 200)); // rpm 100 over 2 replicas, counted on this one alone
        Assert.Equal(10, statuses.Count(s => s == 429));
        var (status, body) = await fleet.ReadyAsync(fleet.Second);
        Assert.Equal(200, status);
        Assert.Equal("degraded", body["status"]!.GetValue<string>());
        Assert.Equal("local", body["redis"]!["on_unreachable"]!.GetValue<string>());
        Assert.Equal(60, body["redis"]!["fallback_requests"]!.GetValue<long>());

        fleet.Proxy.Restore();
        await TwoReplicas.Link(fleet.Second).WhenShared().WaitAsync(Bound);
        using var back = await fleet.ChatAsync(fleet.Second);
        Assert.Equal(200, (int)back.StatusCode);
        Assert.Equal("98", Wire.Header(back, "x-ratelimit-remaining-requests")); // shared again: the outage's local counts are not in it
        Assert.Equal("ready", (await fleet.ReadyAsync(fleet.Second)).Body["status"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("direct")] // the replicas share PostgreSQL, as a fleet would
    public async Task AKeyRevokedThroughReplicaA_IsRefusedByReplicaB_WithinASecond(string? postgres)
    {
        await using var fleet = await TwoReplicas.StartAsync(env: AdminClient.MasterEnv, postgres: postgres);
        if (fleet is null)
        {
            return;
        }

        var admin = new AdminClient(fleet.First, AdminClient.MasterKey);
        var created = Applied(fleet);
        var (id, secret, _) = await admin.CreateKeyAsync("""{"name":"fleet-key"}""");
        Assert.Equal("key:" + id, await created.WaitAsync(Bound)); // B learned of a key made on A
        using (var onB = await fleet.ChatAsync(fleet.Second, secret))
        {
            Assert.Equal(200, (int)onB.StatusCode);
        }

        var revoked = Applied(fleet);
        var watch = Stopwatch.StartNew();
        Assert.Equal(200, (await admin.PostAsync($"/v1/admin/keys/{id}/revoke")).Status);
        Assert.Equal("key:" + id, await revoked.WaitAsync(TimeSpan.FromSeconds(1))); // the bound: within one second
        using var refused = await fleet.ChatAsync(fleet.Second, secret);
        await Wire.AssertOpenAIErrorAsync(refused, 401);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1), $"revocation reached B after {watch.Elapsed.TotalMilliseconds} ms");
    }

    /// <summary>Completes with the next change replica B applies from a broadcast.</summary>
    private static Task<string> Applied(TwoReplicas fleet)
    {
        var applied = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var broadcast = TwoReplicas.Broadcast(fleet.Second);
        void Handler(string change)
        {
            broadcast.Applied -= Handler;
            applied.TrySetResult(change);
        }

        broadcast.Applied += Handler;
        return applied.Task;
    }
}
