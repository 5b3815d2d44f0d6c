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
    private const string Yaml = """
        providers:
          s: { kind: openai-compatible, base_url: "{{FAKE0}}", api_key: "${UP_KEY}" }
          f: { kind: openai-compatible, base_url: "{{FAKE1}}", api_key: "${UP_KEY}" }
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

    private GatewayHarness h = null!;
    private HttpClient http = null!;

    private FakeOpenAIUpstream Slow => h.Fakes[0];

    private FakeOpenAIUpstream Fast => h.Fakes[1];

    public async Task InitializeAsync()
    {
        h = await GatewayHarness.StartAsync(Yaml, fakes: 2);
        http = new HttpClient { BaseAddress = h.Gateway.BaseAddress };
    }

    private Task<HttpResponseMessage> Chat(bool stream = false, string model = "hedged") =>
        http.PostAsync("/v1/chat/completions", new StringContent(
            $$"""{"model":"{{model}}","stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"));

    [Fact]
    public async Task SlowPrimary_HedgeWinsAndThePrimaryIsCancelledUpstream()
    {
        Slow.Enqueue(UpstreamBehavior.Delay(TimeSpan.FromSeconds(30)));
        using var r = await Chat();

        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("fast-d", r.Headers.GetValues("x-switchyard-deployment").Single());
        Assert.Equal("true", r.Headers.GetValues("x-switchyard-hedged").Single());
        Assert.Equal("2", r.Headers.GetValues("x-switchyard-attempts").Single());
        await Slow.WaitForAbortAsync(TimeSpan.FromSeconds(10)); // the loser's upstream request was cancelled
    }

    [Fact]
    public async Task SlowPrimaryStream_HedgeWinsWithItsFirstToken()
    {
        Slow.Enqueue(UpstreamBehavior.Stall(0));
        using var r = await Chat(stream: true);
        var body = await r.Content.ReadAsStringAsync();

        Assert.Equal("fast-d", r.Headers.GetValues("x-switchyard-deployment").Single());
        Assert.Contains("data: [DONE]", body, StringComparison.Ordinal);
        await Slow.WaitForAbortAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task AnswerWithinTheDelay_NoHedgeIsSent()
    {
        // A 60 s hedge delay: the primary always answers first, however slow the test machine.
        using var r = await Chat(model: "patient");

        Assert.Equal("slow-d", r.Headers.GetValues("x-switchyard-deployment").Single()); // "slow" only by name here
        Assert.False(r.Headers.Contains("x-switchyard-hedged"));
        Assert.Equal(0, Fast.RequestCount);
    }

    [Fact]
    public async Task HedgeFailsWhilePrimaryIsSlow_PrimaryStillWins()
    {
        Slow.Enqueue(UpstreamBehavior.Delay(TimeSpan.FromSeconds(2)));
        Fast.Enqueue(UpstreamBehavior.ServerError());
        using var r = await Chat();

        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("slow-d", r.Headers.GetValues("x-switchyard-deployment").Single());
        Assert.Equal(1, Fast.RequestCount);

        var record = await h.UsageAsync(r.Headers.GetValues("x-request-id").Single());
        Assert.True(record.Hedged);
        Assert.Equal(2, record.Attempts);
        Assert.Equal("slow-d", record.FinalDeployment);
    }

    public async Task DisposeAsync()
    {
        http.Dispose();
        await h.DisposeAsync();
    }
}
