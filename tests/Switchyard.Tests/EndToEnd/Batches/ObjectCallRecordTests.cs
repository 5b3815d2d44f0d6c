using System.ClientModel;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using OpenAI.Files;
using Switchyard.Usage;

#pragma warning disable OPENAI001 // the SDK marks its batch client experimental; it is the client these endpoints must serve

namespace Switchyard.Tests.EndToEnd.Batches;

/// <summary>
/// Every call on <c>/v1/files</c> and <c>/v1/batches</c> goes through the pipeline's object stages (docs/adr/0017-beyond-chat.md,
/// "Files and batches"): limited by its key's RPM like a model request (429 in OpenAI's shape, nothing sent), refused
/// with 401 for a wrong key, and recorded once per call under its own operation, apart from the batch's settled record.
/// </summary>
public sealed class ObjectCallRecordTests
{
    [Fact]
    public async Task AKeyWithRpm2_ThirdFilesOrBatchesCall_Is429InOpenAIShape_NothingSent()
    {
        // A frozen clock: the minute's bucket does not refill between the calls, however slow the machine.
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 6, 12, 0, 0, TimeSpan.Zero));
        await using var g = await BatchGateway.StartAsync(appKey: ", limits: { rpm: 2 }", time: clock);
        var file = await g.UploadAsync(BatchGateway.Jsonl(1));
        await g.Files().GetFileAsync(file.Id);
        var sentBefore = g.Fake.Requests.Count;

        var refused = await Assert.ThrowsAsync<ClientResultException>(() => g.Files().GetFileAsync(file.Id));
        var batch = await Assert.ThrowsAsync<ClientResultException>(() => g.CreateAsync(file.Id));

        Assert.Equal((429, 429), (refused.Status, batch.Status));
        var error = JsonNode.Parse(refused.GetRawResponse()!.Content.ToString())!["error"]!;
        Assert.Equal("rate_limit_exceeded", error["code"]!.GetValue<string>());
        Assert.Contains("Rate limit reached for key 'app' on requests", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.True(refused.GetRawResponse()!.Headers.TryGetValue("Retry-After", out _));
        Assert.Equal(sentBefore, g.Fake.Requests.Count); // neither refusal reached the provider

        var records = await RecordsAsync(g);
        Assert.Equal(["files.upload", "files.retrieve", "files.retrieve", "batches.create"], records.Select(r => r.Operation));
        Assert.Equal([200, 200, 429, 429], records.Select(r => r.Status));
        Assert.Equal([null, null, "rate_limit_exceeded", "rate_limit_exceeded"], records.Select(r => r.ErrorKind));
    }

    [Fact]
    public async Task AKeyWithATokenLimit_FilesCallsAskNoTokens()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 6, 12, 0, 0, TimeSpan.Zero));
        await using var g = await BatchGateway.StartAsync(appKey: ", limits: { tpm: 5000 }", time: clock);

        using var first = await g.H.SendAsync(Get(g, "/v1/files", GatewayHarness.ClientKey));
        using var second = await g.H.SendAsync(Get(g, "/v1/batches", GatewayHarness.ClientKey));

        Assert.Equal((System.Net.HttpStatusCode.OK, System.Net.HttpStatusCode.OK), (first.StatusCode, second.StatusCode));
        // Nothing reserved: the limit's default output guess (1,024 tokens) would have left 3976.
        Assert.Equal(["5000", "5000"], new[] { first, second }.Select(r => r.Headers.GetValues("x-ratelimit-remaining-tokens").Single()));
    }

    [Fact]
    public async Task UploadListRetrieve_OneRecordPerCall_WithItsOperationKeyAndStatus()
    {
        await using var g = await BatchGateway.StartAsync();
        var client = g.Files();

        var file = await g.UploadAsync(BatchGateway.Jsonl(2));
        Assert.Single((await client.GetFilesAsync(FilePurpose.Batch)).Value);
        await client.GetFileAsync(file.Id);
        var missing = await Assert.ThrowsAsync<ClientResultException>(() => client.GetFileAsync("file-unknown"));

        Assert.Equal(404, missing.Status);
        var records = await RecordsAsync(g);
        Assert.Equal(["files.upload", "files.list", "files.retrieve", "files.retrieve"], records.Select(r => r.Operation));
        Assert.All(records, r => Assert.Equal("app", r.KeyId));
        Assert.Equal([200, 200, 200, 404], records.Select(r => r.Status));
        Assert.Equal(["mini", null, "mini", null], records.Select(r => r.FinalDeployment)); // where the call went; a list and an unknown id go nowhere
        Assert.Equal(["cheap", null, "cheap", null], records.Select(r => r.Alias));
        Assert.Equal(4, records.Select(r => r.RequestId).Distinct().Count());
        Assert.All(records, r => Assert.Equal(0, r.CostMicros)); // a call costs nothing: the batch's cost is its own record
    }

    [Fact]
    public async Task BatchCalls_RecordedPerCall_ApartFromTheBatchsSettledRecord()
    {
        await using var g = await BatchGateway.StartAsync();
        var file = await g.UploadAsync(BatchGateway.Jsonl(2));
        var operation = await g.CreateAsync(file.Id);
        var batchId = JsonNode.Parse(operation.GetRawResponse().Content.ToString())!["id"]!.GetValue<string>();
        g.Fake.Run(g.Fake.BatchIds.Single());

        await operation.GetBatchAsync(null); // sees it completed: settles the batch
        using var list = await g.H.SendAsync(Get(g, "/v1/batches", GatewayHarness.ClientKey));

        Assert.Equal(System.Net.HttpStatusCode.OK, list.StatusCode);
        var records = await RecordsAsync(g);
        Assert.Equal(["batches", "batches.create", "batches.list", "batches.retrieve", "files.upload"], records.Select(r => r.Operation).Order(StringComparer.Ordinal));
        Assert.All(records, r => Assert.Equal("app", r.KeyId));
        var settled = Assert.Single(records, r => r.Operation == "batches");
        Assert.Equal(batchId, settled.RequestId);
        Assert.True(settled.CostMicros > 0);
        Assert.Equal([200, 200, 200], records.Where(r => r.Operation.StartsWith("batches.", StringComparison.Ordinal)).Select(r => r.Status));
    }

    [Fact]
    public async Task AWrongKey_Gets401InOpenAIShape_AndARecordLikeAnyRefusal()
    {
        await using var g = await BatchGateway.StartAsync();

        var files = await Assert.ThrowsAsync<ClientResultException>(() => g.Files("sk-not-a-key").GetFilesAsync());
        using var batches = await g.H.SendAsync(Get(g, "/v1/batches/batch_x", "sk-not-a-key"));

        Assert.Equal((401, 401), (files.Status, (int)batches.StatusCode));
        var error = JsonNode.Parse(files.GetRawResponse()!.Content.ToString())!["error"]!;
        Assert.Equal(("invalid_api_key", "Incorrect API key provided."), (error["code"]!.GetValue<string>(), error["message"]!.GetValue<string>()));
        Assert.Equal("Bearer", batches.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Empty(g.Fake.Requests);

        var records = await RecordsAsync(g);
        Assert.Equal(["files.list", "batches.retrieve"], records.Select(r => r.Operation));
        Assert.All(records, r => Assert.Equal((401, (string?)null, "invalid_api_key"), (r.Status, r.KeyId, r.ErrorKind)));
    }

    /// <summary>Every record in the store, in the order written (after a flush; the store reads newest first).</summary>
    private static async Task<List<UsageRecord>> RecordsAsync(BatchGateway g)
    {
        await g.H.Gateway.FlushUsageAsync();
        return [.. g.H.Gateway.Usage.Store.ReadRecent(1000).Reverse()];
    }

    private static HttpRequestMessage Get(BatchGateway g, string path, string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, g.H.Url(path));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return request;
    }
}
