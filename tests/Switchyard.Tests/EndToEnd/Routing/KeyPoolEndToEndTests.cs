using System.Net;
using System.Text.Json.Nodes;
using Switchyard.Auth;
using Switchyard.Tests.TestKit;
using Switchyard.Tests.TestKit.Anthropic;

namespace Switchyard.Tests.EndToEnd.Routing;

/// <summary>
/// Provider key pools through the real gateway: a key the upstream refuses (429, 401) is swapped for the next
/// one on the same deployment, skipped while it cools down, used again afterwards, and never shown.
/// Every test uses keys of its own, so the process-wide cooldown registry cannot leak state between tests.
/// </summary>
public sealed class KeyPoolEndToEndTests
{
    private const string Yaml = GatewayHarness.Preamble + """
          pooled:
            kind: openai-compatible
            base_url: "{{FAKE0}}"
            api_keys: ["${POOL_KEY_1}", "${POOL_KEY_2}"]
          short:
            kind: openai-compatible
            base_url: "{{FAKE0}}"
            api_key_env: [POOL_KEY_1, POOL_KEY_2]
            key_cooldown: { rate_limited: 200ms, auth: 200ms }
        deployments:
          dep-p: { provider: pooled, model: pooled-model }
          dep-s: { provider: short, model: short-model }
          dep-b: { provider: up-b, model: upstream-model-b }
        models:
          pooled:
            deployments: [dep-p]
            fallbacks: [dep-b]
            retry: { max_retries: 1, base_delay: 1ms, max_delay: 50ms }
          pooled-alone:
            deployments: [dep-p]
            retry: { max_retries: 1, base_delay: 1ms, max_delay: 50ms }
          short:
            deployments: [dep-s]
            fallbacks: [dep-b]
            retry: { max_retries: 1, base_delay: 1ms, max_delay: 50ms }
        """;

    private readonly string key1 = $"sk-pool-{Guid.NewGuid():N}-one";
    private readonly string key2 = $"sk-pool-{Guid.NewGuid():N}-two";

    private Task<GatewayHarness> StartAsync() =>
        GatewayHarness.StartAsync(Yaml, env: new Dictionary<string, string> { ["POOL_KEY_1"] = key1, ["POOL_KEY_2"] = key2 });

    private static List<string?> Tokens(FakeOpenAIUpstream fake) => [.. fake.Requests.Select(r => r.BearerToken)];

    [Fact]
    public async Task PostChat_KeyRateLimited_RetriesWithTheOtherKeyOnTheSameDeploymentAndSkipsItAfterwards()
    {
        await using var h = await StartAsync();
        // Retry-After 30 s is far beyond max_delay (50 ms): were it applied to the deployment, the gateway would
        // switch to dep-b. It is about key 1 only, so key 2 is tried at once.
        h.A.Enqueue(UpstreamBehavior.RateLimited(TimeSpan.FromSeconds(30)), UpstreamBehavior.Text("served with key two"));

        using var response = await h.PostChatAsync(Wire.ChatJson("pooled"));
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("served with key two", body);
        Assert.Equal("dep-p", Wire.Header(response, "x-switchyard-deployment"));
        Assert.Equal("2", Wire.Header(response, "x-switchyard-attempts"));
        Assert.Equal("rate_limited", Wire.Header(response, "x-switchyard-fallback-reason"));
        Assert.Equal([key1, key2], Tokens(h.A));
        Assert.Equal(0, h.B.RequestCount);

        // Key 1 cools for 60 s (the default, longer than its Retry-After): the next requests all go out with key 2.
        for (var i = 0; i < 2; i++)
        {
            using var next = await h.PostChatAsync(Wire.ChatJson("pooled"));
            Assert.Equal(HttpStatusCode.OK, next.StatusCode);
            Assert.Equal("1", Wire.Header(next, "x-switchyard-attempts"));
        }

        Assert.Equal([key1, key2, key2, key2], Tokens(h.A));

        var keys = await PoolOfAsync(h, "dep-p");
        Assert.Equal(2, (int)keys["count"]!);
        Assert.Equal(1, (int)keys["available"]!);
        Assert.Equal(1, (int)keys["cooling_down"]!);
        var first = keys["pool"]![0]!;
        Assert.Equal("cooling_down", (string)first["state"]!);
        Assert.Equal("rate_limited", (string)first["reason"]!);
        Assert.InRange((double)first["cooldown_remaining_ms"]!, 1, 60_000);
        Assert.Equal("available", (string)keys["pool"]![1]!["state"]!);
    }

    [Fact]
    public async Task PostChat_KeyRefused_RetriesWithTheOtherKeyInsteadOfSwitchingDeployment()
    {
        await using var h = await StartAsync();
        h.A.Enqueue(UpstreamBehavior.InvalidApiKey(), UpstreamBehavior.Text("served with key two"));

        using var response = await h.PostChatAsync(Wire.ChatJson("pooled"));
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("served with key two", body);
        Assert.Equal("dep-p", Wire.Header(response, "x-switchyard-deployment")); // a refused key alone would switch to dep-b
        Assert.Equal("transient", Wire.Header(response, "x-switchyard-fallback-reason"));
        Assert.Equal([key1, key2], Tokens(h.A));
        Assert.Equal(0, h.B.RequestCount);

        var record = await h.UsageAsync(Wire.Header(response, "x-request-id")!);
        Assert.Equal("dep-p", record.FinalDeployment);
        Assert.Equal(2, record.Attempts);

        // Key 1 is out for 5 minutes.
        for (var i = 0; i < 3; i++)
        {
            using var next = await h.PostChatAsync(Wire.ChatJson("pooled"));
            Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        }

        Assert.Equal([key1, key2, key2, key2, key2], Tokens(h.A));
        var keys = await PoolOfAsync(h, "dep-p");
        Assert.Equal("auth", (string)keys["pool"]![0]!["reason"]!);
        Assert.InRange((double)keys["pool"]![0]!["cooldown_remaining_ms"]!, 60_000, 300_000);
    }

    [Fact]
    public async Task PostChat_EveryKeyRefused_FallsBackToTheNextDeploymentAsBefore()
    {
        await using var h = await StartAsync();
        h.A.SetDefault(UpstreamBehavior.InvalidApiKey());
        h.B.Enqueue(UpstreamBehavior.Text("served by B"));

        using var response = await h.PostChatAsync(Wire.ChatJson("pooled"));
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("served by B", body);
        Assert.Equal("dep-b", Wire.Header(response, "x-switchyard-deployment"));
        Assert.Equal("3", Wire.Header(response, "x-switchyard-attempts"));
        Assert.Equal([key1, key2], Tokens(h.A));
        Assert.Equal(GatewayHarness.ProviderKey, Assert.Single(h.B.Requests).BearerToken);
    }

    [Fact]
    public async Task PostChat_EveryKeyRefusedAndNoFallback_Is502WithoutAnyKeyInTheAnswer()
    {
        await using var h = await StartAsync();
        h.A.SetDefault(UpstreamBehavior.InvalidApiKey());

        using var response = await h.PostChatAsync(Wire.ChatJson("pooled-alone"));

        var error = await Wire.AssertOpenAIErrorAsync(response, 502, code: "upstream_auth_failed");
        Assert.Equal([key1, key2], Tokens(h.A));
        var text = error.ToJsonString();
        Assert.DoesNotContain(key1, text);
        Assert.DoesNotContain(key2, text);
        Assert.DoesNotContain("Incorrect API key", text);

        // Both keys are cooling now; the next request still goes out (with the key that is back first) rather than failing unsent.
        using var again = await h.PostChatAsync(Wire.ChatJson("pooled-alone"));
        Assert.Equal(HttpStatusCode.BadGateway, again.StatusCode);
        Assert.Equal(key1, h.A.Requests[2].BearerToken);
    }

    [Fact]
    public async Task PostChat_CooldownOver_TheKeyIsUsedAgain()
    {
        await using var h = await StartAsync();
        h.A.Enqueue(UpstreamBehavior.RateLimited(TimeSpan.FromMilliseconds(50)), UpstreamBehavior.Text("two"), UpstreamBehavior.Text("one again"));

        using (var first = await h.PostChatAsync(Wire.ChatJson("short")))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            Assert.Equal("dep-s", Wire.Header(first, "x-switchyard-deployment"));
        }

        // key_cooldown.rate_limited is 200 ms: wait (bounded) until the pool reports both keys available.
        using var deadline = new CancellationTokenSource(GatewayHarness.Bound);
        while ((int)(await PoolOfAsync(h, "dep-s"))["available"]! < 2)
        {
            await Task.Delay(20, deadline.Token);
        }

        using var second = await h.PostChatAsync(Wire.ChatJson("short"));
        Assert.Contains("one again", await second.Content.ReadAsStringAsync());
        Assert.Equal([key1, key2, key1], Tokens(h.A));
    }

    [Fact]
    public async Task PostMessages_TranslatedToAPooledOpenAIDeployment_RotatesTheSameWay()
    {
        await using var h = await StartAsync();
        h.A.Enqueue(UpstreamBehavior.RateLimited(TimeSpan.FromSeconds(30)), UpstreamBehavior.Text("translated with key two"));
        using var request = h.Post("/v1/messages", """{"model":"pooled","max_tokens":50,"messages":[{"role":"user","content":"hi"}]}""");
        request.Headers.Add("anthropic-version", "2023-06-01");

        using var response = await h.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("translated with key two", body);
        Assert.Equal("dep-p", Wire.Header(response, "x-switchyard-deployment"));
        Assert.Equal([key1, key2], Tokens(h.A));
    }

    [Fact]
    public async Task GetDeployments_ShowsThePoolByIndexAndFingerprintOnly()
    {
        await using var h = await StartAsync();

        using var response = await h.Http.SendAsync(Get(h, "/v1/deployments"));
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain(key1, text);
        Assert.DoesNotContain(key2, text);
        Assert.DoesNotContain(GatewayHarness.ProviderKey, text);
        var data = JsonNode.Parse(text)!["data"]!.AsArray();
        var pooled = data.Single(d => (string)d!["deployment"]! == "dep-p")!["keys"]!;
        Assert.Equal(2, (int)pooled["count"]!);
        Assert.Equal(2, (int)pooled["available"]!);
        Assert.Equal(0, (int)pooled["cooling_down"]!);
        Assert.Equal([0, 1], pooled["pool"]!.AsArray().Select(k => (int)k!["index"]!));
        Assert.All(pooled["pool"]!.AsArray(), k => Assert.Matches("^[0-9a-f]{4}$", (string)k!["fingerprint"]!));
        Assert.Equal(1, (int)data.Single(d => (string)d!["deployment"]! == "dep-b")!["keys"]!["count"]!);

        // Explain shows the same pool for each step of the plan.
        using var explain = await h.Http.SendAsync(h.Post("/v1/route/explain", Wire.ChatJson("pooled"), GatewayHarness.OperatorKey));
        var plan = JsonNode.Parse(await explain.Content.ReadAsStringAsync())!["plan"]!.AsArray();
        Assert.Equal(2, (int)plan[0]!["keys"]!["count"]!);
    }

    [Fact]
    public async Task PostMessages_AnthropicUpstreamKeyRefused_RetriesWithTheNextXApiKey()
    {
        await using var anthropic = await FakeAnthropicUpstream.StartAsync();
        var yaml = $$"""
            auth:
              keys:
                - { id: app, hash: {{KeyAuthenticator.FormatHash(GatewayHarness.ClientKey)}} }
                - { id: ops, hash: {{KeyAuthenticator.FormatHash(GatewayHarness.OperatorKey)}}, role: operator }
            providers:
              anth:
                kind: anthropic
                base_url: "{{anthropic.BaseUrl}}"
                api_keys: ["${ANT_KEY_1}", "${ANT_KEY_2}"]
            deployments:
              claude-d: { provider: anth, model: claude-upstream }
            models:
              claude:
                deployments: [claude-d]
                retry: { max_retries: 1, base_delay: 1ms, max_delay: 50ms }
            """;
        await using var h = await GatewayHarness.StartAsync(yaml, fakes: 0, env: new Dictionary<string, string> { ["ANT_KEY_1"] = key1, ["ANT_KEY_2"] = key2 });
        anthropic.Enqueue(AnthropicBehavior.Error(401, "authentication_error", "invalid x-api-key"), AnthropicBehavior.Text("hello from key two"));
        using var request = h.Post("/v1/messages", """{"model":"claude","max_tokens":50,"messages":[{"role":"user","content":"hi"}]}""");
        request.Headers.Add("anthropic-version", "2023-06-01");

        using var response = await h.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("hello from key two", body);
        Assert.Equal([key1, key2], anthropic.Requests.Select(r => r.Header("x-api-key")));
    }

    private static HttpRequestMessage Get(GatewayHarness h, string path)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, h.Url(path));
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", GatewayHarness.OperatorKey);
        return request;
    }

    private static async Task<JsonNode> PoolOfAsync(GatewayHarness h, string deployment)
    {
        using var response = await h.Http.SendAsync(Get(h, "/v1/deployments"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var data = JsonNode.Parse(text)!["data"]!.AsArray();
        return data.Single(d => (string)d!["deployment"]! == deployment)!["keys"]!;
    }
}
