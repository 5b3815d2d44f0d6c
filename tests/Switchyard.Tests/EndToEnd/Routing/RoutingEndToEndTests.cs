using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Switchyard.Hosting;
using Switchyard.Tests.TestKit;

namespace Switchyard.Tests.EndToEnd.Routing;

/// <summary>Routing and fallback policy through the real gateway: circuits, capabilities, client fallbacks, deadlines, explain.</summary>
public sealed class RoutingEndToEndTests : IAsyncLifetime
{
    private const string Yaml = """
        providers:
          one: { kind: openai-compatible, base_url: "{{FAKE0}}", api_key: "${UP_KEY}" }
          two: { kind: openai-compatible, base_url: "{{FAKE1}}", api_key: "${UP_KEY}" }
        deployments:
          a: { provider: one, model: model-a, context_window: 1000 }
          b: { provider: two, model: model-b, context_window: 100000, capabilities: { vision: false } }
          text-only: { provider: two, model: model-t, capabilities: { tools: false } }
        models:
          breaker:
            deployments: [a]
            fallbacks: [b]
            retry: { max_retries: 0, base_delay: 1ms, max_delay: 5ms }
          big:
            deployments: [a, b]
          plain: { deployments: [text-only] }
          alone: { deployments: [a] }
          other: { deployments: [b] }
        """;

    private GatewayHarness h = null!;
    private HttpClient http = null!;

    private FakeOpenAIUpstream Primary => h.Fakes[0];

    private FakeOpenAIUpstream Secondary => h.Fakes[1];

    public async Task InitializeAsync()
    {
        h = await GatewayHarness.StartAsync(Yaml, fakes: 2);
        http = new HttpClient { BaseAddress = h.Gateway.BaseAddress };
    }

    private Task<HttpResponseMessage> Chat(string json, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return http.SendAsync(request);
    }

    private static string Body(string model, string extra = "") =>
        $$"""{"model":"{{model}}","messages":[{"role":"user","content":"hi"}]{{extra}}}""";

    [Fact]
    public async Task Chat_RepeatedUpstreamFailures_OpenTheCircuitAndLaterRequestsSkipIt()
    {
        Primary.SetDefault(UpstreamBehavior.ServerError());
        for (var i = 0; i < 10; i++)
        {
            using var r = await Chat(Body("breaker"));
            Assert.Equal(HttpStatusCode.OK, r.StatusCode); // b answers each time
            Assert.Equal("b", r.Headers.GetValues("x-switchyard-deployment").Single());
        }

        var before = Primary.RequestCount;
        Assert.Equal(10, before);
        using (var r = await Chat(Body("breaker")))
        {
            Assert.Equal("b", r.Headers.GetValues("x-switchyard-deployment").Single());
            Assert.Equal("1", r.Headers.GetValues("x-switchyard-attempts").Single()); // a was not even tried
        }

        Assert.Equal(before, Primary.RequestCount);

        using var explain = await http.PostAsync("/v1/route/explain", new StringContent(Body("breaker"), Encoding.UTF8, "application/json"));
        using var doc = JsonDocument.Parse(await explain.Content.ReadAsStringAsync());
        Assert.Equal("b", doc.RootElement.GetProperty("plan")[0].GetProperty("deployment").GetString());
        var excluded = doc.RootElement.GetProperty("excluded")[0];
        Assert.Equal("a", excluded.GetProperty("deployment").GetString());
        Assert.Equal("circuit open", excluded.GetProperty("reason").GetString());

        using var deployments = await http.GetAsync("/v1/deployments");
        using var list = JsonDocument.Parse(await deployments.Content.ReadAsStringAsync());
        var a = list.RootElement.GetProperty("data").EnumerateArray().Single(d => d.GetProperty("deployment").GetString() == "a");
        Assert.Equal("open", a.GetProperty("circuit").GetString());
    }

    [Fact]
    public async Task Chat_PromptBeyondContextWindow_GoesToTheLargerDeploymentWithoutCallingTheSmallOne()
    {
        var longText = new string('x', 8000); // ~2,000 tokens estimated > a's 1,000
        using var r = await Chat($$"""{"model":"big","messages":[{"role":"user","content":"{{longText}}"}]}""");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("b", r.Headers.GetValues("x-switchyard-deployment").Single());
        Assert.Equal(0, Primary.RequestCount);
    }

    [Fact]
    public async Task Chat_PromptBeyondEveryWindow_IsRefusedEarlyWith400()
    {
        var longText = new string('x', 8000);
        using var r = await Chat($$"""{"model":"alone","messages":[{"role":"user","content":"{{longText}}"}]}""");
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
        Assert.Equal("context_length_exceeded", doc.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(0, Primary.RequestCount);
    }

    [Fact]
    public async Task Chat_ToolsToADeploymentWithoutTools_IsRefusedNamingTheCapability()
    {
        using var r = await Chat(Body("plain", ""","tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}]"""));
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        var text = await r.Content.ReadAsStringAsync();
        Assert.Contains("no capability: tools", text, StringComparison.Ordinal);
        Assert.Equal(0, Secondary.RequestCount);
    }

    [Fact]
    public async Task Chat_ClientFallbackList_IsWalkedAfterTheAlias()
    {
        Primary.Enqueue(UpstreamBehavior.ServerError(), UpstreamBehavior.ServerError());
        using var r = await Chat(Body("alone", ""","models":["other"]"""));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("b", r.Headers.GetValues("x-switchyard-deployment").Single());
        Assert.Equal("server_error", r.Headers.GetValues("x-switchyard-fallback-reason").Single());
    }

    [Fact]
    public async Task Chat_ClientOptsOutOfFallback_GetsThePrimaryError()
    {
        // Both deployments fail, so whichever the weighted choice makes intended fails; without the opt-out the
        // request would go on to the other one. Default policy: one retry on the same deployment.
        foreach (var fake in new[] { Primary, Secondary })
        {
            fake.SetDefault(UpstreamBehavior.ServerError());
        }

        using var r = await Chat(Body("big"), ("x-switchyard-fallback", "none"));

        Assert.Equal(HttpStatusCode.InternalServerError, r.StatusCode);
        Assert.Equal("2", r.Headers.GetValues("x-switchyard-attempts").Single());
        Assert.True(Primary.RequestCount == 0 || Secondary.RequestCount == 0, "only the intended deployment may be tried");
        Assert.Equal(2, Primary.RequestCount + Secondary.RequestCount);
    }

    [Fact]
    public async Task Chat_WithoutOptOut_FallsBackToTheOtherDeployment()
    {
        foreach (var fake in new[] { Primary, Secondary })
        {
            fake.SetDefault(UpstreamBehavior.ServerError());
        }

        using var r = await Chat(Body("big"));

        Assert.True(Primary.RequestCount > 0 && Secondary.RequestCount > 0, "both deployments are tried");
    }

    [Fact]
    public async Task Chat_UnknownClientFallback_Is404NamingTheEntry()
    {
        using var r = await Chat(Body("alone", ""","models":["nope"]"""));
        Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
        using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
        Assert.Equal("models[0]", doc.RootElement.GetProperty("error").GetProperty("param").GetString());
    }

    [Fact]
    public async Task Chat_InvalidTimeoutHeader_Is400()
    {
        using var r = await Chat(Body("alone"), ("x-switchyard-timeout", "soon"));
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Equal(0, Primary.RequestCount);
    }

    [Fact]
    public async Task Chat_ClientDeadlineShorterThanUpstream_Is504()
    {
        Primary.Enqueue(UpstreamBehavior.Delay(TimeSpan.FromSeconds(5)));
        using var r = await Chat(Body("alone"), ("x-switchyard-timeout", "200ms"));
        Assert.Equal(HttpStatusCode.GatewayTimeout, r.StatusCode);
    }

    [Fact]
    public async Task Models_ShowCapabilities()
    {
        using var r = await http.GetAsync("/v1/models/plain");
        using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
        var caps = doc.RootElement.GetProperty("capabilities");
        Assert.False(caps.GetProperty("tools").GetBoolean());
        Assert.True(caps.GetProperty("vision").GetBoolean());
    }

    public async Task DisposeAsync()
    {
        http.Dispose();
        await h.DisposeAsync();
    }
}
