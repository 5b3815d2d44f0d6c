#pragma warning disable OPENAI001 // the SDK marks its VideoClient as an evaluation API
using System.ClientModel;
using Microsoft.Extensions.DependencyInjection;
using Switchyard.Governance;
using Switchyard.Tests.EndToEnd.Admin;
using Switchyard.Tests.TestKit;
using Switchyard.Tests.TestKit.Media;

namespace Switchyard.Tests.EndToEnd.Media;

/// <summary>
/// Video jobs under the gateway's governance, end to end: fallback only until a provider has accepted the job, a job
/// that survives a restart, its cost recorded exactly once however many pollers see it end (SQLite and PostgreSQL), the
/// background poller billing a job no client asks about again, and a budget held from the create to the completion.
/// </summary>
public sealed class VideoJobsGovernanceTests
{
    public static TheoryData<string> Databases => PostgresTestSchema.Skipped ? new TheoryData<string> { "sqlite" } : new TheoryData<string> { "sqlite", "postgres" };

    [Fact]
    public async Task Fallback_BeforeAcceptance_ToVeo()
    {
        await using var v = await VideoGateway.StartAsync();

        var created = await v.CreateAsync("""{"model":"video-any","prompt":"x","seconds":"4"}""");

        Assert.Equal("queued", created["status"]!.GetValue<string>());
        var record = await v.H.UsageWhereAsync(r => r.Operation == "videos", "the create");
        Assert.Equal(("veo", 2), (record.FinalDeployment, record.Attempts)); // sora-down refused the connection: nothing was accepted there
        Assert.Single(v.Fake.Requests, r => r.Path.EndsWith(":predictLongRunning", StringComparison.Ordinal));
    }

    [Fact]
    public async Task NoFallback_AfterAcceptance_AnUnreadableAcceptanceIsA502()
    {
        await using var v = await VideoGateway.StartAsync();
        v.Fake.FailNext("/openai/v1/videos", 200, "{\"id\":"); // a 2xx: the job may exist at OpenAI now

        var refused = await Assert.ThrowsAsync<ClientResultException>(() => v.CreateAsync("""{"model":"sora-then-veo","prompt":"x"}"""));

        Assert.Equal(502, refused.Status);
        Assert.DoesNotContain(v.Fake.Requests, r => r.Path.StartsWith("/gemini/", StringComparison.Ordinal)); // never resubmitted to Veo
        var record = await v.H.UsageWhereAsync(r => r.Operation == "videos", "the create");
        Assert.Equal(("sora", 1, "invalid_response"), (record.FinalDeployment, record.Attempts, record.ErrorKind));
    }

    [Fact]
    public async Task TheKeysRateLimit_CountsEveryCall_PollsIncluded_AndAProvidersRefusalIsRelayedAsItCame()
    {
        await using var v = await VideoGateway.StartAsync();
        var (_, secret, _) = await new AdminClient(v.H, AdminClient.MasterKey).CreateKeyAsync("""{"name":"limited","limits":{"rpm":3}}""");
        var client = v.Client(secret);

        var invalid = await Assert.ThrowsAsync<ClientResultException>(() => v.CreateAsync("""{"model":"sora-2","prompt":"x","seconds":"5"}""", secret));
        var id = (await v.CreateAsync("""{"model":"sora-2","prompt":"x"}""", secret))["id"]!.GetValue<string>();
        VideoGateway.Json(await client.GetVideoAsync(id));
        var limited = await Assert.ThrowsAsync<ClientResultException>(() => client.GetVideoAsync(id));

        Assert.Equal(400, invalid.Status); // OpenAI's own words: the client speaks its protocol
        Assert.Contains("Supported values are: '4', '8', and '12'.", invalid.GetRawResponse()!.Content.ToString(), StringComparison.Ordinal);
        Assert.Equal(429, limited.Status);
        Assert.Equal(3, v.Fake.Requests.Count); // two creates and one poll: the limited poll never left the gateway
    }

    [Fact]
    public async Task AJob_SurvivesAGatewayRestart_PolledAndDownloadedAfter()
    {
        await using var v = await VideoGateway.StartAsync();
        var id = (await v.CreateAsync("""{"model":"veo-3","prompt":"x","seconds":"6"}"""))["id"]!.GetValue<string>();

        await v.RestartAsync();
        v.Fake.Complete(v.OnlyUpstreamJob);

        Assert.Equal("completed", VideoGateway.Json(await v.Client().GetVideoAsync(id))["status"]!.GetValue<string>());
        var download = await v.Client().DownloadVideoAsync(id, "video");
        Assert.Equal(FakeVideoUpstream.VideoChunks.SelectMany(c => c).ToArray(), download.GetRawResponse().Content.ToArray());
        Assert.Equal(2_400_000, Assert.Single(await v.CompletionsAsync(id)).CostMicros); // 6 s at $0.40
    }

    [Theory]
    [MemberData(nameof(Databases))]
    public async Task TwoPollersAndClients_RacingOnAnEndedJob_RecordItsCostOnce(string database)
    {
        using var schema = database == "postgres" ? new PostgresTestSchema() : null;
        var (extra, env) = schema is null ? ("", null) : ("""

            storage:
              kind: postgres
              connection_string_env: SWITCHYARD_PG
            """, new Dictionary<string, string> { ["SWITCHYARD_PG"] = schema.ConnectionString });
        await using var v = await VideoGateway.StartAsync(extra, env);
        var id = (await v.CreateAsync("""{"model":"sora-2-pro","prompt":"x","seconds":"12"}"""))["id"]!.GetValue<string>();
        v.Fake.Complete(v.OnlyUpstreamJob);
        var second = ActivatorUtilities.CreateInstance<Switchyard.Jobs.VideoPoller>(v.H.Gateway.Services); // another poller, as on a second replica

        var settled = await Task.WhenAll(
            v.Poller.PollOnceAsync(CancellationToken.None), second.PollOnceAsync(CancellationToken.None),
            Poll(v, id), Poll(v, id), v.Poller.PollOnceAsync(CancellationToken.None));

        Assert.InRange(settled[0] + settled[1] + settled[4], 0, 1); // at most one poller settled it (a client's poll may have)
        var completion = Assert.Single(await v.CompletionsAsync(id));
        Assert.Equal(("videos.completed", 3_600_000L), (completion.Operation, completion.CostMicros)); // 12 s at $0.30

        static async Task<int> Poll(VideoGateway v, string id)
        {
            VideoGateway.Json(await v.Client().GetVideoAsync(id));
            return 0;
        }
    }

    [Fact]
    public async Task TheBackgroundPoller_BillsAJobNoClientPollsAgain_OnTheGatewaysClock()
    {
        await using var v = await VideoGateway.StartAsync();
        var id = (await v.CreateAsync("""{"model":"sora-2","prompt":"x","seconds":"12"}"""))["id"]!.GetValue<string>();
        v.Fake.Complete(v.OnlyUpstreamJob);
        Assert.Empty(await v.CompletionsAsync(id));

        v.Clock.Advance(Switchyard.Jobs.VideoPoller.Interval);

        var completion = await v.H.UsageWhereAsync(r => r.RequestId == id, "the job's completion");
        Assert.Equal((1_200_000L, "app"), (completion.CostMicros, completion.KeyId)); // 12 s at $0.10, billed to the key that created it
        Assert.Equal(2, v.Fake.Requests.Count); // the create and the poller's one poll
    }

    [Fact]
    public async Task ABudget_ReservesTheRequestedSeconds_RefusesWhatItCannotCover_AndIsChargedOnceAtCompletion()
    {
        await using var v = await VideoGateway.StartAsync();
        var (keyId, secret, _) = await new AdminClient(v.H, AdminClient.MasterKey).CreateKeyAsync("""{"name":"budgeted","budget":{"limit_usd":1,"period":"monthly"}}""");
        var ledger = v.H.Gateway.Services.GetRequiredService<BudgetLedger>();
        var scope = new BudgetScope("key:" + keyId, new BudgetRule(1_000_000, BudgetPeriod.Monthly), new SpendOwner(SpendOwnerKind.Key, keyId));

        var tooLong = await Assert.ThrowsAsync<ClientResultException>(() => v.CreateAsync("""{"model":"sora-2","prompt":"x","seconds":"12"}""", secret)); // $1.20
        var id = (await v.CreateAsync("""{"model":"sora-2","prompt":"x","seconds":"8"}""", secret))["id"]!.GetValue<string>(); // $0.80
        var held = ledger.Peek(scope);
        var noRoom = await Assert.ThrowsAsync<ClientResultException>(() => v.CreateAsync("""{"model":"sora-2","prompt":"y","seconds":"4"}""", secret)); // $0.40 > $0.20 left

        Assert.Equal((429, 429), (tooLong.Status, noRoom.Status));
        Assert.Equal((0L, 800_000L), (held.SpentMicros, held.ReservedMicros)); // held for the job after its create ended
        Assert.Single(v.Fake.Jobs);

        v.Fake.Complete(v.OnlyUpstreamJob);
        VideoGateway.Json(await v.Client(secret).GetVideoAsync(id));
        VideoGateway.Json(await v.Client(secret).GetVideoAsync(id));
        var after = ledger.Peek(scope);

        Assert.Equal((800_000L, 0L), (after.SpentMicros, after.ReservedMicros)); // charged once, at the job's cost
        Assert.Equal(800_000, Assert.Single(await v.CompletionsAsync(id)).CostMicros);
        Assert.Equal(0, v.H.Gateway.Services.GetRequiredService<JobReservations>().Count);
    }

    [Fact]
    public async Task AFailedJob_GivesItsReservationBack()
    {
        await using var v = await VideoGateway.StartAsync();
        var (keyId, secret, _) = await new AdminClient(v.H, AdminClient.MasterKey).CreateKeyAsync("""{"name":"budgeted","budget":{"limit_usd":1,"period":"monthly"}}""");
        var ledger = v.H.Gateway.Services.GetRequiredService<BudgetLedger>();
        var scope = new BudgetScope("key:" + keyId, new BudgetRule(1_000_000, BudgetPeriod.Monthly), new SpendOwner(SpendOwnerKind.Key, keyId));
        var id = (await v.CreateAsync("""{"model":"sora-2","prompt":"x","seconds":"4"}""", secret))["id"]!.GetValue<string>();
        Assert.Equal(400_000, ledger.Peek(scope).ReservedMicros);

        v.Fake.Fail(v.OnlyUpstreamJob);
        Assert.Equal("failed", VideoGateway.Json(await v.Client(secret).GetVideoAsync(id))["status"]!.GetValue<string>());

        Assert.Equal((0L, 0L), (ledger.Peek(scope).SpentMicros, ledger.Peek(scope).ReservedMicros));
    }
}
