using System.Net;
using System.Text;
using Switchyard.Configuration;
using Switchyard.Dispatch;
using Switchyard.Hosting;
using Switchyard.Tests.TestKit;

namespace Switchyard.Tests.EndToEnd.Routing;

/// <summary>
/// The policy template from the routing-vs-fallback article (shared/seeds/003), loaded from YAML nearly word
/// for word, and checked to behave as written: 5xx retries once on the same deployment and the attempt cap
/// of 2 then stops it; a rate limit switches to the next deployment in the same price tier, skipping a
/// premium one in between; budgets fail closed.
/// </summary>
public sealed class SeedPolicyTemplateTests : IAsyncLifetime
{
    private const string Template = """
        routes:
          support_draft:
            primary_model: low_cost_chat
            fallback:
              on_provider_5xx: retry_once_then_switch_same_price_tier
              on_rate_limit: switch_same_price_tier
              on_budget_exceeded: fail_closed
              max_attempts: 2
            billing:
              owner: customer_api_key
              record_primary_and_final_model: true
        """;

    private const string Deployments = """
        providers:
          p0: { kind: openai-compatible, base_url: "{{FAKE0}}", api_key: "${UP_KEY}" }
          p1: { kind: openai-compatible, base_url: "{{FAKE1}}", api_key: "${UP_KEY}" }
          p2: { kind: openai-compatible, base_url: "{{FAKE2}}", api_key: "${UP_KEY}" }
        deployments:
          cheap-a: { provider: p0, model: small-a, price_tier: economy, price: { input: 0.15, output: 0.6 } }
          premium-x: { provider: p1, model: large-x, price_tier: premium, price: { input: 2.5, output: 10 } }
          cheap-b: { provider: p2, model: small-b, price_tier: economy, price: { input: 0.2, output: 0.8 } }
        models:
          low_cost_chat:
            deployments:
              - { deployment: cheap-a, priority: 0 }
              - { deployment: premium-x, priority: 1 }
              - { deployment: cheap-b, priority: 2 }
            retry: { base_delay: 1ms, max_delay: 5ms }

        """;

    private GatewayHarness h = null!;
    private HttpClient http = null!;

    private FakeOpenAIUpstream CheapA => h.Fakes[0];
    private FakeOpenAIUpstream Premium => h.Fakes[1];
    private FakeOpenAIUpstream CheapB => h.Fakes[2];

    public async Task InitializeAsync()
    {
        h = await GatewayHarness.StartAsync(Deployments + Template, fakes: 3);
        http = new HttpClient { BaseAddress = h.Gateway.BaseAddress };
    }

    private Task<HttpResponseMessage> SupportDraft()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent("""{"model":"support","messages":[{"role":"user","content":"draft a reply"}]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("x-switchyard-route", "support_draft");
        return http.SendAsync(request);
    }

    [Fact]
    public void Template_LoadsWithTheActionsAsWritten()
    {
        var rule = h.Gateway.Router.Current.Config.Routes.Single();
        Assert.Equal("support_draft", rule.Name);
        Assert.Equal("low_cost_chat", rule.PrimaryModel);
        Assert.Equal("customer_api_key", rule.BillingOwner);
        var policy = rule.Policy!;
        Assert.Equal(2, policy.MaxAttempts);
        Assert.Equal(FallbackAction.RetryThenSwitchSameTier, policy.ActionFor(FailureKind.ServerError));
        Assert.Equal(1, policy.RetriesFor(FailureKind.ServerError));
        Assert.Equal(FallbackAction.SwitchSameTier, policy.ActionFor(FailureKind.RateLimited));
        Assert.Equal(FallbackAction.Fail, policy.ActionFor(FailureKind.BudgetExceeded));
    }

    [Fact]
    public async Task RateLimit_SwitchesToTheSamePriceTierSkippingPremium()
    {
        CheapA.Enqueue(UpstreamBehavior.RateLimited(TimeSpan.FromMilliseconds(1)));
        using var r = await SupportDraft();

        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("cheap-b", r.Headers.GetValues("x-switchyard-deployment").Single());
        Assert.Equal("2", r.Headers.GetValues("x-switchyard-attempts").Single());
        Assert.Equal("rate_limited", r.Headers.GetValues("x-switchyard-fallback-reason").Single());
        Assert.Equal(0, Premium.RequestCount);

        var record = await h.UsageAsync(r.Headers.GetValues("x-request-id").Single());
        Assert.Equal("support_draft", record.Route);
        Assert.Equal("cheap-a", record.IntendedDeployment);
        Assert.Equal("cheap-b", record.FinalDeployment);
        Assert.Equal("rate_limited", record.FallbackReason);
        Assert.Matches("^cheap-a:rate_limited:[0-9]+ms,cheap-b:ok:[0-9]+ms$", record.AttemptLog);
    }

    [Fact]
    public async Task ProviderError_RetriesOnceThenTheAttemptCapStops()
    {
        CheapA.Enqueue(UpstreamBehavior.ServerError(), UpstreamBehavior.ServerError());
        using var r = await SupportDraft();

        Assert.Equal(HttpStatusCode.InternalServerError, r.StatusCode);
        Assert.Equal("2", r.Headers.GetValues("x-switchyard-attempts").Single());
        Assert.Equal(2, CheapA.RequestCount);
        Assert.Equal(0, Premium.RequestCount);
        Assert.Equal(0, CheapB.RequestCount);
    }

    [Fact]
    public async Task ProviderErrorOnce_TheRetrySucceedsOnTheSameDeployment()
    {
        CheapA.Enqueue(UpstreamBehavior.ServerError());
        using var r = await SupportDraft();

        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("cheap-a", r.Headers.GetValues("x-switchyard-deployment").Single());
        Assert.Equal("server_error", r.Headers.GetValues("x-switchyard-fallback-reason").Single());
    }

    [Fact]
    public async Task Explain_ShowsTheRouteItsPolicyAndThePlan()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/route/explain")
        {
            Content = new StringContent("""{"model":"support","messages":[{"role":"user","content":"x"}]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("x-switchyard-route", "support_draft");
        using var r = await http.SendAsync(request);
        using var doc = System.Text.Json.JsonDocument.Parse(await r.Content.ReadAsStringAsync());
        var root = doc.RootElement;
        Assert.Equal("support_draft", root.GetProperty("route").GetString());
        Assert.Equal("low_cost_chat", root.GetProperty("model").GetString());
        Assert.Equal(["cheap-a", "premium-x", "cheap-b"], root.GetProperty("plan").EnumerateArray().Select(p => p.GetProperty("deployment").GetString()));
        var on = root.GetProperty("fallback_policy").GetProperty("on");
        Assert.Equal("retry_then_switch_same_price_tier", on.GetProperty("server_error").GetString());
        Assert.Equal("switch_same_price_tier", on.GetProperty("rate_limited").GetString());
        Assert.Equal("fail", on.GetProperty("budget_exceeded").GetString());
        Assert.Equal(2, root.GetProperty("fallback_policy").GetProperty("max_attempts").GetInt32());
        Assert.Equal(0, CheapA.RequestCount + Premium.RequestCount + CheapB.RequestCount); // no provider was called
    }

    [Fact]
    public async Task UnknownRouteHeader_Is400()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent("""{"model":"low_cost_chat","messages":[]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("x-switchyard-route", "billing_summary");
        using var r = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Contains("billing_summary", await r.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    public async Task DisposeAsync()
    {
        http.Dispose();
        await h.DisposeAsync();
    }
}
