using System.ClientModel;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using OpenAI.Batch;
using Switchyard.Batches;
using Switchyard.Storage;
using Switchyard.Tests.TestKit;
using Switchyard.Usage;

#pragma warning disable OPENAI001 // the SDK marks its batch client experimental; it is the client these endpoints must serve

namespace Switchyard.Tests.EndToEnd.Batches;

/// <summary>
/// <c>/v1/batches</c> through the official SDK's <see cref="BatchClient"/> against the strict fake, which runs a batch
/// when the test says so: the batch goes where its input file is, its ids are the gateway's (output files too), its
/// usage is recorded once, at half price, whoever sees it end (a retrieve, the poller, two pollers racing on SQLite and
/// PostgreSQL), and it survives a restart.
/// </summary>
public sealed class BatchesTests
{
    private const string PostgresStorage = """
        storage:
          kind: postgres
          connection_string_env: SWITCHYARD_PG
        """;

    [Fact]
    public async Task Create_Run_Retrieve_OutputIsAGatewayFile_UsageOnceAtHalfPrice()
    {
        await using var g = await BatchGateway.StartAsync();
        var file = await g.UploadAsync(BatchGateway.Jsonl(2));

        var operation = await g.CreateAsync(file.Id);

        var created = Json(operation.GetRawResponse());
        var batchId = created["id"]!.GetValue<string>();
        Assert.StartsWith("batch_", batchId, StringComparison.Ordinal);
        Assert.Equal((file.Id, "validating", "nightly"), (Str(created, "input_file_id"), Str(created, "status"), created["metadata"]!["job"]!.GetValue<string>()));
        Assert.Contains("POST /v1/batches", g.Fake.Requests);

        g.Fake.Run(g.Fake.BatchIds.Single());
        var done = Json((await operation.GetBatchAsync(null)).GetRawResponse());

        Assert.Equal(("completed", batchId, file.Id), (Str(done, "status"), Str(done, "id"), Str(done, "input_file_id")));
        var outputId = Str(done, "output_file_id")!;
        Assert.StartsWith("file-", outputId, StringComparison.Ordinal);
        Assert.DoesNotContain("file-up", outputId, StringComparison.Ordinal);
        var output = (await g.Files().DownloadFileAsync(outputId)).Value.ToString();
        Assert.Contains("\"custom_id\":\"req-1\"", output, StringComparison.Ordinal);

        var record = Assert.Single(await g.RecordsOfAsync(batchId));
        Assert.Equal(("batches", "app", "cheap", "mini", "gpt-4o-mini-2024-07-18"), (record.Operation, record.KeyId, record.Alias, record.FinalDeployment, record.FinalModel));
        Assert.Equal((201L, 40L, 20L, 10L), (record.PromptTokens, record.CompletionTokens, record.CachedTokens, record.ReasoningTokens));
        // 181 uncached at $0.15, 20 cached at $0.075, 30 visible + 10 reasoning output at $0.60 = 52.65 µ$; half: 26.325 → 26.
        Assert.Equal((26L, "config,batch:0.5", (string?)null), (record.CostMicros, record.PriceVersion, record.ErrorKind));

        await operation.GetBatchAsync(null); // seen again, and by a poller round: never recorded twice
        Assert.Equal(0, await Poller(g).PollOnceAsync(CancellationToken.None));
        Assert.Single(await g.RecordsOfAsync(batchId));
    }

    [Fact]
    public async Task Cancelled_RecordsWhatCompleted()
    {
        await using var g = await BatchGateway.StartAsync();
        var file = await g.UploadAsync(BatchGateway.Jsonl(3));
        var operation = await g.CreateAsync(file.Id);
        var batchId = Str(Json(operation.GetRawResponse()), "id")!;

        var cancelling = Json((await operation.CancelAsync(null)).GetRawResponse());
        g.Fake.Run(g.Fake.BatchIds.Single(), status: "cancelled", lines: 1);
        var cancelled = Json((await operation.GetBatchAsync(null)).GetRawResponse());

        Assert.Equal(("cancelling", batchId), (Str(cancelling, "status"), Str(cancelling, "id")));
        Assert.Equal("cancelled", Str(cancelled, "status"));
        var record = Assert.Single(await g.RecordsOfAsync(batchId));
        Assert.Equal(("batch_cancelled", 100L, 20L), (record.ErrorKind, record.PromptTokens, record.CompletionTokens));
    }

    [Fact]
    public async Task OutputGoneAtTheProvider_RecordedOnceWithoutUsage_NotAskedForEver()
    {
        await using var g = await BatchGateway.StartAsync();
        var file = await g.UploadAsync(BatchGateway.Jsonl(2));
        var operation = await g.CreateAsync(file.Id);
        var batchId = Str(Json(operation.GetRawResponse()), "id")!;
        g.Fake.Run(g.Fake.BatchIds.Single());
        g.Fake.Forget(g.Fake.OutputFileOf(g.Fake.BatchIds.Single())!);

        await operation.GetBatchAsync(null);

        var record = Assert.Single(await g.RecordsOfAsync(batchId));
        Assert.Equal((0L, 0L), (record.PromptTokens, record.CostMicros));
        Assert.Equal(0, await Poller(g).PollOnceAsync(CancellationToken.None));
        Assert.Empty(g.H.Gateway.Services.GetRequiredService<IUpstreamObjectStore>().Unsettled("batch", 10));
    }

    [Fact]
    public async Task AnotherKey_CannotSeeUseOrCancel()
    {
        await using var g = await BatchGateway.StartAsync();
        var file = await g.UploadAsync(BatchGateway.Jsonl(1));
        var batchId = Str(Json((await g.CreateAsync(file.Id)).GetRawResponse()), "id")!;
        var other = g.Batches(GatewayHarness.OperatorKey);

        var useFile = await Assert.ThrowsAsync<ClientResultException>(() => g.CreateAsync(file.Id, GatewayHarness.OperatorKey));
        var rehydrate = await Assert.ThrowsAsync<ClientResultException>(() => CreateBatchOperation.RehydrateAsync(other, batchId));
        using var list = await g.H.SendAsync(Get(g, "/v1/batches", GatewayHarness.OperatorKey));
        using var cancel = await g.H.SendAsync(new HttpRequestMessage(HttpMethod.Post, g.H.Url($"/v1/batches/{batchId}/cancel"))
        {
            Headers = { Authorization = new("Bearer", GatewayHarness.OperatorKey) },
        });

        Assert.Equal((404, 404, 404), (useFile.Status, rehydrate.Status, (int)cancel.StatusCode));
        Assert.Contains("input_file_id", useFile.GetRawResponse()!.Content.ToString(), StringComparison.Ordinal);
        Assert.Empty(JsonNode.Parse(await list.Content.ReadAsStringAsync())!["data"]!.AsArray());
        Assert.DoesNotContain(g.Fake.Requests, r => r.EndsWith("/cancel", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SurvivesARestart_ThePollerSettlesIt()
    {
        await using var g = await BatchGateway.StartAsync();
        var file = await g.UploadAsync(BatchGateway.Jsonl(2));
        var batchId = Str(Json((await g.CreateAsync(file.Id)).GetRawResponse()), "id")!;

        await g.H.RestartGatewayAsync(g.Yaml);
        g.Fake.Run(g.Fake.BatchIds.Single());
        var settled = await Poller(g).PollOnceAsync(CancellationToken.None); // no client asks: the poller records it

        Assert.Equal(1, settled);
        Assert.Equal(201, Assert.Single(await g.RecordsOfAsync(batchId)).PromptTokens);
        var operation = await CreateBatchOperation.RehydrateAsync(g.Batches(), batchId);
        Assert.Equal("completed", Str(Json(operation.GetRawResponse()), "status"));
        Assert.Equal(file.Id, (await g.Files().GetFileAsync(file.Id)).Value.Id);
        using var list = await g.H.SendAsync(Get(g, "/v1/batches", GatewayHarness.ClientKey));
        Assert.Equal([batchId], JsonNode.Parse(await list.Content.ReadAsStringAsync())!["data"]!.AsArray().Select(b => Str(b!.AsObject(), "id")));
        Assert.Single(await g.RecordsOfAsync(batchId));
    }

    public static TheoryData<string> Databases => PostgresTestSchema.Skipped ? ["sqlite"] : ["sqlite", "postgres"];

    [Theory]
    [MemberData(nameof(Databases))]
    public async Task TwoPollersRacing_OnTwoStoreInstances_SettleOnce(string database)
    {
        using var schema = database == "postgres" ? new PostgresTestSchema() : null;
        await using var g = await BatchGateway.StartAsync(schema is null ? "" : PostgresStorage,
            schema is null ? null : new Dictionary<string, string> { ["SWITCHYARD_PG"] = schema.ConnectionString });
        var file = await g.UploadAsync(BatchGateway.Jsonl(2));
        var batchId = Str(Json((await g.CreateAsync(file.Id)).GetRawResponse()), "id")!;
        g.Fake.Run(g.Fake.BatchIds.Single());
        using IUpstreamObjectStore second = schema is null
            ? UpstreamObjectStore.Sqlite(Path.Combine(g.H.DataDirectory, "switchyard.db"))
            : UpstreamObjectStore.Postgres(schema.Database());

        var results = await Task.WhenAll(Poller(g).PollOnceAsync(CancellationToken.None), Poller(g, second).PollOnceAsync(CancellationToken.None));

        Assert.Equal(1, results.Sum());
        var record = Assert.Single(await g.RecordsOfAsync(batchId));
        Assert.Equal((201L, 26L), (record.PromptTokens, record.CostMicros));
    }

    [Theory]
    [MemberData(nameof(Databases))]
    public async Task TwoSettlementsOfOneSnapshot_BothReadTheOutput_OneRecords(string database)
    {
        using var schema = database == "postgres" ? new PostgresTestSchema() : null;
        await using var g = await BatchGateway.StartAsync(schema is null ? "" : PostgresStorage,
            schema is null ? null : new Dictionary<string, string> { ["SWITCHYARD_PG"] = schema.ConnectionString });
        var file = await g.UploadAsync(BatchGateway.Jsonl(2));
        var batchId = Str(Json((await g.CreateAsync(file.Id)).GetRawResponse()), "id")!;
        g.Fake.Run(g.Fake.BatchIds.Single());
        using IUpstreamObjectStore second = schema is null
            ? UpstreamObjectStore.Sqlite(Path.Combine(g.H.DataDirectory, "switchyard.db"))
            : UpstreamObjectStore.Postgres(schema.Database());
        var services = g.H.Gateway.Services;
        var batch = services.GetRequiredService<IUpstreamObjectStore>().Get("app", batchId)!; // both replicas saw it unsettled
        var deployment = services.GetRequiredService<RouterState>().Current.Deployments["mini"];
        var output = g.Fake.OutputFileOf(g.Fake.BatchIds.Single())!;

        var settled = await Task.WhenAll(
            services.GetRequiredService<BatchSettlement>().SettleAsync(batch, deployment, "completed", output, CancellationToken.None),
            Settlement(g, second).SettleAsync(batch, deployment, "completed", output, CancellationToken.None));

        Assert.Equal(1, settled.Count(s => s));
        Assert.Equal(2, g.Fake.Requests.Count(r => r == $"GET /v1/files/{output}/content")); // each read the whole output before the mark
        Assert.Equal(201, Assert.Single(await g.RecordsOfAsync(batchId)).PromptTokens);
    }

    [Fact]
    public async Task ExhaustedBudget_RefusesTheNextBatch_WithInsufficientQuota()
    {
        await using var g = await BatchGateway.StartAsync();
        await g.H.RestartGatewayAsync(g.Yaml.Replace("- { id: app, hash: {{APP_HASH}} }", "- { id: app, hash: {{APP_HASH}}, budget: { limit_usd: 0.00002, period: monthly } }", StringComparison.Ordinal));
        var file = await g.UploadAsync(BatchGateway.Jsonl(2));
        var first = await g.CreateAsync(file.Id); // 20 µ$ left: nothing is reserved, the batch is accepted
        g.Fake.Run(g.Fake.BatchIds.Single());
        await first.GetBatchAsync(null); // settled: 26 µ$ charged

        var refused = await Assert.ThrowsAsync<ClientResultException>(() => g.CreateAsync(file.Id));

        Assert.Equal(429, refused.Status);
        Assert.Contains("insufficient_quota", refused.GetRawResponse()!.Content.ToString(), StringComparison.Ordinal);
        Assert.Single(g.Fake.BatchIds);
    }

    private static BatchSettlement Settlement(BatchGateway g, IUpstreamObjectStore store)
    {
        var services = g.H.Gateway.Services;
        return new BatchSettlement(store, services.GetRequiredService<ProviderObjects>(), services.GetRequiredService<UsageWriter>(),
            services.GetRequiredService<BatchBudgets>(), TimeProvider.System, NullLogger<BatchSettlement>.Instance);
    }

    /// <summary>A poller like the gateway's; on <paramref name="store"/> (another replica's connection) when given.</summary>
    private static BatchPoller Poller(BatchGateway g, IUpstreamObjectStore? store = null)
    {
        var services = g.H.Gateway.Services;
        if (store is null)
        {
            return services.GetRequiredService<BatchPoller>();
        }

        var settlement = Settlement(g, store);
        var tracker = new BatchTracker(store, services.GetRequiredService<ProviderObjects>(), settlement, TimeProvider.System, NullLogger<BatchTracker>.Instance);
        return new BatchPoller(store, tracker, services.GetRequiredService<RouterState>(), TimeProvider.System, NullLogger<BatchPoller>.Instance);
    }

    private static HttpRequestMessage Get(BatchGateway g, string path, string key) =>
        new(HttpMethod.Get, g.H.Url(path)) { Headers = { Authorization = new("Bearer", key) } };

    private static JsonObject Json(System.ClientModel.Primitives.PipelineResponse response) => JsonNode.Parse(response.Content.ToString())!.AsObject();

    private static string? Str(JsonObject o, string name) => o[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}
