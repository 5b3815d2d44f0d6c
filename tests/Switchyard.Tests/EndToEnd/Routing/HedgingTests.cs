using System.Net;
using System.Text;
using Switchyard.Hosting;
using Switchyard.Tests.TestKit;

namespace Switchyard.Tests.EndToEnd.Routing;

/// <summary>
/// Hedging through the real gateway. The hedge delay is fixed at 100 ms and the slow upstream stalls far
/// longer, so which attempt wins is decided by construction, not by timing margins.
/// </summary>
public sealed class HedgingTests : IAsyncLifetime
{
    private readonly string dataDir = Directory.CreateTempSubdirectory("switchyard-hedge-").FullName;
    private FakeOpenAIUpstream slow = null!;
    private FakeOpenAIUpstream fast = null!;
    private GatewayApp gateway = null!;
    private HttpClient http = null!;

    public async Task InitializeAsync()
    {
        slow = await FakeOpenAIUpstream.StartAsync();
        fast = await FakeOpenAIUpstream.StartAsync();
        var yaml = $$"""
            providers:
              s: { kind: openai-compatible, base_url: "{{slow.BaseUrl}}", api_key: "${K}" }
              f: { kind: openai-compatible, base_url: "{{fast.BaseUrl}}", api_key: "${K}" }
            deployments:
              slow-d: { provider: s, model: slow-model }
              fast-d: { provider: f, model: fast-model }
            models:
              hedged:
                deployments:
                  - { deployment: slow-d, priority: 0 }
                  - { deployment: fast-d, priority: 1 }
                hedge: { delay: 100ms, max_share: 100% }
              patient:
                deployments:
                  - { deployment: slow-d, priority: 0 }
                  - { deployment: fast-d, priority: 1 }
                hedge: { delay: 60s }
            """;
        gateway = await GatewayApp.StartAsync(new GatewayStartOptions
        {
            ConfigYaml = yaml,
            Urls = "http://127.0.0.1:0",
            DataDirectory = dataDir,
            Environment = n => n == "K" ? "sk-up" : null,
            ConsoleLogging = false,
        });
        http = new HttpClient { BaseAddress = gateway.BaseAddress };
    }

    private Task<HttpResponseMessage> Chat(bool stream = false, string model = "hedged") =>
        http.PostAsync("/v1/chat/completions", new StringContent(
            $$"""{"model":"{{model}}","stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"));

    [Fact]
    public async Task SlowPrimary_HedgeWinsAndThePrimaryIsCancelledUpstream()
    {
        slow.Enqueue(UpstreamBehavior.Delay(TimeSpan.FromSeconds(30)));
        using var r = await Chat();

        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("fast-d", r.Headers.GetValues("x-switchyard-deployment").Single());
        Assert.Equal("true", r.Headers.GetValues("x-switchyard-hedged").Single());
        Assert.Equal("2", r.Headers.GetValues("x-switchyard-attempts").Single());
        await slow.WaitForAbortAsync(TimeSpan.FromSeconds(10)); // the loser's upstream request was cancelled
    }

    [Fact]
    public async Task SlowPrimaryStream_HedgeWinsWithItsFirstToken()
    {
        slow.Enqueue(UpstreamBehavior.Stall(0));
        using var r = await Chat(stream: true);
        var body = await r.Content.ReadAsStringAsync();

        Assert.Equal("fast-d", r.Headers.GetValues("x-switchyard-deployment").Single());
        Assert.Contains("data: [DONE]", body, StringComparison.Ordinal);
        await slow.WaitForAbortAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task AnswerWithinTheDelay_NoHedgeIsSent()
    {
        // A 60 s hedge delay: the primary always answers first, however slow the test machine.
        using var r = await Chat(model: "patient");

        Assert.Equal("slow-d", r.Headers.GetValues("x-switchyard-deployment").Single()); // "slow" only by name here
        Assert.False(r.Headers.Contains("x-switchyard-hedged"));
        Assert.Equal(0, fast.RequestCount);
    }

    [Fact]
    public async Task HedgeFailsWhilePrimaryIsSlow_PrimaryStillWins()
    {
        slow.Enqueue(UpstreamBehavior.Delay(TimeSpan.FromSeconds(2)));
        fast.Enqueue(UpstreamBehavior.ServerError());
        using var r = await Chat();

        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("slow-d", r.Headers.GetValues("x-switchyard-deployment").Single());
        Assert.Equal(1, fast.RequestCount);

        global::Switchyard.Usage.UsageRecord? record = null;
        var id = r.Headers.GetValues("x-request-id").Single();
        for (var i = 0; i < 300 && record is null; i++)
        {
            await gateway.FlushUsageAsync();
            record = gateway.Usage.Store.ReadRecent(20).SingleOrDefault(u => u.RequestId == id);
            if (record is null)
            {
                await Task.Delay(10);
            }
        }

        Assert.NotNull(record);
        Assert.True(record.Hedged);
        Assert.Equal(2, record.Attempts);
        Assert.Equal("slow-d", record.FinalDeployment);
    }

    public async Task DisposeAsync()
    {
        http.Dispose();
        await gateway.DisposeAsync();
        await slow.DisposeAsync();
        await fast.DisposeAsync();
        try
        {
            Directory.Delete(dataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
