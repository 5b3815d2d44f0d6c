using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;
using Switchyard.Fleet;
using Switchyard.Health;
using Switchyard.Tests.TestKit;

namespace Switchyard.Tests.EndToEnd.Fleet;

/// <summary>
/// Issue 11's remaining proofs, end to end on two gateway replicas (each its own Kestrel, data directory, Redis and
/// database connections; nothing shared in memory but the test's fake clock and fake upstreams) sharing one real
/// redis-server and one real PostgreSQL schema: a budget that pays for 50 requests admits 50 of 200 spread over both,
/// with no reservation left; a circuit opened by replica A's traffic is open on replica B; PostgreSQL cut off under
/// load through both replicas loses no usage record and stores none twice.
/// </summary>
[Collection(FleetCollection.Name)]
public sealed class FleetProofTests
{
    /// <summary>$1 per million output tokens, input free: the fake's 1,000 output tokens cost exactly the reservation ($0.001).</summary>
    private const string BudgetYaml = """
        auth:
          keys:
            - { id: app, hash: {{APP_HASH}}, budget: { limit_usd: 0.05, period: monthly } }
        providers:
          up-a:
            kind: openai-compatible
            base_url: "{{FAKE0}}"
            api_key: ${UP_KEY}
        deployments:
          dep-a: { provider: up-a, model: upstream-model-a, price: { input: 0, output: 1 } }
        models:
          chat: dep-a
        redis:
          connection_string_env: SWITCHYARD_REDIS
          timeout: TIMEOUT
          on_unreachable: POLICY
          replicas: 2
          key_prefix: PREFIX

        """;

    private const string BreakerYaml = """
        auth:
          keys:
            - { id: app, hash: {{APP_HASH}} }
        providers:
          up-a:
            kind: openai-compatible
            base_url: "{{FAKE0}}"
            api_key: ${UP_KEY}
        deployments:
          dep-a: { provider: up-a, model: upstream-model-a, circuit_breaker: { min_requests: 2, failure_ratio: 100%, break_for: 10m } }
        models:
          chat: { deployments: [dep-a], retry: { max_retries: 0 } }
        redis:
          connection_string_env: SWITCHYARD_REDIS
          timeout: TIMEOUT
          on_unreachable: POLICY
          replicas: 2
          key_prefix: PREFIX

        """;

    [Fact]
    public async Task TwoHundredConcurrentRequests_SplitAcrossTwoReplicas_AgainstABudgetForFifty_FiftyPass_NoReservationLeaks()
    {
        await using var fleet = await TwoReplicas.StartAsync(yaml: BudgetYaml, postgres: "direct");
        if (fleet is null)
        {
            return;
        }

        fleet.First.A.SetDefault(UpstreamBehavior.Text(chunks: 4, usage: new FakeUsage(10, 1000)));
        var statuses = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => PostAsync(fleet, i % 2 == 0 ? fleet.A : fleet.Second, i % 4 == 1)));

        Assert.Equal(50, statuses.Count(s => s == 200));
        Assert.Equal(150, statuses.Count(s => s == 429));
        Assert.Equal(50, fleet.First.A.RequestCount);
        var (spent, reserved, open) = await SettledAsync(fleet, "key:app");
        Assert.Equal((50_000L, 0L, 0L), (spent, reserved, open)); // Redis's running sum: spend = budget, no reservation left
        await fleet.A.FlushUsageAsync(new CancellationTokenSource(GatewayHarness.Bound).Token);
        await fleet.Second.FlushUsageAsync(new CancellationTokenSource(GatewayHarness.Bound).Token);
        Assert.Equal(50_000L, Convert.ToInt64(fleet.Database!.Scalar("SELECT coalesce(sum(cost_micros), 0) FROM usage_records WHERE key_id = 'app'"),
            System.Globalization.CultureInfo.InvariantCulture)); // the records customers are billed from agree
        Assert.Equal(200L, fleet.Database.Scalar("SELECT count(*) FROM usage_records"));
        Assert.Equal((0L, 0L), (TwoReplicas.Link(fleet.A).Outages, TwoReplicas.Link(fleet.Second).Outages)); // no script error took a link down
    }

    /// <summary>
    /// <c>app</c>'s limits fall back to local counters and its budget fails closed (declared on each); <c>ops</c>'s limits
    /// declare nothing, so <c>redis.on_unreachable: local</c> applies to them.
    /// </summary>
    private const string DeclaredYaml = """
        auth:
          keys:
            - { id: app, hash: {{APP_HASH}}, limits: { rpm: 100, on_unreachable: local }, budget: { limit_usd: 1, on_unreachable: fail_closed } }
            - { id: ops, hash: {{OPS_HASH}}, limits: { rpm: 10 } }
        providers:
          up-a:
            kind: openai-compatible
            base_url: "{{FAKE0}}"
            api_key: ${UP_KEY}
        deployments:
          dep-a: { provider: up-a, model: upstream-model-a, price: { input: 0, output: 1 } }
        models:
          chat: dep-a
        redis:
          connection_string_env: SWITCHYARD_REDIS
          timeout: TIMEOUT
          on_unreachable: POLICY
          replicas: 2
          key_prefix: PREFIX

        """;

    [Fact]
    public async Task RedisCut_EachLimitAndBudgetDoesWhatItDeclares_Fast_ThenSharedAgain()
    {
        await using var fleet = await TwoReplicas.StartAsync("local", viaProxy: true, timeout: "200ms", yaml: DeclaredYaml);
        if (fleet is null)
        {
            return;
        }

        using (var before = await fleet.ChatAsync(fleet.Second))
        {
            Assert.Equal(200, (int)before.StatusCode);
            Assert.Equal("99", Wire.Header(before, "x-ratelimit-remaining-requests")); // on the shared bucket
        }

        fleet.Proxy!.Cut();
        var slowest = TimeSpan.Zero;
        var opsServed = 0;
        for (var i = 0; i < 8; i++)
        {
            var watch = System.Diagnostics.Stopwatch.StartNew();
            using var budgeted = await fleet.ChatAsync(fleet.Second);
            using var limited = await fleet.ChatAsync(fleet.Second, GatewayHarness.OperatorKey);
            slowest = watch.Elapsed / 2 > slowest ? watch.Elapsed / 2 : slowest;
            var error = await Wire.AssertOpenAIErrorAsync(budgeted, 503, code: "budgets_unavailable"); // the budget declares fail_closed
            Assert.Contains("key:app", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
            opsServed += (int)limited.StatusCode == 200 ? 1 : 0;
        }

        Assert.Equal(5, opsServed); // rpm 10 over 2 replicas, on this replica's own counters
        Assert.True(slowest < TimeSpan.FromSeconds(2), $"slowest request took {slowest.TotalMilliseconds} ms"); // loose: a loaded CI machine; the timeout is 200 ms
        var (status, body) = await fleet.ReadyAsync(fleet.Second);
        Assert.Equal((200, "degraded"), (status, Wire.StringOf(body["status"])));
        Assert.Equal(1, TwoReplicas.Link(fleet.Second).Outages); // one warning line, not one per request

        fleet.Proxy.Restore();
        await TwoReplicas.Link(fleet.Second).WhenShared().WaitAsync(GatewayHarness.Bound);
        using var back = await fleet.ChatAsync(fleet.Second);
        Assert.Equal(200, (int)back.StatusCode); // the budget is shared again
        Assert.Equal("98", Wire.Header(back, "x-ratelimit-remaining-requests")); // and so is the limit: 100 - before - this one
    }

    [Fact]
    public async Task ACircuitOpenedByReplicaA_IsOpenOnReplicaB_BeforeBSendsAnything()
    {
        await using var fleet = await TwoReplicas.StartAsync(yaml: BreakerYaml);
        if (fleet is null)
        {
            return;
        }

        fleet.First.A.SetDefault(UpstreamBehavior.ServerError());
        var onB = Applied(fleet.Second);
        for (var i = 0; i < 2; i++)
        {
            using var failed = await fleet.ChatAsync(fleet.A);
            Assert.Equal(500, (int)failed.StatusCode);
        }

        Assert.Equal("dep-a", await onB.WaitAsync(GatewayHarness.Bound)); // the news, not B's own traffic
        var health = fleet.Second.Services.GetRequiredService<HealthRegistry>().For("dep-a");
        Assert.Equal(CircuitState.Open, health.State);
        Assert.InRange(health.OpenFor, TimeSpan.FromMinutes(9), TimeSpan.FromMinutes(10)); // until the same instant as A's (a fake clock: exact but for rounding)

        using var spared = await fleet.ChatAsync(fleet.Second);
        Assert.Equal(503, (int)spared.StatusCode); // no deployment to try: refused without calling the upstream
        Assert.Equal(2, fleet.First.A.RequestCount);
    }

    [Fact]
    public async Task PostgresCutOffUnderLoadThroughBothReplicas_EveryRequestRecordedOnce_AfterItIsBack()
    {
        await using var fleet = await TwoReplicas.StartAsync(postgres: "cut");
        if (fleet is null)
        {
            return;
        }

        var ids = new List<string>();
        ids.AddRange(await BurstAsync(fleet, 20));
        fleet.DatabaseProxy!.Cut();
        ids.AddRange(await BurstAsync(fleet, 40)); // both keep serving: each journal holds its records
        await WaitForDatabaseAsync(fleet, "unreachable");
        ids.AddRange(await BurstAsync(fleet, 10));
        fleet.DatabaseProxy.Restore();
        await WaitForDatabaseAsync(fleet, "ok");
        ids.AddRange(await BurstAsync(fleet, 20));
        await fleet.A.FlushUsageAsync(new CancellationTokenSource(GatewayHarness.Bound).Token);
        await fleet.Second.FlushUsageAsync(new CancellationTokenSource(GatewayHarness.Bound).Token);

        Assert.Equal(90, ids.Distinct().Count());
        var stored = RequestIds(fleet.Database!);
        Assert.Equal(ids.Order(StringComparer.Ordinal), stored.Order(StringComparer.Ordinal)); // none lost, none twice
        Assert.Equal(2L, fleet.Database!.Scalar("SELECT count(DISTINCT journal_id) FROM usage_journal")); // one journal per replica
        Assert.Equal(0L, fleet.Database.Scalar("SELECT count(*) FROM usage_record_conflicts"));
    }

    private static async Task<int> PostAsync(TwoReplicas fleet, Switchyard.Hosting.GatewayApp app, bool stream)
    {
        var body = $$"""{"model":"chat","max_tokens":1000,"stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"hi"}]}""";
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(app.BaseAddress, "/v1/chat/completions"))
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", GatewayHarness.ClientKey);
        using var response = await fleet.First.Http.SendAsync(request);
        await response.Content.ReadAsStringAsync();
        return (int)response.StatusCode;
    }

    /// <summary>
    /// The budget's hash and reservations on Redis once every settle has landed (settles leave off the request path,
    /// so this polls, bounded; never a timing assertion): spent, reserved, open reservation entries.
    /// </summary>
    private static async Task<(long Spent, long Reserved, long Open)> SettledAsync(TwoReplicas fleet, string scope)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(RedisTestServer.Endpoint()!);
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        var db = redis.GetDatabase();
        using var deadline = new CancellationTokenSource(GatewayHarness.Bound);
        while (true)
        {
            var hash = server.Keys(pattern: $"{{{fleet.Prefix}}}:u:{scope}:*").Single();
            var open = 0L;
            foreach (var key in server.Keys(pattern: $"{{{fleet.Prefix}}}:ur:{scope}:*"))
            {
                open += await db.SortedSetLengthAsync(key);
            }

            var spent = (long)await db.HashGetAsync(hash, "s");
            var reserved = (long)await db.HashGetAsync(hash, "r");
            if (reserved == 0 && open == 0 || deadline.IsCancellationRequested)
            {
                return (spent, reserved, open);
            }

            await Task.Delay(20, CancellationToken.None);
        }
    }

    /// <summary>Completes with the next circuit opening replica <paramref name="app"/> applies from the fleet.</summary>
    private static Task<string> Applied(Switchyard.Hosting.GatewayApp app)
    {
        var applied = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var broadcast = app.Services.GetRequiredService<BreakerBroadcast>();
        broadcast.Applied += deployment => applied.TrySetResult(deployment);
        return applied.Task;
    }

    /// <summary><paramref name="count"/> concurrent chat requests, alternating replicas, each answered 200; their record ids.</summary>
    private static async Task<List<string>> BurstAsync(TwoReplicas fleet, int count)
    {
        var ids = await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
        {
            using var response = await fleet.ChatAsync(i % 2 == 0 ? fleet.A : fleet.Second);
            await response.Content.ReadAsStringAsync();
            Assert.Equal(200, (int)response.StatusCode);
            return GatewayHarness.RecordId(response);
        }));
        return [.. ids];
    }

    /// <summary>Polls both replicas' readiness until the database reads <paramref name="status"/> on each (bounded).</summary>
    private static async Task WaitForDatabaseAsync(TwoReplicas fleet, string status)
    {
        using var deadline = new CancellationTokenSource(GatewayHarness.Bound);
        foreach (var app in new[] { fleet.A, fleet.Second })
        {
            while (Wire.StringOf((await fleet.ReadyAsync(app)).Body["database"]!["status"]) != status)
            {
                fleet.Clock.Advance(DatabaseHealthCache); // readiness reuses a probe's answer for a second of the replicas' (fake) clock
                await Task.Delay(20, deadline.Token);
            }
        }
    }

    private static readonly TimeSpan DatabaseHealthCache = Switchyard.Storage.DatabaseHealth.CacheFor;

    private static List<string> RequestIds(PostgresTestSchema schema)
    {
        using var c = new Npgsql.NpgsqlConnection(schema.ConnectionString);
        c.Open();
        using var cmd = new Npgsql.NpgsqlCommand("SELECT request_id FROM usage_records", c);
        using var rd = cmd.ExecuteReader();
        var ids = new List<string>();
        while (rd.Read())
        {
            ids.Add(rd.GetString(0));
        }

        return ids;
    }
}
