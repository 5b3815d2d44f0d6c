using System.Text.Json.Nodes;
using Switchyard.Tests.EndToEnd.Admin;
using Switchyard.Tests.TestKit;

namespace Switchyard.Tests.EndToEnd.Console;

/// <summary>
/// The spend and requests API (<c>/v1/admin/spend</c>, <c>/v1/admin/requests</c>, <c>/v1/admin/stats</c>) against a real
/// gateway and its SQLite records: sums that match the records, keyset pages that neither skip nor repeat, filters,
/// the whole story of a fallback, and the bounds every query has.
/// </summary>
public sealed class SpendApiTests
{
    /// <summary>Priced deployments ($1 / $2 per million tokens), so every answered request costs something.</summary>
    internal const string Yaml = GatewayHarness.Preamble + """
        deployments:
          dep-a: { provider: up-a, model: upstream-model-a, price: { input: 1, output: 2 } }
          dep-b: { provider: up-b, model: upstream-model-b, price: { input: 1, output: 2 } }
        models:
          chat:
            deployments: [dep-a]
            fallbacks: [dep-b]
            retry: { max_retries: 0, base_delay: 1ms, max_delay: 5ms }
          only-b: dep-b
        """;

    private static async Task<GatewayHarness> StartAsync() => await GatewayHarness.StartAsync(Yaml, env: AdminClient.MasterEnv);

    private static async Task SendAsync(GatewayHarness h, string key, string model, int count)
    {
        for (var i = 0; i < count; i++)
        {
            using var response = await h.PostChatAsync($$"""{"model":"{{model}}","messages":[{"role":"user","content":"hi"}]}""", key);
            Assert.Equal(200, (int)response.StatusCode);
        }
    }

    [Fact]
    public async Task Spend_ByKey_SumsTheRecordsCostTokensAndRequests()
    {
        await using var h = await StartAsync();
        var admin = new AdminClient(h, AdminClient.MasterKey);
        var (_, alice, _) = await admin.CreateKeyAsync("""{"name":"alice"}""");
        var (_, bob, _) = await admin.CreateKeyAsync("""{"name":"bob"}""");
        await SendAsync(h, alice, "chat", 3);
        await SendAsync(h, bob, "only-b", 2);
        var records = await h.UsageRecordsAsync(5);

        var (status, body) = await admin.GetAsync("/v1/admin/spend?group_by=key");

        Assert.Equal(200, status);
        var rows = body["data"]!.AsArray();
        Assert.Equal(2, rows.Count);
        foreach (var row in rows)
        {
            var mine = records.Where(r => r.KeyId == row!["group"]!.GetValue<string>()).ToList();
            Assert.Equal(mine.Count, row!["requests"]!.GetValue<long>());
            Assert.Equal(mine.Sum(r => r.CostMicros), row["cost_micros"]!.GetValue<long>());
            Assert.True(row["cost_micros"]!.GetValue<long>() > 0);
            Assert.Equal(mine.Sum(r => r.PromptTokens), row["tokens"]!["prompt"]!.GetValue<long>());
            Assert.Equal(mine.Sum(r => r.CompletionTokens), row["tokens"]!["completion"]!.GetValue<long>());
            Assert.Equal(row["cost_micros"]!.GetValue<long>() / 1_000_000m, row["cost_usd"]!.GetValue<decimal>());
        }

        Assert.False(body["has_more"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Spend_PagedByOne_VisitsEveryGroupOnceInCostOrder()
    {
        await using var h = await StartAsync();
        var admin = new AdminClient(h, AdminClient.MasterKey);
        var keys = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var (_, secret, _) = await admin.CreateKeyAsync($$"""{"name":"k{{i}}"}""");
            await SendAsync(h, secret, "chat", i + 1); // k2 spends most
            keys.Add(secret);
        }

        await h.UsageRecordsAsync(6);
        var seen = new List<(string Group, long Cost)>();
        string? cursor = null;
        do
        {
            var (status, page) = await admin.GetAsync("/v1/admin/spend?group_by=key&order=cost&limit=1" + (cursor is null ? "" : "&cursor=" + cursor));
            Assert.Equal(200, status);
            var row = Assert.Single(page["data"]!.AsArray());
            seen.Add((row!["group"]!.GetValue<string>(), row["cost_micros"]!.GetValue<long>()));
            cursor = page["next_cursor"]?.GetValue<string>();
            Assert.Equal(cursor is not null, page["has_more"]!.GetValue<bool>());
        }
        while (cursor is not null);

        Assert.Equal(3, seen.Count);
        Assert.Equal(3, seen.Select(s => s.Group).Distinct().Count());
        Assert.Equal(seen.OrderByDescending(s => s.Cost).Select(s => s.Group), seen.Select(s => s.Group));
    }

    [Fact]
    public async Task Spend_ByDayAndModel_FiltersByKey()
    {
        await using var h = await StartAsync();
        var admin = new AdminClient(h, AdminClient.MasterKey);
        var (aliceId, alice, _) = await admin.CreateKeyAsync("""{"name":"alice"}""");
        var (_, bob, _) = await admin.CreateKeyAsync("""{"name":"bob"}""");
        await SendAsync(h, alice, "chat", 2);
        await SendAsync(h, alice, "only-b", 1);
        await SendAsync(h, bob, "only-b", 4);
        await h.UsageRecordsAsync(7);

        var (_, byModel) = await admin.GetAsync($"/v1/admin/spend?group_by=model&key={aliceId}");
        var models = byModel["data"]!.AsArray().ToDictionary(r => r!["group"]!.GetValue<string>(), r => r!["requests"]!.GetValue<long>());
        Assert.Equal(new Dictionary<string, long> { ["chat"] = 2, ["only-b"] = 1 }, models);

        var (_, byDay) = await admin.GetAsync("/v1/admin/spend?group_by=day");
        var today = DateTime.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var day = Assert.Single(byDay["data"]!.AsArray());
        Assert.Equal(today, day!["group"]!.GetValue<string>());
        Assert.Equal(7, day["requests"]!.GetValue<long>());
    }

    [Theory]
    [InlineData("/v1/admin/spend?group_by=planet", "group_by")]
    [InlineData("/v1/admin/spend?limit=1001", "limit")]
    [InlineData("/v1/admin/spend?from=2020-01-01&to=2026-01-01", "from")]
    [InlineData("/v1/admin/spend?from=yesterday", "from")]
    [InlineData("/v1/admin/spend?cursor=not-a-cursor", "cursor")]
    [InlineData("/v1/admin/requests?limit=101", "limit")]
    [InlineData("/v1/admin/requests?status=teapot", "status")]
    [InlineData("/v1/admin/stats?from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z", "from")]
    [InlineData("/v1/admin/stats?bucket=1", "bucket")]
    public async Task UsageQueries_OutOfBounds_400NamingTheParameter(string path, string param)
    {
        await using var h = await StartAsync();
        var (status, body) = await new AdminClient(h, AdminClient.MasterKey).GetAsync(path);
        Assert.Equal(400, status);
        Assert.Equal(param, body["error"]!["param"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("/v1/admin/spend")]
    [InlineData("/v1/admin/requests")]
    [InlineData("/v1/admin/stats")]
    [InlineData("/v1/admin/config")]
    public async Task UsageQueries_ClientOrOperatorKey_403(string path)
    {
        await using var h = await StartAsync();
        Assert.Equal(403, (await new AdminClient(h, GatewayHarness.ClientKey).GetAsync(path)).Status);
        Assert.Equal(403, (await new AdminClient(h, GatewayHarness.OperatorKey).GetAsync(path)).Status);
        Assert.Equal(401, (await new AdminClient(h, null).GetAsync(path)).Status);
    }

    [Fact]
    public async Task Stats_CountsAndPercentiles_MatchTheRecords()
    {
        await using var h = await StartAsync();
        await SendAsync(h, GatewayHarness.ClientKey, "chat", 4);
        using (var refused = await h.PostChatAsync("""{"model":"solo-missing","messages":[{"role":"user","content":"x"}]}"""))
        {
            Assert.Equal(404, (int)refused.StatusCode);
        }

        var records = await h.UsageRecordsAsync(5);
        var (status, body) = await new AdminClient(h, AdminClient.MasterKey).GetAsync("/v1/admin/stats?bucket=60");

        Assert.Equal(200, status);
        var total = body["total"]!;
        Assert.Equal(5, total["requests"]!.GetValue<long>());
        Assert.Equal(1, total["errors"]!.GetValue<long>());
        Assert.Equal(records.Sum(r => r.CostMicros), total["cost_micros"]!.GetValue<long>());
        var latencies = records.Select(r => Math.Round(r.LatencyMs, 1)).Order().ToList();
        Assert.Equal(latencies[2], total["latency_p50_ms"]!.GetValue<double>()); // nearest rank: the 3rd of 5
        Assert.Equal(latencies[4], total["latency_p99_ms"]!.GetValue<double>());
        Assert.Equal(60, body["series"]!.AsArray().Count); // one hour in minutes
        Assert.Equal(5, body["series"]!.AsArray().Sum(b => b!["requests"]!.GetValue<long>()));
    }
}
