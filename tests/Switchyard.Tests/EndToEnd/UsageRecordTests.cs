using Switchyard.Tests.TestKit;
using Switchyard.Usage;

namespace Switchyard.Tests.EndToEnd;

/// <summary>Usage metering: what the client sees of usage, and what lands in the usage record.</summary>
public sealed class UsageRecordTests
{
    [Fact]
    public async Task PostChatStream_WithoutStreamOptions_HidesUsageChunkButRecordsTokens()
    {
        await using var h = await GatewayHarness.StartAsync();
        h.A.Enqueue(UpstreamBehavior.Text("metered reply", usage: new FakeUsage(31, 17) { CachedTokens = 8 }));

        using var response = await h.PostChatAsync(Wire.ChatJson(stream: true));
        var events = await Wire.ReadSseAsync(response);

        Assert.Equal("metered reply", Wire.Content(events));
        Assert.True(events[^1].IsDone);
        Assert.DoesNotContain(events, Wire.IsUsageOnlyChunk);
        Assert.DoesNotContain(events, e => !e.IsDone && e.Json?["usage"] is System.Text.Json.Nodes.JsonObject);

        var upstream = Assert.Single(h.A.Requests);
        Assert.True(upstream.IsStream);
        Assert.True(upstream.IncludeUsage, "the gateway must ask the upstream for usage: " + upstream.Body);

        var record = await h.UsageAsync(Wire.Header(response, "x-request-id")!);
        Assert.True(record.Stream);
        Assert.Equal(31, record.PromptTokens);
        Assert.Equal(17, record.CompletionTokens);
        Assert.Equal(48, record.TotalTokens);
        Assert.Equal(8, record.CachedTokens);
        Assert.NotNull(record.TimeToFirstTokenMs);
        Assert.Equal(200, record.Status);
        Assert.Null(record.ErrorKind);
    }

    [Fact]
    public async Task PostChatStream_EchoModelWithoutStreamOptions_HidesUsageChunkButRecordsTokens()
    {
        await using var h = await GatewayHarness.StartAsync();

        using var response = await h.PostChatAsync(Wire.ChatJson("switchyard/echo", stream: true, content: "twelve chars"));
        var events = await Wire.ReadSseAsync(response);

        Assert.Equal("twelve chars", Wire.Content(events));
        Assert.DoesNotContain(events, Wire.IsUsageOnlyChunk);
        var record = await h.UsageAsync(Wire.Header(response, "x-request-id")!);
        Assert.Equal(3, record.PromptTokens);     // ceil(12 / 4)
        Assert.Equal(3, record.CompletionTokens);
        Assert.Equal(6, record.TotalTokens);
    }

    [Fact]
    public async Task PostChatStream_WithIncludeUsage_ClientSeesUsageChunk()
    {
        await using var h = await GatewayHarness.StartAsync();
        h.A.Enqueue(UpstreamBehavior.Text("metered reply", usage: new FakeUsage(31, 17)));

        using var response = await h.PostChatAsync(Wire.ChatJson(stream: true, includeUsage: true));
        var events = await Wire.ReadSseAsync(response);

        var usageChunk = Assert.Single(events, Wire.IsUsageOnlyChunk);
        Assert.Equal(31, usageChunk.Json!["usage"]!["prompt_tokens"]!.GetValue<int>());
        Assert.Equal(17, usageChunk.Json!["usage"]!["completion_tokens"]!.GetValue<int>());
        Assert.True(events[^1].IsDone);
        Assert.Same(usageChunk, events[^2]);

        var record = await h.UsageAsync(Wire.Header(response, "x-request-id")!);
        Assert.Equal(48, record.TotalTokens);
    }

    [Fact]
    public async Task PostChat_PlainRequest_RecordHasEveryField()
    {
        await using var h = await GatewayHarness.StartAsync();
        h.A.Enqueue(UpstreamBehavior.Text("ok", usage: new FakeUsage(9, 4)));
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        using var response = await h.PostChatAsync(Wire.ChatJson("chat"));
        await response.Content.ReadAsStringAsync();

        Assert.Equal(200, (int)response.StatusCode);
        var requestId = Wire.Header(response, "x-request-id");
        Assert.False(string.IsNullOrEmpty(requestId));
        var record = await h.UsageAsync(requestId);
        Assert.Equal(requestId, record.RequestId);
        Assert.Equal("app", record.KeyId);
        Assert.Equal("chat.completions", record.Operation);
        Assert.Equal("chat", record.Alias);
        Assert.Equal("dep-a", record.IntendedDeployment);
        Assert.Equal("dep-a", record.FinalDeployment);
        Assert.Equal("upstream-model-a", record.FinalModel);
        Assert.Equal(1, record.Attempts);
        Assert.Null(record.FallbackReason);
        Assert.False(record.Stream);
        Assert.Equal(200, record.Status);
        Assert.Null(record.ErrorKind);
        Assert.Equal(9, record.PromptTokens);
        Assert.Equal(4, record.CompletionTokens);
        Assert.Equal(13, record.TotalTokens);
        Assert.True(record.LatencyMs > 0, $"latency {record.LatencyMs}");
        Assert.NotNull(record.TimeToFirstTokenMs);
        Assert.True(record.TimeToFirstTokenMs > 0 && record.TimeToFirstTokenMs <= record.LatencyMs,
            $"ttft {record.TimeToFirstTokenMs}, latency {record.LatencyMs}");
        Assert.InRange(record.StartedAtMs, before - 1_000, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
    }

    [Fact]
    public async Task PostChat_ClientRequestId_IsEchoedAndStoredBesideTheGatewaysId()
    {
        await using var h = await GatewayHarness.StartAsync();

        using var request = h.Post("/v1/chat/completions", Wire.ChatJson());
        request.Headers.Add("x-request-id", "client-trace-0042");
        using var response = await h.SendAsync(request);
        await response.Content.ReadAsStringAsync();

        Assert.Equal("client-trace-0042", Wire.Header(response, "x-request-id"));
        var gatewayId = Wire.Header(response, "x-switchyard-request-id");
        Assert.Matches("^req_[0-9a-f]{32}$", gatewayId);
        var record = await h.UsageAsync(gatewayId!);
        Assert.Equal("client-trace-0042", record.ClientRequestId);
        Assert.Equal(200, record.Status);
    }

    [Fact]
    public async Task PostChat_WithoutClientRequestId_RecordIsKeyedByTheEchoedGatewayId()
    {
        await using var h = await GatewayHarness.StartAsync();

        using var response = await h.PostChatAsync(Wire.ChatJson());
        await response.Content.ReadAsStringAsync();

        Assert.Null(Wire.Header(response, "x-switchyard-request-id"));
        var record = await h.UsageAsync(Wire.Header(response, "x-request-id")!);
        Assert.Null(record.ClientRequestId);
    }

    [Fact]
    public async Task PostChat_RefusedRequest_StillLeavesARecord()
    {
        await using var h = await GatewayHarness.StartAsync();

        using var response = await h.PostChatAsync(Wire.ChatJson("no-such-model"));
        await response.Content.ReadAsStringAsync();

        var record = await h.UsageAsync(Wire.Header(response, "x-request-id")!);
        Assert.Equal(404, record.Status);
        Assert.Equal("model_not_found", record.ErrorKind);
        Assert.Equal("app", record.KeyId);
        Assert.Equal(0, record.Attempts);
        Assert.Null(record.FinalDeployment);
        Assert.Null(record.TimeToFirstTokenMs);
        Assert.Equal(0, h.A.RequestCount);
    }

    [Fact]
    public async Task StopGateway_AfterRequests_EveryRecordIsPersisted()
    {
        await using var h = await GatewayHarness.StartAsync();
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            using var response = await h.PostChatAsync(Wire.ChatJson(stream: i % 2 == 0));
            await response.Content.ReadAsStringAsync();
            ids.Add(Wire.Header(response, "x-request-id")!);
        }

        await h.StopGatewayAsync(); // no explicit flush: shutdown itself must drain the usage queue

        using var store = new SqliteUsageStore(Path.Combine(h.DataDirectory, "switchyard.db"));
        Assert.Equal(ids.Order(StringComparer.Ordinal), store.ReadRecent(100).Select(r => r.RequestId).Order(StringComparer.Ordinal));
    }
}
