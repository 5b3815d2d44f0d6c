using System.Net;
using System.Net.Http.Headers;
using Switchyard.Tests.EndToEnd;
using Switchyard.Tests.TestKit;

namespace Switchyard.Tests.Observability;

/// <summary>
/// <c>GET /metrics</c>: Prometheus text that parses under the format's rules, the GenAI metrics with their labels after
/// real requests through a fake upstream, the gateway's own (requests, attempts, fallbacks, circuit state per
/// deployment, cost), the operator role on the main listener and no key on the separate one. Other gateways of the
/// test run share the process (and the meter's name), so assertions pick this test's series by its own alias names.
/// </summary>
[Collection(ScrapeCollection.Name)]
public sealed class MetricsEndpointTests
{
    /// <summary>Aliases named for this class only, so series of gateways in parallel tests cannot match.</summary>
    private const string Yaml = GatewayHarness.Preamble + """
        deployments:
          m-dep-a: { provider: up-a, model: upstream-model-a }
          m-dep-b: { provider: up-b, model: upstream-model-b }
        models:
          metrics-chat:
            deployments: [m-dep-a]
            fallbacks: [m-dep-b]
            retry: { max_retries: 0 }
          metrics-retry:
            deployments: [m-dep-a]
            retry: { max_retries: 1, base_delay: 1ms, max_delay: 5ms }
          metrics-hedged:
            deployments:
              - { deployment: m-dep-a, priority: 0 }
              - { deployment: m-dep-b, priority: 1 }
            hedge: { delay: 100ms, max_share: 100% }
          metrics-solo: m-dep-a
        """;

    [Fact]
    public async Task Metrics_AfterChatRequest_GenAiMetricsWithTheirLabels()
    {
        await using var h = await GatewayHarness.StartAsync(Yaml);
        using var chat = await h.PostChatAsync(Wire.ChatJson("metrics-solo"));
        Assert.Equal(HttpStatusCode.OK, chat.StatusCode);
        await h.UsageAsync(GatewayHarness.RecordId(chat));

        var metrics = await ScrapeAsync(h);

        var input = Single(metrics, "gen_ai_client_token_usage", "histogram", s => s.Name.EndsWith("_sum", StringComparison.Ordinal)
            && s["switchyard_alias"] == "metrics-solo" && s["gen_ai_token_type"] == "input");
        Assert.Equal("chat", input["gen_ai_operation_name"]);
        Assert.Equal("openai-compatible", input["gen_ai_provider_name"]);
        Assert.Equal("upstream-model-a", input["gen_ai_request_model"]);
        Assert.Equal("upstream-model-a", input["gen_ai_response_model"]);
        Assert.Equal("m-dep-a", input["switchyard_deployment"]);
        Assert.Equal(FakeUsage.Default.PromptTokens, input.Value);
        Assert.Equal(FakeUsage.Default.CompletionTokens, Single(metrics, "gen_ai_client_token_usage", "histogram",
            s => s.Name.EndsWith("_sum", StringComparison.Ordinal) && s["switchyard_alias"] == "metrics-solo" && s["gen_ai_token_type"] == "output").Value);

        var served = Single(metrics, "gen_ai_server_request_duration_seconds", "histogram",
            s => s.Name.EndsWith("_count", StringComparison.Ordinal) && s["gen_ai_request_model"] == "metrics-solo");
        Assert.Equal(1, served.Value);
        Assert.Null(served["error_type"]);
        Assert.Equal("upstream-model-a", served["gen_ai_response_model"]);
        Assert.Equal(1, Single(metrics, "gen_ai_client_operation_duration_seconds", "histogram",
            s => s.Name.EndsWith("_count", StringComparison.Ordinal) && s["switchyard_deployment"] == "m-dep-a").Value);

        var requests = Single(metrics, "switchyard_requests_total", "counter", s => s["switchyard_alias"] == "metrics-solo");
        Assert.Equal(("m-dep-a", "200", "chat.completions"), (requests["switchyard_deployment"], requests["http_response_status_code"], requests["switchyard_operation"]));
        Assert.Equal(1, requests.Value);
        Assert.Equal(1, Single(metrics, "switchyard_upstream_attempts_total", "counter",
            s => s["switchyard_deployment"] == "m-dep-a" && s["switchyard_outcome"] == "ok").Value);
        Assert.Equal(0, Single(metrics, "switchyard_cost_usd_total", "counter", s => s["switchyard_alias"] == "metrics-solo" && s["switchyard_key_id"] == "app").Value);
        Assert.True(Single(metrics, "switchyard_gateway_overhead_seconds", "histogram", s => s.Name.EndsWith("_count", StringComparison.Ordinal)
            && s["switchyard_operation"] == "chat.completions" && s["switchyard_stream"] == "false").Value >= 1); // other gateways of the run count too
    }

    [Fact]
    public async Task Metrics_StreamedAnswer_TimeToFirstTokenRecorded()
    {
        await using var h = await GatewayHarness.StartAsync(Yaml);
        using var chat = await h.PostChatAsync(Wire.ChatJson("metrics-solo", stream: true));
        Assert.Contains("[DONE]", await chat.Content.ReadAsStringAsync());
        await h.UsageAsync(GatewayHarness.RecordId(chat));

        var metrics = await ScrapeAsync(h);

        var ttft = Single(metrics, "gen_ai_server_time_to_first_token_seconds", "histogram",
            s => s.Name.EndsWith("_count", StringComparison.Ordinal) && s["gen_ai_request_model"] == "metrics-solo");
        Assert.Equal(1, ttft.Value);
        Assert.Equal("openai-compatible", ttft["gen_ai_provider_name"]);
    }

    [Fact]
    public async Task Metrics_CircuitStatePerDeployment_OneStateSetForEach()
    {
        await using var h = await GatewayHarness.StartAsync(Yaml);

        var metrics = await ScrapeAsync(h);

        foreach (var deployment in new[] { "m-dep-a", "m-dep-b" })
        {
            var states = metrics["switchyard_circuit_state"].Samples.Where(s => s["switchyard_deployment"] == deployment).ToList();
            Assert.Equal(["closed", "half_open", "open"], states.Select(s => s["switchyard_circuit_state"]).Order(StringComparer.Ordinal));
            Assert.Equal(1, states.Single(s => s["switchyard_circuit_state"] == "closed").Value);
            Assert.Equal(0, states.Where(s => s["switchyard_circuit_state"] != "closed").Sum(s => s.Value));
        }

        Assert.Equal("gauge", metrics["switchyard_circuit_state"].Type);
        Assert.Contains(metrics["switchyard_usage_journal_backlog_bytes"].Samples, s => s.Value >= 0);
    }

    [Fact]
    public async Task Metrics_Fallback_CountedByTheDeploymentLeftAndTheReason()
    {
        await using var h = await GatewayHarness.StartAsync(Yaml);
        h.A.SetDefault(UpstreamBehavior.ServerError());
        using var chat = await h.PostChatAsync(Wire.ChatJson("metrics-chat"));
        Assert.Equal(HttpStatusCode.OK, chat.StatusCode);
        await h.UsageAsync(GatewayHarness.RecordId(chat));

        var metrics = await ScrapeAsync(h);

        Assert.Equal(1, Single(metrics, "switchyard_fallbacks_total", "counter",
            s => s["switchyard_deployment"] == "m-dep-a" && s["switchyard_reason"] == "server_error").Value);
        Assert.Equal(1, Single(metrics, "switchyard_upstream_attempts_total", "counter",
            s => s["switchyard_deployment"] == "m-dep-a" && s["switchyard_outcome"] == "server_error").Value);
        var failed = Single(metrics, "gen_ai_client_operation_duration_seconds", "histogram",
            s => s.Name.EndsWith("_count", StringComparison.Ordinal) && s["switchyard_deployment"] == "m-dep-a");
        Assert.Equal("server_error", failed["error_type"]);
        Assert.Null(failed["gen_ai_response_model"]);
        Assert.Equal("m-dep-b", Single(metrics, "switchyard_requests_total", "counter", s => s["switchyard_alias"] == "metrics-chat")["switchyard_deployment"]);
    }

    [Fact]
    public async Task Metrics_RetryOnTheSameDeployment_CountedByReason()
    {
        await using var h = await GatewayHarness.StartAsync(Yaml);
        h.A.Enqueue(UpstreamBehavior.RateLimited(TimeSpan.FromMilliseconds(1)), UpstreamBehavior.Text());
        using var chat = await h.PostChatAsync(Wire.ChatJson("metrics-retry"));
        Assert.Equal(HttpStatusCode.OK, chat.StatusCode);
        await h.UsageAsync(GatewayHarness.RecordId(chat));

        var metrics = await ScrapeAsync(h);

        Assert.Equal(1, Single(metrics, "switchyard_retries_total", "counter",
            s => s["switchyard_deployment"] == "m-dep-a" && s["switchyard_reason"] == "rate_limited").Value);
        Assert.DoesNotContain(metrics.GetValueOrDefault("switchyard_fallbacks_total")?.Samples ?? [], s => s["switchyard_deployment"] == "m-dep-a");
    }

    [Fact]
    public async Task Metrics_HedgeThatAnswersFirst_CountedAsWon()
    {
        await using var h = await GatewayHarness.StartAsync(Yaml);
        h.A.Enqueue(UpstreamBehavior.Delay(TimeSpan.FromSeconds(30)));
        using var chat = await h.PostChatAsync(Wire.ChatJson("metrics-hedged"));
        Assert.Equal(HttpStatusCode.OK, chat.StatusCode);
        var record = await h.UsageAsync(GatewayHarness.RecordId(chat));
        Assert.True(record.Hedged);

        var metrics = await ScrapeAsync(h);

        Assert.Equal(1, Single(metrics, "switchyard_hedges_total", "counter", s => s["switchyard_alias"] == "metrics-hedged")["switchyard_outcome"] == "won" ? 1 : 0);
        Assert.Equal(1, Single(metrics, "switchyard_upstream_attempts_total", "counter",
            s => s["switchyard_deployment"] == "m-dep-a" && s["switchyard_outcome"] == "hedge_lost").Value);
        Assert.DoesNotContain(metrics.GetValueOrDefault("switchyard_fallbacks_total")?.Samples ?? [], s => s["switchyard_deployment"] == "m-dep-a");
        var overhead = Single(metrics, "switchyard_gateway_overhead_seconds", "histogram", s => s.Name.EndsWith("_sum", StringComparison.Ordinal)
            && s["switchyard_operation"] == "chat.completions" && s["switchyard_stream"] == "false");
        Assert.True(overhead.Value < 5, $"the race counts once: overhead {overhead.Value} s");
    }

    [Fact]
    public async Task Metrics_UnknownModelOrRequestId_NeverALabelValue()
    {
        await using var h = await GatewayHarness.StartAsync(Yaml);
        var unknown = "no-such-model-" + Guid.NewGuid().ToString("N");
        using var refused = await h.PostChatAsync(Wire.ChatJson(unknown));
        Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        using var served = await h.PostChatAsync(Wire.ChatJson("metrics-solo"));
        var ids = new[] { GatewayHarness.RecordId(refused), GatewayHarness.RecordId(served) };
        await h.UsageAsync(ids[1]);
        await h.UsageAsync(ids[0]);

        var text = await ScrapeTextAsync(h);
        var metrics = PrometheusText.Parse(text);

        var values = metrics.Values.SelectMany(f => f.Samples).SelectMany(s => s.Labels.Values).ToList();
        Assert.DoesNotContain(values, v => ids.Any(id => v.Contains(id, StringComparison.Ordinal)) || v.Contains(unknown, StringComparison.Ordinal));
        Assert.DoesNotContain(values, v => v.Contains(GatewayHarness.ClientKey, StringComparison.Ordinal) || v.Contains(GatewayHarness.ProviderKey, StringComparison.Ordinal));
        Assert.Contains(metrics["switchyard_refusals_total"].Samples, s => s["switchyard_reason"] == "model_not_found" && s["http_response_status_code"] == "404");
        Assert.DoesNotContain(ids[0], text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, HttpStatusCode.Unauthorized)]
    [InlineData(GatewayHarness.ClientKey, HttpStatusCode.Forbidden)]
    [InlineData(GatewayHarness.OperatorKey, HttpStatusCode.OK)]
    public async Task Metrics_MainListener_NeedsTheOperatorRole(string? key, HttpStatusCode expected)
    {
        await using var h = await GatewayHarness.StartAsync(Yaml);

        using var response = await h.Http.SendAsync(Get(h.Url("/metrics"), key));

        Assert.Equal(expected, response.StatusCode);
        if (expected == HttpStatusCode.OK)
        {
            Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        }
    }

    [Fact]
    public async Task Metrics_SeparateListener_ServesMetricsWithoutAKeyAndNothingElse()
    {
        await using var h = await GatewayHarness.StartAsync(Yaml + "\ntelemetry: { metrics_listener: \"http://127.0.0.1:0\" }\n");
        var listener = h.Gateway.MetricsAddress;
        Assert.NotNull(listener);
        Assert.NotEqual(h.Gateway.BaseAddress.Port, listener.Port);

        using var metrics = await h.Http.SendAsync(Get(new Uri(listener, "/metrics"), key: null));
        using var models = await h.Http.SendAsync(Get(new Uri(listener, "/v1/models"), GatewayHarness.ClientKey));

        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        Assert.Contains("switchyard_circuit_state", PrometheusText.Parse(await metrics.Content.ReadAsStringAsync()).Keys);
        Assert.Equal(HttpStatusCode.NotFound, models.StatusCode);
    }

    [Fact]
    public async Task Metrics_Off_NoEndpointAndNoListener()
    {
        await using var h = await GatewayHarness.StartAsync(Yaml + "\ntelemetry: { metrics: false, metrics_listener: \"http://127.0.0.1:0\" }\n");

        using var response = await h.Http.SendAsync(Get(h.Url("/metrics"), GatewayHarness.OperatorKey));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Null(h.Gateway.MetricsAddress);
    }

    internal static async Task<Dictionary<string, PrometheusFamily>> ScrapeAsync(GatewayHarness h) => PrometheusText.Parse(await ScrapeTextAsync(h));

    internal static async Task<string> ScrapeTextAsync(GatewayHarness h)
    {
        using var response = await h.Http.SendAsync(Get(h.Url("/metrics"), GatewayHarness.OperatorKey));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    private static HttpRequestMessage Get(Uri url, string? key)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/plain"));
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return request;
    }

    /// <summary>The one sample of family <paramref name="family"/> (of <paramref name="type"/>) that <paramref name="match"/> picks.</summary>
    internal static PrometheusSample Single(Dictionary<string, PrometheusFamily> metrics, string family, string type, Func<PrometheusSample, bool> match)
    {
        Assert.True(metrics.TryGetValue(family, out var f), $"no family {family}; families: {string.Join(", ", metrics.Keys.Order(StringComparer.Ordinal))}");
        Assert.Equal(type, f.Type);
        var matches = f.Samples.Where(match).ToList();
        Assert.True(matches.Count == 1, $"{matches.Count} samples of {family} match; samples:\n" + string.Join("\n", f.Samples.Select(s =>
            $"{s.Name}{{{string.Join(",", s.Labels.Select(l => $"{l.Key}={l.Value}"))}}} {s.Value}")));
        return matches[0];
    }
}
