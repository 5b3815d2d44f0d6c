using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Switchyard.Conversations;
using Switchyard.Tests.EndToEnd.Admin;
using Switchyard.Tests.TestKit;

namespace Switchyard.Tests.EndToEnd;

/// <summary>
/// Gateways on PostgreSQL (<c>storage.kind: postgres</c>), end to end: real Kestrel, a real server, each test in a
/// schema of its own. Two replicas share keys, Responses state and usage records; the server cut off mid-load (a
/// <see cref="TcpProxy"/> in between) loses no record and stores none twice once it is back.
/// </summary>
public sealed class PostgresStorageTests
{
    private const string Yaml = GatewayHarness.DefaultYaml + """

        storage:
          kind: postgres
          connection_string_env: SWITCHYARD_PG
        """;

    [Fact]
    public async Task OnPostgres_BudgetsCountTheSharedRecords_AndTheUsageViewsReadThem()
    {
        if (PostgresTestSchema.Skipped)
        {
            return; // SWITCHYARD_TEST_SKIP_POSTGRES=1: left out on purpose
        }

        using var schema = new PostgresTestSchema();
        var env = new Dictionary<string, string>(AdminClient.MasterEnv) { ["SWITCHYARD_PG"] = schema.ConnectionString };
        await using var h = await GatewayHarness.StartAsync(Yaml, env: env);
        var admin = new AdminClient(h, AdminClient.MasterKey);
        var (id, _, _) = await admin.CreateKeyAsync("""{"name":"budgeted","budget":{"limit_usd":1,"period":"monthly"}}""");

        var (budgets, list) = await admin.GetAsync("/v1/admin/budgets?scope=key:" + id); // the spend is read from PostgreSQL
        string recordId;
        using (var served = await h.PostChatAsync(Wire.ChatJson("switchyard/echo")))
        {
            Assert.Equal(200, (int)served.StatusCode);
            recordId = GatewayHarness.RecordId(served);
        }

        // The record is settled after the answer has gone out: a flush right after the response can run before it
        // is queued (seen once under CI load), so wait for this record in the database itself.
        await h.UsageAsync(recordId);
        var (spend, byKey) = await admin.GetAsync("/v1/admin/spend?group_by=key");

        Assert.Equal(200, budgets);
        Assert.Equal(1m, list["data"]![0]!["remaining_usd"]!.GetValue<decimal>());
        Assert.Equal(200, spend); // the console's views on PostgreSQL (PostgresUsageQuery)
        Assert.Equal(1, byKey["data"]!.AsArray().Sum(row => row!["requests"]!.GetValue<long>()));
    }

    [Fact]
    public async Task TwoReplicasOnOneDatabase_ShareKeysResponsesAndUsage()
    {
        if (PostgresTestSchema.Skipped)
        {
            return; // SWITCHYARD_TEST_SKIP_POSTGRES=1: left out on purpose
        }

        using var schema = new PostgresTestSchema();
        var env = new Dictionary<string, string>(AdminClient.MasterEnv) { ["SWITCHYARD_PG"] = schema.ConnectionString };
        await using var a = await GatewayHarness.StartAsync(Yaml, env: env);
        var (keyId, secret, _) = await new AdminClient(a, AdminClient.MasterKey).CreateKeyAsync("""{"name":"shared"}""");
        await using var b = await GatewayHarness.StartAsync(Yaml, env: env); // starts after the key exists: loads it from the database

        using var onB = await b.PostChatAsync(Wire.ChatJson("switchyard/echo"), key: secret);
        await onB.Content.ReadAsStringAsync();
        using var stored = await a.SendAsync(a.Post("/v1/responses", """{"model":"switchyard/echo","input":"keep me","store":true}""", key: secret));
        var responseId = JsonNode.Parse(await stored.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();
        await a.Gateway.Services.GetRequiredService<ResponseState>().FlushAsync(); // written behind the answer (ADR 0012: the window)
        using var fetched = await b.Http.SendAsync(new HttpRequestMessage(HttpMethod.Get, b.Url($"/v1/responses/{responseId}"))
        {
            Headers = { Authorization = new("Bearer", secret) },
        });

        Assert.Equal(200, (int)onB.StatusCode);
        Assert.Equal(200, (int)stored.StatusCode);
        Assert.Equal(200, (int)fetched.StatusCode);
        Assert.Contains("keep me", await fetched.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var onBRecord = await a.UsageAsync(GatewayHarness.RecordId(onB)); // written by B, read through A's store
        Assert.Equal(keyId, onBRecord.KeyId);
        await b.Gateway.FlushUsageAsync(new CancellationTokenSource(GatewayHarness.Bound).Token);
        Assert.Equal(2L, schema.Scalar("SELECT count(DISTINCT journal_id) FROM usage_journal")); // one checkpoint per replica

        var ready = await ReadyAsync(b);
        Assert.Equal(("postgres", "ok"), (Wire.StringOf(ready["database"]!["kind"]), Wire.StringOf(ready["database"]!["status"])));
    }

    [Fact]
    public async Task ServerCutOffMidLoad_EveryRequestRecordedOnce_AfterItIsBack()
    {
        if (PostgresTestSchema.Skipped)
        {
            return;
        }

        using var schema = new PostgresTestSchema();
        var server = new NpgsqlConnectionStringBuilder(schema.ConnectionString);
        await using var proxy = new TcpProxy(server.Host!, server.Port);
        await using var h = await GatewayHarness.StartAsync(Yaml, env: new Dictionary<string, string> { ["SWITCHYARD_PG"] = schema.Through(proxy) });
        var ids = new List<string>();

        ids.AddRange(await BurstAsync(h, 20));
        await h.Gateway.FlushUsageAsync(new CancellationTokenSource(GatewayHarness.Bound).Token);
        proxy.Cut();
        ids.AddRange(await BurstAsync(h, 40)); // served: the journal keeps the records while the database is away
        var down = await WaitForReadyAsync(h, r => Wire.StringOf(r["usage"]!["database"]) != "ok");
        ids.AddRange(await BurstAsync(h, 10));
        proxy.Restore();
        var back = await WaitForReadyAsync(h, r => Wire.StringOf(r["database"]!["status"]) == "ok");
        ids.AddRange(await BurstAsync(h, 20));
        await h.Gateway.FlushUsageAsync(new CancellationTokenSource(GatewayHarness.Bound).Token);

        Assert.Equal(("ready", "unreachable", "degraded"),
            (Wire.StringOf(down["status"]), Wire.StringOf(down["database"]!["status"]), Wire.StringOf(down["usage_store"])));
        Assert.Equal("ok", Wire.StringOf(back["database"]!["status"]));
        Assert.Equal(90, ids.Distinct().Count());
        var stored = RequestIds(schema);
        Assert.Equal(ids.Order(StringComparer.Ordinal), stored.Order(StringComparer.Ordinal)); // none lost, none twice
        Assert.Equal(0L, schema.Scalar("SELECT count(*) FROM usage_record_conflicts"));
        Assert.Equal(0, h.Gateway.Usage.Status.Conflicts);
    }

    /// <summary><paramref name="count"/> concurrent chat requests, each answered 200; returns their record ids.</summary>
    private static async Task<List<string>> BurstAsync(GatewayHarness h, int count)
    {
        var responses = await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
        {
            using var response = await h.PostChatAsync(Wire.ChatJson("switchyard/echo", stream: i % 4 == 0, content: $"request {i}"));
            await response.Content.ReadAsStringAsync();
            Assert.Equal(200, (int)response.StatusCode);
            return GatewayHarness.RecordId(response);
        }));
        return [.. responses];
    }

    private static async Task<JsonNode> ReadyAsync(GatewayHarness h)
    {
        using var response = await h.Http.GetAsync(h.Url("/health/ready"));
        Assert.Equal(200, (int)response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    /// <summary>Polls readiness until <paramref name="done"/> (bounded by <see cref="GatewayHarness.Bound"/>); never a timing assertion.</summary>
    private static async Task<JsonNode> WaitForReadyAsync(GatewayHarness h, Func<JsonNode, bool> done)
    {
        using var deadline = new CancellationTokenSource(GatewayHarness.Bound);
        while (true)
        {
            var ready = await ReadyAsync(h);
            if (done(ready))
            {
                return ready;
            }

            await Task.Delay(20, deadline.Token);
        }
    }

    private static List<string> RequestIds(PostgresTestSchema schema)
    {
        using var c = new NpgsqlConnection(schema.ConnectionString);
        c.Open();
        using var cmd = new NpgsqlCommand("SELECT request_id FROM usage_records", c);
        using var rd = cmd.ExecuteReader();
        var ids = new List<string>();
        while (rd.Read())
        {
            ids.Add(rd.GetString(0));
        }

        return ids;
    }
}
