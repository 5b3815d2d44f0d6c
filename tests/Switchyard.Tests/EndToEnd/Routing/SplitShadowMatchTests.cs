using System.Net;
using System.Text;
using Switchyard.Hosting;
using Switchyard.Tests.TestKit;

namespace Switchyard.Tests.EndToEnd.Routing;

/// <summary>Conditional routes by request facts, sticky traffic splits and shadow traffic, through the real gateway.</summary>
public sealed class SplitShadowMatchTests : IAsyncLifetime
{
    private const string Yaml = """
        providers:
          s: { kind: openai-compatible, base_url: "{{FAKE0}}", api_key: "${UP_KEY}" }
          c: { kind: openai-compatible, base_url: "{{FAKE1}}", api_key: "${UP_KEY}" }
        deployments:
          stable-d: { provider: s, model: stable-model }
          canary-d: { provider: c, model: canary-model }
        models:
          chat-stable: stable-d
          chat-canary: canary-d
        routes:
          tools_to_canary:
            match: { has_tools: true, model: chat }
            primary_model: chat-canary
          by_metadata:
            match: { metadata: { feature: support } }
            primary_model: chat-stable
            shadow: { model: chat-canary, percent: 100 }
          canary_release:
            match: { model: chat }
            split:
              - { model: chat-stable, percent: 70 }
              - { model: chat-canary, percent: 30 }
            sticky: key
        """;

    private GatewayHarness h = null!;
    private HttpClient http = null!;

    private FakeOpenAIUpstream Canary => h.Fakes[1];

    public async Task InitializeAsync()
    {
        // 40 client keys "sk-0".."sk-39", so the split's stickiness can be seen per key.
        var keys = string.Concat(Enumerable.Range(0, 40).Select(i => $"    - {{ id: k{i}, hash: \"{Switchyard.Auth.KeyAuthenticator.FormatHash("sk-" + i)}\" }}\n"));
        h = await GatewayHarness.StartAsync("auth:\n  keys:\n" + keys + Yaml, fakes: 2);
        http = new HttpClient { BaseAddress = h.Gateway.BaseAddress };
    }

    private async Task<string> Served(string key, string body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("Authorization", "Bearer " + key);
        using var r = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        return r.Headers.GetValues("x-switchyard-deployment").Single();
    }

    private const string Plain = """{"model":"chat","messages":[{"role":"user","content":"hi"}]}""";

    [Fact]
    public async Task Split_IsStickyPerKeyAndRoughlyProportional()
    {
        var arms = new Dictionary<string, string>();
        for (var i = 0; i < 40; i++)
        {
            arms[$"sk-{i}"] = await Served($"sk-{i}", Plain);
        }

        // Same key, same arm, every time.
        for (var i = 0; i < 40; i += 7)
        {
            Assert.Equal(arms[$"sk-{i}"], await Served($"sk-{i}", Plain));
        }

        var canaryShare = arms.Values.Count(v => v == "canary-d") / 40.0;
        Assert.InRange(canaryShare, 0.05, 0.6); // 30% expected; 40 keys keep the bound loose but meaningful
        Assert.Contains("stable-d", arms.Values);
        Assert.Contains("canary-d", arms.Values);
    }

    [Fact]
    public async Task Match_HasTools_RoutesToTheToolRoute()
    {
        var served = await Served("sk-1", """{"model":"chat","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}]}""");
        Assert.Equal("canary-d", served);
    }

    [Fact]
    public async Task Shadow_CopiesTheRequestButTheClientSeesOnlyThePrimary()
    {
        var served = await Served("sk-2", """{"model":"anything","metadata":{"feature":"support"},"messages":[{"role":"user","content":"shadow me"}]}""");
        Assert.Equal("stable-d", served);
        await Canary.WaitForRequestsAsync(1, TimeSpan.FromSeconds(10));
        Assert.Equal("canary-model", Canary.Requests.Last().Model);

        // Recorded separately, as route "by_metadata/shadow".
        var shadow = await h.UsageWhereAsync(u => u.Route == "by_metadata/shadow", "the shadow copy");
        Assert.Equal("canary-d", shadow.FinalDeployment);
        Assert.Equal(200, shadow.Status);
    }

    public async Task DisposeAsync()
    {
        http.Dispose();
        await h.DisposeAsync();
    }
}
