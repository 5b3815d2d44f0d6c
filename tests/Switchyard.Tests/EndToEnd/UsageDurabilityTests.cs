using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace Switchyard.Tests.EndToEnd;

/// <summary>
/// Usage records are what customers are billed from: one per request, under the gateway's own id, never lost
/// while the gateway answers. Real Kestrel, real SQLite, real files.
/// </summary>
public sealed class UsageDurabilityTests
{
    private const string StoreFailureYaml = GatewayHarness.DefaultYaml + """

        usage:
          on_store_failure: {{POLICY}}
          database_busy_timeout: 50ms
          memory_buffer: {{BUFFER}}
        """;

    [Fact]
    public async Task OneClientRequestIdOn50Requests_Leaves50RecordsUnderDistinctGatewayIds()
    {
        await using var h = await GatewayHarness.StartAsync();
        var gatewayIds = new List<string>();

        for (var i = 0; i < 50; i++)
        {
            var stream = i % 3 == 0;
            using var request = h.Post("/v1/chat/completions", Wire.ChatJson("switchyard/echo", stream: stream, content: $"request {i}"));
            request.Headers.Add("x-request-id", "the-same-id");
            using var response = await h.SendAsync(request);
            await response.Content.ReadAsStringAsync();

            Assert.Equal(200, (int)response.StatusCode);
            Assert.Equal("the-same-id", Wire.Header(response, "x-request-id"));
            gatewayIds.Add(GatewayHarness.RecordId(response));
        }

        var records = (await h.UsageRecordsAsync(50)).Where(r => r.ClientRequestId == "the-same-id").ToList();
        Assert.Equal(50, records.Count);
        Assert.Equal(gatewayIds.Order(StringComparer.Ordinal), records.Select(r => r.RequestId).Order(StringComparer.Ordinal));
        Assert.All(gatewayIds, id => Assert.Matches("^req_[0-9a-f]{32}$", id));
        Assert.Equal(50, gatewayIds.Distinct().Count());
        Assert.Equal(17, records.Count(r => r.Stream));
    }

    [Fact]
    public async Task NoStoreTakesRecords_Refuse_503InTheCallersFormatThenEveryRequestRecordedOnce()
    {
        await using var h = await GatewayHarness.StartAsync(StoreFailureYaml.Replace("{{POLICY}}", "refuse").Replace("{{BUFFER}}", "1000"));
        var ids = new List<string>();
        var answered = 0;

        using (var blocked = BlockStores(h))
        {
            // Requests answered before the gateway noticed still leave a record (held in memory); then 503.
            var refused = false;
            using (var deadline = new CancellationTokenSource(GatewayHarness.Bound))
            {
                while (!refused && !deadline.IsCancellationRequested)
                {
                    using var response = await h.PostChatAsync(Wire.ChatJson("switchyard/echo"));
                    ids.Add(GatewayHarness.RecordId(response));
                    refused = (int)response.StatusCode == 503;
                    if (refused)
                    {
                        await Wire.AssertOpenAIErrorAsync(response, 503, code: "usage_store_unavailable");
                        Assert.NotNull(response.Headers.RetryAfter);
                    }
                    else
                    {
                        Assert.Equal(200, (int)response.StatusCode);
                        await response.Content.ReadAsStringAsync();
                        answered++;
                    }
                }
            }

            Assert.True(refused, $"no 503 after {answered} answered requests with both stores down");
            Assert.True(answered >= 1, "the first request is answered: nothing has failed yet when it arrives");

            using (var anthropic = await h.SendAsync(AnthropicRequest(h)))
            {
                ids.Add(GatewayHarness.RecordId(anthropic));
                Assert.Equal(503, (int)anthropic.StatusCode);
                var error = JsonNode.Parse(await anthropic.Content.ReadAsStringAsync())!;
                Assert.Equal("error", Wire.StringOf(error["type"]));
                Assert.Equal("overloaded_error", Wire.StringOf(error["error"]!["type"]));
            }

            using var ready = await h.Http.GetAsync(h.Url("/health/ready"));
            Assert.Equal(503, (int)ready.StatusCode);
            var body = JsonNode.Parse(await ready.Content.ReadAsStringAsync())!;
            Assert.Equal("not_ready", Wire.StringOf(body["status"]));
            Assert.Contains("database is locked", Wire.StringOf(body["reason"]), StringComparison.Ordinal);
            Assert.Contains("journal:", Wire.StringOf(body["reason"]), StringComparison.Ordinal);
            Assert.Equal("unavailable", Wire.StringOf(body["usage_store"]));
        }

        await WaitUntilReadyAsync(h);
        using (var after = await h.PostChatAsync(Wire.ChatJson("switchyard/echo")))
        {
            Assert.Equal(200, (int)after.StatusCode);
            await after.Content.ReadAsStringAsync();
            ids.Add(GatewayHarness.RecordId(after));
        }

        var records = await h.UsageRecordsAsync(ids.Count);
        Assert.Equal(ids.Order(StringComparer.Ordinal), records.Select(r => r.RequestId).Order(StringComparer.Ordinal));
        Assert.Equal(answered + 1, records.Count(r => r.Status == 200));
        Assert.Equal(2, records.Count(r => r.Status == 503 && r.ErrorKind == "usage_store_unavailable"));
        Assert.Equal(0, CountConflicts(h));
    }

    [Fact]
    public async Task NoStoreTakesRecords_AcceptUnrecorded_ServesAndCountsWhatItDrops()
    {
        await using var h = await GatewayHarness.StartAsync(StoreFailureYaml.Replace("{{POLICY}}", "accept_unrecorded").Replace("{{BUFFER}}", "3"));
        using (var blocked = BlockStores(h))
        {
            for (var i = 0; i < 10; i++)
            {
                using var response = await h.PostChatAsync(Wire.ChatJson("switchyard/echo"));
                Assert.Equal(200, (int)response.StatusCode);
                await response.Content.ReadAsStringAsync();
            }

            // The last record is settled a moment after its response: wait for the count, bounded.
            JsonNode body;
            using var deadline = new CancellationTokenSource(GatewayHarness.Bound);
            do
            {
                using var ready = await h.Http.GetAsync(h.Url("/health/ready"), deadline.Token);
                Assert.Equal(200, (int)ready.StatusCode);
                body = JsonNode.Parse(await ready.Content.ReadAsStringAsync(deadline.Token))!;
                await Task.Delay(5, deadline.Token);
            }
            while (body["usage"]!["dropped_records"]!.GetValue<long>() < 7);

            Assert.Equal("ready", Wire.StringOf(body["status"]));
            Assert.Equal("accept_unrecorded", Wire.StringOf(body["usage"]!["on_store_failure"]));
            Assert.Equal(7, body["usage"]!["dropped_records"]!.GetValue<long>());
            Assert.Equal(3, body["usage"]!["buffered_records"]!.GetValue<long>());
        }

        using var flush = new CancellationTokenSource(GatewayHarness.Bound);
        await h.Gateway.FlushUsageAsync(flush.Token);
        Assert.Equal(3, h.Gateway.Usage.Store.ReadRecent(100).Count);
    }

    [Fact]
    public async Task ReadyProbe_HealthyStores_ReportsTheUsageState()
    {
        await using var h = await GatewayHarness.StartAsync();

        using var ready = await h.Http.GetAsync(h.Url("/health/ready"));
        var body = JsonNode.Parse(await ready.Content.ReadAsStringAsync())!;

        Assert.Equal(200, (int)ready.StatusCode);
        Assert.Equal("ok", Wire.StringOf(body["usage_store"]));
        Assert.Equal("refuse", Wire.StringOf(body["usage"]!["on_store_failure"]));
        Assert.Equal("ok", Wire.StringOf(body["usage"]!["journal"]));
        Assert.Equal(0, body["usage"]!["dropped_records"]!.GetValue<long>());
    }

    /// <summary>
    /// Takes both stores away, as a full disk does: the database is locked (an exclusive lock from another
    /// connection) and the journal's folder becomes a file. Disposing gives both back.
    /// </summary>
    private static IDisposable BlockStores(GatewayHarness h)
    {
        var journal = Path.Combine(h.DataDirectory, "usage-journal");
        Directory.Delete(journal, recursive: true); // empty: nothing was recorded yet
        File.WriteAllText(journal, "not a folder");
        var blocker = new SqliteConnection($"Data Source={Path.Combine(h.DataDirectory, "switchyard.db")};Pooling=False");
        blocker.Open();
        using (var begin = blocker.CreateCommand())
        {
            begin.CommandText = "BEGIN EXCLUSIVE";
            begin.ExecuteNonQuery();
        }

        return new Release(() =>
        {
            blocker.Dispose();
            File.Delete(journal);
            Directory.CreateDirectory(journal);
        });
    }

    private static HttpRequestMessage AnthropicRequest(GatewayHarness h)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, h.Url("/v1/messages"))
        {
            Content = new StringContent("""{"model":"switchyard/echo","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add("x-api-key", GatewayHarness.ClientKey);
        request.Headers.Add("anthropic-version", "2023-06-01");
        return request;
    }

    private static async Task WaitUntilReadyAsync(GatewayHarness h)
    {
        using var deadline = new CancellationTokenSource(GatewayHarness.Bound);
        while (true)
        {
            using var ready = await h.Http.GetAsync(h.Url("/health/ready"), deadline.Token);
            if ((int)ready.StatusCode == 200)
            {
                return;
            }

            await Task.Delay(10, deadline.Token);
        }
    }

    private static long CountConflicts(GatewayHarness h) => ((Switchyard.Usage.SqliteUsageStore)h.Gateway.Usage.Store).CountConflicts();

    private sealed class Release(Action release) : IDisposable
    {
        public void Dispose() => release();
    }
}
