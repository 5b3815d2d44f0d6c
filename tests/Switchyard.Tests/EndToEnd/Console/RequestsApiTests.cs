using Switchyard.Tests.EndToEnd.Admin;
using Switchyard.Tests.TestKit;

namespace Switchyard.Tests.EndToEnd.Console;

/// <summary>The request explorer's API: records newest first, filtered, paged by cursor, and one record's whole story.</summary>
public sealed class RequestsApiTests
{
    [Fact]
    public async Task Requests_PagedNewestFirst_EveryRecordOnce()
    {
        await using var h = await GatewayHarness.StartAsync(SpendApiTests.Yaml, env: AdminClient.MasterEnv);
        for (var i = 0; i < 5; i++)
        {
            using var response = await h.PostChatAsync("""{"model":"chat","messages":[{"role":"user","content":"hi"}]}""");
            Assert.Equal(200, (int)response.StatusCode);
        }

        var records = await h.UsageRecordsAsync(5);
        var admin = new AdminClient(h, AdminClient.MasterKey);
        var ids = new List<string>();
        string? cursor = null;
        do
        {
            var (status, page) = await admin.GetAsync("/v1/admin/requests?limit=2" + (cursor is null ? "" : "&cursor=" + cursor));
            Assert.Equal(200, status);
            ids.AddRange(page["data"]!.AsArray().Select(r => r!["id"]!.GetValue<string>()));
            cursor = page["next_cursor"]?.GetValue<string>();
        }
        while (cursor is not null);

        // The store lists records by row, newest first; the API orders by start time, ties in that same row order
        // (OrderByDescending is stable), which is what keyset pagination on (started_at_ms, rowid) gives.
        Assert.Equal(records.OrderByDescending(r => r.StartedAtMs).Select(r => r.RequestId), ids);
    }

    [Fact]
    public async Task Requests_Filters_ByModelStatusAndFallbackReason()
    {
        await using var h = await GatewayHarness.StartAsync(SpendApiTests.Yaml, env: AdminClient.MasterEnv);
        h.A.Enqueue(UpstreamBehavior.ServerError());
        using (var fellBack = await h.PostChatAsync("""{"model":"chat","messages":[{"role":"user","content":"a"}]}"""))
        {
            Assert.Equal(200, (int)fellBack.StatusCode);
        }

        using (var direct = await h.PostChatAsync("""{"model":"only-b","messages":[{"role":"user","content":"b"}]}"""))
        {
            Assert.Equal(200, (int)direct.StatusCode);
        }

        using (var unknown = await h.PostChatAsync("""{"model":"nope","messages":[{"role":"user","content":"c"}]}"""))
        {
            Assert.Equal(404, (int)unknown.StatusCode);
        }

        await h.UsageRecordsAsync(3);
        var admin = new AdminClient(h, AdminClient.MasterKey);

        var (_, byReason) = await admin.GetAsync("/v1/admin/requests?fallback_reason=server_error");
        var fallback = Assert.Single(byReason["data"]!.AsArray());
        Assert.Equal("chat", fallback!["model"]!.GetValue<string>());
        Assert.Equal("dep-b", fallback["final_deployment"]!.GetValue<string>());

        var (_, errors) = await admin.GetAsync("/v1/admin/requests?status=4xx");
        Assert.Equal("nope", Assert.Single(errors["data"]!.AsArray())!["model"]!.GetValue<string>());

        var (_, byModel) = await admin.GetAsync("/v1/admin/requests?model=only-b&key=app");
        Assert.Equal("only-b", Assert.Single(byModel["data"]!.AsArray())!["model"]!.GetValue<string>());
    }

    [Fact]
    public async Task Request_AfterAFallback_TellsEveryAttempt()
    {
        await using var h = await GatewayHarness.StartAsync(SpendApiTests.Yaml, env: AdminClient.MasterEnv);
        h.A.Enqueue(UpstreamBehavior.ServerError());
        using var response = await h.PostChatAsync("""{"model":"chat","messages":[{"role":"user","content":"a"}]}""");
        var id = GatewayHarness.RecordId(response);
        var record = await h.UsageAsync(id);

        var (status, body) = await new AdminClient(h, AdminClient.MasterKey).GetAsync("/v1/admin/requests/" + id);

        Assert.Equal(200, status);
        Assert.Equal("dep-a", body["intended_deployment"]!.GetValue<string>());
        Assert.Equal("dep-b", body["final_deployment"]!.GetValue<string>());
        Assert.Equal("server_error", body["fallback_reason"]!.GetValue<string>());
        var attempts = body["attempt_log"]!.AsArray();
        Assert.Equal(2, attempts.Count);
        Assert.Equal(("dep-a", "server_error"), (attempts[0]!["deployment"]!.GetValue<string>(), attempts[0]!["outcome"]!.GetValue<string>()));
        Assert.Equal(("dep-b", "ok"), (attempts[1]!["deployment"]!.GetValue<string>(), attempts[1]!["outcome"]!.GetValue<string>()));
        Assert.Equal(record.CostMicros, body["cost_micros"]!.GetValue<long>());
        Assert.Equal(record.TotalTokens, body["tokens"]!["total"]!.GetValue<long>());

        Assert.Equal(404, (await new AdminClient(h, AdminClient.MasterKey).GetAsync("/v1/admin/requests/req_nope")).Status);
    }
}
