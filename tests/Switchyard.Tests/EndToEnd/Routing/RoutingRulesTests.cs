using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Switchyard.Tests.TestKit;

namespace Switchyard.Tests.EndToEnd.Routing;

/// <summary>
/// Routing and fallback do what the config says (issue #9): a context overflow only moves to a larger
/// window, the fallback reason is reported only when something fell back, the hedge cap is a share of the
/// alias's own requests, breakers are set per deployment (or off), a retry that meets an open circuit is
/// decided and said, and the upstream's Retry-After reaches the client. Each test failed on the old code.
/// </summary>
public sealed class RoutingRulesTests
{
    private const string Auth = """
        auth:
          keys:
            - { id: app, hash: "{{APP_HASH}}" }
            - { id: ops, hash: "{{OPS_HASH}}", role: operator }

        """;

    private static string Providers(int count) => Auth + "providers:\n" + string.Concat(Enumerable.Range(0, count).Select(i =>
        $"  p{i}: {{ kind: openai-compatible, base_url: \"{{{{FAKE{i}}}}}\", api_key: \"${{UP_KEY}}\" }}\n"));

    private const string WindowsYaml = """
        deployments:
          a: { provider: p0, model: model-a, context_window: 200000 }
          b: { provider: p1, model: model-b, context_window: 32000 }
          c: { provider: p2, model: model-c, context_window: 2000000 }
        models:
          long:
            deployments: [{ deployment: a, priority: 0 }, { deployment: b, priority: 1 }, { deployment: c, priority: 2 }]
          no-larger:
            deployments: [{ deployment: a, priority: 0 }, { deployment: b, priority: 1 }]
        """;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ContextOverflow_SkipsTheSmallerWindow_AndGoesToTheLargerOne(bool stream)
    {
        await using var h = await GatewayHarness.StartAsync(Providers(3) + WindowsYaml, fakes: 3);
        h.Fakes[0].Enqueue(UpstreamBehavior.ContextLengthExceeded());

        using var r = await h.PostChatAsync(Chat("long", stream));
        await r.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("c", Wire.Header(r, "x-switchyard-deployment"));
        Assert.Equal("context_window", Wire.Header(r, "x-switchyard-fallback-reason"));
        Assert.Equal(0, h.Fakes[1].RequestCount); // b's window (32k) is smaller than a's (200k): never tried
    }

    [Fact]
    public async Task ContextOverflow_NoLargerWindowLeft_TheErrorSaysSo()
    {
        await using var h = await GatewayHarness.StartAsync(Providers(3) + WindowsYaml, fakes: 3);
        h.Fakes[0].Enqueue(UpstreamBehavior.ContextLengthExceeded());

        using var r = await h.PostChatAsync(Chat("no-larger"));
        var error = JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("error");

        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Equal("context_length_exceeded", error.GetProperty("code").GetString());
        Assert.Contains("no later deployment of the plan has a larger context window than 'a' (200000 tokens)", error.GetProperty("message").GetString());
        Assert.Contains("b (32000 tokens)", error.GetProperty("message").GetString());
        Assert.Equal(0, h.Fakes[1].RequestCount);
    }

    [Fact]
    public async Task Explain_ShowsWhereAContextOverflowGoes()
    {
        await using var h = await GatewayHarness.StartAsync(Providers(3) + WindowsYaml, fakes: 3);
        using var r = await h.Http.SendAsync(h.Post("/v1/route/explain", Chat("long"), GatewayHarness.OperatorKey));
        var plan = JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("plan");

        Assert.Equal(["c"], plan[0].GetProperty("on_context_overflow").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["c"], plan[1].GetProperty("on_context_overflow").EnumerateArray().Select(e => e.GetString()));
        Assert.Empty(plan[2].GetProperty("on_context_overflow").EnumerateArray());
        Assert.Equal(200000, plan[0].GetProperty("context_window").GetInt32());
    }

    [Fact]
    public async Task ClientError_NothingFellBack_NoFallbackReason()
    {
        await using var h = await GatewayHarness.StartAsync();
        h.A.Enqueue(UpstreamBehavior.BadRequest());

        using var r = await h.PostChatAsync(Chat("chat"));

        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Equal("1", Wire.Header(r, "x-switchyard-attempts"));
        Assert.False(r.Headers.Contains("x-switchyard-fallback-reason"));
        var record = await h.UsageAsync(Wire.Header(r, "x-request-id")!);
        Assert.Null(record.FallbackReason);
    }

    private const string HedgeYaml = """
        deployments:
          slow-d: { provider: p0, model: slow-model }
          fast-d: { provider: p1, model: fast-model }
        models:
          all:
            deployments: [{ deployment: slow-d, priority: 0 }, { deployment: fast-d, priority: 1 }]
            hedge: { delay: 20ms, max_share: 100% }
          tenth:
            deployments: [{ deployment: slow-d, priority: 0 }, { deployment: fast-d, priority: 1 }]
            hedge: { delay: 20ms, max_share: 10% }
        """;

    [Fact]
    public async Task Hedging_FullShare_EveryRequestPastTheDelayHedges()
    {
        await using var h = await GatewayHarness.StartAsync(Providers(2) + HedgeYaml, fakes: 2);
        h.Fakes[0].SetDefault(UpstreamBehavior.Delay(TimeSpan.FromSeconds(30)));

        for (var i = 0; i < 5; i++)
        {
            using var r = await h.PostChatAsync(Chat("all"));
            Assert.Equal("fast-d", Wire.Header(r, "x-switchyard-deployment"));
            Assert.Equal("true", Wire.Header(r, "x-switchyard-hedged"));
        }
    }

    [Fact]
    public async Task Hedging_TenPercent_OneInTenHedges_AndExplainSaysWhoIsNext()
    {
        await using var h = await GatewayHarness.StartAsync(Providers(2) + HedgeYaml, fakes: 2);
        h.Fakes[0].SetDefault(UpstreamBehavior.Delay(TimeSpan.FromMilliseconds(300), UpstreamBehavior.Text("slow but fine")));

        var hedged = new List<bool>();
        for (var i = 0; i < 10; i++)
        {
            using var r = await h.PostChatAsync(Chat("tenth"));
            await r.Content.ReadAsStringAsync();
            hedged.Add(r.Headers.Contains("x-switchyard-hedged"));
        }

        using var explain = await h.Http.SendAsync(h.Post("/v1/route/explain", Chat("tenth"), GatewayHarness.OperatorKey));
        var hedge = JsonDocument.Parse(await explain.Content.ReadAsStringAsync()).RootElement.GetProperty("hedge");

        Assert.Equal([true, false, false, false, false, false, false, false, false, false], hedged);
        Assert.Equal("fast-d", hedge.GetProperty("races").GetString());
        Assert.Equal(10, hedge.GetProperty("recent_slow_requests").GetInt32());
        Assert.Equal(1, hedge.GetProperty("recent_hedges").GetInt32());
        Assert.True(hedge.GetProperty("next_slow_request_hedges").GetBoolean()); // the eleventh may
    }

    private const string BreakerYaml = """
        deployments:
          fragile: { provider: p0, model: m, circuit_breaker: { min_requests: 2, failure_ratio: 100%, break_for: 10m } }
          steady: { provider: p1, model: m, circuit_breaker: off }
        models:
          fragile-only: { deployments: [fragile], retry: { max_retries: 0 } }
          steady-only: { deployments: [steady], retry: { max_retries: 0 } }
        """;

    [Fact]
    public async Task Breakers_PerDeployment_SensitiveOpensOffNeverDoes()
    {
        await using var h = await GatewayHarness.StartAsync(Providers(2) + BreakerYaml, fakes: 2);
        h.Fakes[0].SetDefault(UpstreamBehavior.ServerError());
        h.Fakes[1].SetDefault(UpstreamBehavior.ServerError());

        for (var i = 0; i < 20; i++)
        {
            (await h.PostChatAsync(Chat("fragile-only"))).Dispose();
            (await h.PostChatAsync(Chat("steady-only"))).Dispose();
        }

        Assert.Equal(2, h.Fakes[0].RequestCount);  // opened after its second failure
        Assert.Equal(20, h.Fakes[1].RequestCount); // off: every request still reaches it
    }

    [Fact]
    public async Task Breakers_AliasDefaultsThatDisagreeOnASharedDeployment_AreRefused()
    {
        var yaml = Providers(1) + """
            deployments:
              shared: { provider: p0, model: m }
            models:
              one: { deployments: [shared], circuit_breaker: off }
              two: { deployments: [shared], circuit_breaker: { min_requests: 3 } }
            """;
        await using var h = await GatewayHarness.StartFakesOnlyAsync(1);
        var ex = await Assert.ThrowsAsync<Switchyard.Hosting.ConfigurationRejectedException>(() => Switchyard.Hosting.GatewayApp.StartAsync(h.Options(yaml, false)));
        Assert.Contains(ex.Errors, e => e.Path == "models.two.circuit_breaker" && e.Message.Contains("deployments.shared.circuit_breaker", StringComparison.Ordinal));
    }

    private const string RetryYaml = """
        deployments:
          d: { provider: p0, model: m, circuit_breaker: { min_requests: 1, failure_ratio: 100%, break_for: 10m } }
          backup: { provider: p1, model: m, circuit_breaker: off }
        models:
          alone: { deployments: [d], retry: { max_retries: 3, base_delay: 1ms, max_delay: 5ms } }
          backed: { deployments: [d], fallbacks: [backup], retry: { max_retries: 3, base_delay: 1ms, max_delay: 5ms } }
        """;

    [Fact]
    public async Task RetryMeetsOpenCircuit_NoFallback_FailsNowAndSaysWhy()
    {
        await using var h = await GatewayHarness.StartAsync(Providers(2) + RetryYaml, fakes: 2);
        h.Fakes[0].SetDefault(UpstreamBehavior.ServerError());

        using var r = await h.PostChatAsync(Chat("alone"));
        var error = JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
        var record = await h.UsageAsync(Wire.Header(r, "x-request-id")!);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, r.StatusCode);
        Assert.Equal("circuit_open", error.GetProperty("code").GetString());
        Assert.Contains("circuit breaker is open", error.GetProperty("message").GetString());
        Assert.Contains("server_error", error.GetProperty("message").GetString()); // what opened it
        Assert.NotNull(r.Headers.RetryAfter);
        Assert.Equal(1, h.Fakes[0].RequestCount);
        Assert.Equal("circuit_open", record.ErrorKind);
        Assert.Equal("d:server_error", string.Join(",", record.AttemptLog!.Split(',').Take(1).Select(a => string.Join(':', a.Split(':').Take(2)))));
        Assert.Contains("d:circuit_open", record.AttemptLog);
    }

    [Fact]
    public async Task RetryMeetsOpenCircuit_WithFallback_Switches()
    {
        await using var h = await GatewayHarness.StartAsync(Providers(2) + RetryYaml, fakes: 2);
        h.Fakes[0].SetDefault(UpstreamBehavior.ServerError());

        using var r = await h.PostChatAsync(Chat("backed"));

        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("backup", Wire.Header(r, "x-switchyard-deployment"));
        Assert.Equal("server_error", Wire.Header(r, "x-switchyard-fallback-reason"));
    }

    [Fact]
    public async Task GivingUpOn503WithRetryAfter_TheClientGetsIt()
    {
        var yaml = Providers(1) + """
            deployments:
              d: { provider: p0, model: m }
            models:
              m: { deployments: [d], retry: { max_retries: 1, base_delay: 1ms, max_delay: 50ms } }
            """;
        await using var h = await GatewayHarness.StartAsync(yaml, fakes: 1);
        h.Fakes[0].SetDefault(new ErrorBehavior(StatusCodes.Status503ServiceUnavailable, "The server is overloaded or not ready yet.",
            "service_unavailable_error", null, "server_is_overloaded")
        {
            Headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["Retry-After"] = "7" },
        });

        using var r = await h.PostChatAsync(Chat("m"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, r.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(7), r.Headers.RetryAfter?.Delta);
        Assert.Equal("7000", Wire.Header(r, "retry-after-ms"));
    }

    private static string Chat(string model, bool stream = false) =>
        $$"""{"model":"{{model}}","stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"hi"}]}""";

    [Theory]
    [InlineData("""{"model":"solo","messages":[{"role":"user","content":"hi"}],"models":["only-b"]}""")]
    [InlineData("""{"models":["only-b"],"model":"solo","messages":[{"role":"user","content":"hi"}]}""")]
    [InlineData("""{ "model" : "solo" ,  "models" : [ "only-b" ] , "stream":false, "messages":[{"role":"user","content":"hi"}]}""")]
    public async Task ClientFallbackList_IsNeverForwarded_AndItsModelsAreTried(string body)
    {
        await using var h = await GatewayHarness.StartAsync();
        h.A.Enqueue(UpstreamBehavior.ServerError(), UpstreamBehavior.ServerError()); // solo (dep-a) fails, retry included

        using var r = await h.PostChatAsync(body);

        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("dep-b", Wire.Header(r, "x-switchyard-deployment"));
        foreach (var sent in h.A.Requests.Concat(h.B.Requests))
        {
            using var doc = JsonDocument.Parse(sent.Body);
            Assert.False(doc.RootElement.TryGetProperty("models", out _), "the gateway-only 'models' reached a provider: " + sent.Body);
        }
    }

    [Theory]
    [InlineData("""{"model":"solo","model":"only-b","messages":[{"role":"user","content":"hi"}]}""", "model")]
    [InlineData("""{"model":"solo","stream":false,"stream":true,"messages":[{"role":"user","content":"hi"}]}""", "stream")]
    [InlineData("""{"model":"solo","models":["a"],"models":["b"],"messages":[{"role":"user","content":"hi"}]}""", "models")]
    public async Task DuplicateRoutingField_Is400_NothingSent(string body, string field)
    {
        await using var h = await GatewayHarness.StartAsync();

        using var r = await h.PostChatAsync(body);
        var error = JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("error");

        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Equal("duplicate_field", error.GetProperty("code").GetString());
        Assert.Equal(field, error.GetProperty("param").GetString());
        Assert.Equal(0, h.A.RequestCount + h.B.RequestCount);
    }

    [Fact]
    public async Task DuplicateModel_InAnthropicAndResponsesBodies_Is400()
    {
        await using var h = await GatewayHarness.StartAsync();
        using var messages = h.Post("/v1/messages", """{"model":"solo","model":"only-b","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}""");
        messages.Headers.Add("anthropic-version", "2023-06-01");
        using var a = await h.SendAsync(messages);
        using var b = await h.SendAsync(h.Post("/v1/responses", """{"model":"solo","input":"hi","model":"only-b"}"""));

        Assert.Equal(HttpStatusCode.BadRequest, a.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, b.StatusCode);
        Assert.Contains("duplicate_field", await b.Content.ReadAsStringAsync());
        Assert.Equal(0, h.A.RequestCount + h.B.RequestCount);
    }
}
