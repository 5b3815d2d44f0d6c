using System.Net;
using Switchyard.Tests.EndToEnd;
using Switchyard.Tests.TestKit;

namespace Switchyard.Tests.Observability;

/// <summary>
/// Tests whose gateway exports over OTLP. Listening to spans is process-wide (by source name), so they run alone, after
/// the parallel tests: nothing else's spans reach their collector, and their listener does not make spans for others.
/// </summary>
[CollectionDefinition(nameof(TracingCollection), DisableParallelization = true)]
public sealed class TracingCollection;

/// <summary>
/// Traces over OTLP to an in-process collector: the request's span (ASP.NET Core's server span, named and tagged with
/// the GenAI attributes) with one child span per upstream attempt; the client's <c>traceparent</c> continued into it
/// and the attempt's sent upstream; metrics pushed to the same collector.
/// </summary>
[Collection(nameof(TracingCollection))]
public sealed class TracingTests
{
    private const string Yaml = GatewayHarness.DefaultYaml + """

        telemetry:
          otlp_endpoint: "{{COLLECTOR}}"
          export_interval: 200ms
        """;

    [Fact]
    public async Task Otlp_ChatWithFallback_RequestSpanWithOneChildPerAttempt()
    {
        await using var collector = await OtlpCollector.StartAsync();
        await using var h = await GatewayHarness.StartAsync(Yaml.Replace("{{COLLECTOR}}", collector.BaseUrl.AbsoluteUri, StringComparison.Ordinal));
        h.A.SetDefault(UpstreamBehavior.ServerError());
        using var chat = await h.PostChatAsync(Wire.ChatJson("chat", content: "a prompt that must never be exported"));
        Assert.Equal(HttpStatusCode.OK, chat.StatusCode);
        var id = GatewayHarness.RecordId(chat);

        var spans = await collector.WaitForSpansAsync(s => s.Any(x => Equals(x["switchyard.request.id"], id))
            && s.Count(x => x.Scope == "Switchyard.Gateway") >= 3, "the request span and its attempt spans");

        var request = spans.Single(s => Equals(s["switchyard.request.id"], id));
        Assert.Equal(OtlpSpan.Server, request.Kind);
        Assert.Equal("chat chat", request.Name);
        Assert.Equal("chat", request["gen_ai.operation.name"]);
        Assert.Equal("chat", request["gen_ai.request.model"]);
        Assert.Equal("upstream-model-b", request["gen_ai.response.model"]);
        Assert.Equal("openai-compatible", request["gen_ai.provider.name"]);
        Assert.Equal((long)FakeUsage.Default.PromptTokens, request["gen_ai.usage.input_tokens"]);
        Assert.Equal(200L, request["http.response.status_code"]);
        var attempts = spans.Where(s => s.ParentSpanId == request.SpanId).OrderBy(s => s.Name, StringComparer.Ordinal).ToList();
        Assert.Equal(3, attempts.Count); // dep-a, its retry, then dep-b
        Assert.All(attempts, a => Assert.Equal((OtlpSpan.Client, request.TraceId, "Switchyard.Gateway"), (a.Kind, a.TraceId, a.Scope)));
        Assert.All(attempts, a => Assert.Equal("openai-compatible", a["gen_ai.provider.name"]));
        var failed = attempts.Where(a => Equals(a["switchyard.deployment"], "dep-a")).ToList();
        Assert.Equal(2, failed.Count);
        Assert.All(failed, a => Assert.Equal(("chat upstream-model-a", "server_error", 2), (a.Name, a["error.type"], a.StatusCode)));
        var answered = attempts.Single(a => Equals(a["switchyard.deployment"], "dep-b"));
        Assert.Equal(("upstream-model-b", "upstream-model-b", null), (answered["gen_ai.request.model"], answered["gen_ai.response.model"], answered["error.type"]));
        Assert.DoesNotContain(spans.SelectMany(s => s.Attributes.Values), v => v.ToString()!.Contains("must never be exported", StringComparison.Ordinal));

        await collector.WaitForMetricAsync("gen_ai.client.token.usage");
        await collector.WaitForMetricAsync("switchyard.requests");
    }

    [Fact]
    public async Task Traceparent_FromTheClient_ContinuesIntoTheRequestSpanAndReachesTheUpstream()
    {
        await using var collector = await OtlpCollector.StartAsync();
        await using var h = await GatewayHarness.StartAsync(Yaml.Replace("{{COLLECTOR}}", collector.BaseUrl.AbsoluteUri, StringComparison.Ordinal));
        var traceId = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());
        const string clientSpan = "00f067aa0ba902b7";
        using var request = h.Post("/v1/chat/completions", Wire.ChatJson("solo"));
        request.Headers.Add("traceparent", $"00-{traceId}-{clientSpan}-01");

        using var chat = await h.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, chat.StatusCode);
        var id = GatewayHarness.RecordId(chat);

        var upstream = h.A.LastRequest!.Header("traceparent");
        Assert.NotNull(upstream);
        var parts = upstream.Split('-');
        Assert.Equal(("00", traceId, "01"), (parts[0], parts[1], parts[3]));
        var spans = await collector.WaitForSpansAsync(s => s.Any(x => Equals(x["switchyard.request.id"], id)) && s.Any(x => x.SpanId == parts[2]),
            "the request span and the attempt span the upstream was told of");
        var served = spans.Single(s => Equals(s["switchyard.request.id"], id));
        Assert.Equal((traceId, clientSpan), (served.TraceId, served.ParentSpanId));
        var attempt = spans.Single(s => s.SpanId == parts[2]);
        Assert.Equal((traceId, served.SpanId, OtlpSpan.Client), (attempt.TraceId, attempt.ParentSpanId, attempt.Kind));
    }

    [Fact]
    public async Task Otlp_HealthProbes_NotExported()
    {
        await using var collector = await OtlpCollector.StartAsync();
        await using var h = await GatewayHarness.StartAsync(Yaml.Replace("{{COLLECTOR}}", collector.BaseUrl.AbsoluteUri, StringComparison.Ordinal));
        using var live = await h.Http.GetAsync(h.Url("/health/live"));
        using var chat = await h.PostChatAsync(Wire.ChatJson("solo"));
        var id = GatewayHarness.RecordId(chat);

        var spans = await collector.WaitForSpansAsync(s => s.Any(x => Equals(x["switchyard.request.id"], id)), "the chat request's span");

        Assert.All(spans.Where(s => s.Kind == OtlpSpan.Server), s => Assert.NotNull(s["switchyard.request.id"]));
    }
}
