using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using OpenAI.Chat;
using Switchyard.Tests.TestKit;

namespace Switchyard.Tests.EndToEnd;

/// <summary>Retries on the same deployment, fallback to the next one, and how failures reach the client.</summary>
public sealed class FallbackAndRetryTests
{
    private const string PolicyYaml = GatewayHarness.Preamble + """
        deployments:
          dep-a: { provider: up-a, model: upstream-model-a }
          dep-b: { provider: up-b, model: upstream-model-b }
        models:
          patient:
            deployments: [dep-a]
            fallbacks: [dep-b]
            retry: { max_retries: 1, base_delay: 1ms, max_delay: 2s }
          switchy:
            deployments: [dep-a]
            fallbacks: [dep-b]
            retry: { max_retries: 1, base_delay: 1ms, max_delay: 2s }
            on: { rate_limited: switch }
          short-deadline:
            deployments: [dep-a]
            fallbacks: [dep-b]
            retry: { max_retries: 1, base_delay: 1ms, max_delay: 10s }
            timeout: 1s
          two-attempts:
            deployments: [dep-a]
            fallbacks: [dep-b]
            max_attempts: 2
            retry: { max_retries: 1, base_delay: 1ms, max_delay: 50ms }
          fail-fast:
            deployments: [dep-a]
            fallbacks: [dep-b]
            retry: { max_retries: 1, base_delay: 1ms, max_delay: 50ms }
            on: { server_error: fail }
          retry-only:
            deployments: [dep-a]
            fallbacks: [dep-b]
            retry: { max_retries: 2, base_delay: 1ms, max_delay: 50ms }
            on: { server_error: retry }
          tight:
            deployments: [dep-a]
            fallbacks: [dep-b]
            retry: { max_retries: 1, base_delay: 1ms, max_delay: 50ms }
            timeout: 300ms
        """;

    private const string ClosedPortYaml = GatewayHarness.Preamble + """
          dead:
            kind: openai-compatible
            base_url: "{{CLOSED}}"
            api_key: ${UP_KEY}
        deployments:
          dep-dead: { provider: dead, model: never-reached }
          dep-b: { provider: up-b, model: upstream-model-b }
        models:
          chat:
            deployments: [dep-dead]
            fallbacks: [dep-b]
            retry: { max_retries: 1, base_delay: 1ms, max_delay: 50ms }
          dead-alone:
            deployments: [dep-dead]
            retry: { max_retries: 1, base_delay: 1ms, max_delay: 50ms }
        """;

    [Fact]
    public async Task PostChat_PrimaryServerError_FallsBackToSecondaryWithOutcomeHeaders()
    {
        await using var h = await GatewayHarness.StartAsync();
        h.A.SetDefault(UpstreamBehavior.ServerError());
        h.B.Enqueue(UpstreamBehavior.Text("served by B"));

        using var response = await h.PostChatAsync(Wire.ChatJson("chat"));
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(200, (int)response.StatusCode);
        Assert.Contains("served by B", body);
        Assert.Equal("dep-b", Wire.Header(response, "x-switchyard-deployment"));
        Assert.Equal("upstream-model-b", Wire.Header(response, "x-switchyard-model"));
        Assert.Equal("3", Wire.Header(response, "x-switchyard-attempts")); // A, A again (one retry), then B
        Assert.Equal("server_error", Wire.Header(response, "x-switchyard-fallback-reason"));
        Assert.Equal(2, h.A.RequestCount);
        Assert.Equal("upstream-model-b", Assert.Single(h.B.Requests).Model);

        var record = await h.UsageAsync(Wire.Header(response, "x-request-id")!);
        Assert.Equal("dep-a", record.IntendedDeployment);
        Assert.Equal("dep-b", record.FinalDeployment);
        Assert.Equal("upstream-model-b", record.FinalModel);
        Assert.Equal(3, record.Attempts);
        Assert.Equal("server_error", record.FallbackReason);
        Assert.Equal(200, record.Status);
        Assert.Null(record.ErrorKind);
    }

    [Fact]
    public async Task CompleteChat_PrimaryServerError_SdkGetsSecondaryAnswer()
    {
        await using var h = await GatewayHarness.StartAsync();
        h.A.SetDefault(UpstreamBehavior.ServiceUnavailable());
        h.B.Enqueue(UpstreamBehavior.Text("B to the rescue"));

        ChatCompletion completion = await h.Chat("chat").CompleteChatAsync([new UserChatMessage("hi")]);

        Assert.Equal("B to the rescue", Assert.Single(completion.Content).Text);
    }

    [Fact]
    public async Task PostChat_RateLimitedWithRetryAfter_WaitsThenSucceedsOnSameDeployment()
    {
        var retryAfter = TimeSpan.FromMilliseconds(150);
        await using var h = await GatewayHarness.StartAsync(PolicyYaml);
        h.A.Enqueue(UpstreamBehavior.RateLimited(retryAfter), UpstreamBehavior.Text("after the wait"));

        using var response = await h.PostChatAsync(Wire.ChatJson("patient"));
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(200, (int)response.StatusCode);
        Assert.Contains("after the wait", body);
        Assert.Equal("dep-a", Wire.Header(response, "x-switchyard-deployment"));
        Assert.Equal("2", Wire.Header(response, "x-switchyard-attempts"));
        Assert.Equal("rate_limited", Wire.Header(response, "x-switchyard-fallback-reason"));
        Assert.Equal(0, h.B.RequestCount);
        var requests = h.A.Requests;
        Assert.Equal(2, requests.Count);

        // Backoff alone would be at most 1 ms (base_delay); only honouring retry-after-ms explains a gap near 150 ms.
        // A lower bound with slack for coarse timers, never an upper bound.
        var gap = requests[1].Timestamp - requests[0].Timestamp;
        Assert.True(gap >= retryAfter - TimeSpan.FromMilliseconds(30), $"retried after {gap.TotalMilliseconds} ms, before the upstream's retry-after-ms");
    }

    [Fact]
    public async Task PostChat_RateLimitedRetryAfterBeyondMaxDelay_SwitchesWithoutWaiting()
    {
        await using var h = await GatewayHarness.StartAsync(); // chat: max_delay 50ms
        h.A.Enqueue(UpstreamBehavior.RateLimited(TimeSpan.FromSeconds(30)));

        using var response = await h.PostChatAsync(Wire.ChatJson("chat"));
        await response.Content.ReadAsStringAsync();

        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("dep-b", Wire.Header(response, "x-switchyard-deployment"));
        Assert.Equal("rate_limited", Wire.Header(response, "x-switchyard-fallback-reason"));
        Assert.Equal(1, h.A.RequestCount);
        Assert.Equal(1, h.B.RequestCount);
    }

    [Fact]
    public async Task PostChat_RateLimitedWithSwitchPolicy_SwitchesImmediately()
    {
        await using var h = await GatewayHarness.StartAsync(PolicyYaml);
        h.A.Enqueue(UpstreamBehavior.RateLimited(TimeSpan.FromMilliseconds(10)));
        h.B.Enqueue(UpstreamBehavior.Text("switched"));

        using var response = await h.PostChatAsync(Wire.ChatJson("switchy"));
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(200, (int)response.StatusCode);
        Assert.Contains("switched", body);
        Assert.Equal("dep-b", Wire.Header(response, "x-switchyard-deployment"));
        Assert.Equal("2", Wire.Header(response, "x-switchyard-attempts"));
        Assert.Equal("rate_limited", Wire.Header(response, "x-switchyard-fallback-reason"));
        Assert.Equal(1, h.A.RequestCount); // no retry on A, although it would have fitted
    }

    [Fact]
    public async Task PostChat_Upstream400_ReturnedToClientAndNotRetried()
    {
        await using var h = await GatewayHarness.StartAsync();
        h.A.Enqueue(UpstreamBehavior.BadRequest("Invalid 'temperature': decimal above maximum value.", param: "temperature", code: "decimal_above_max_value"));

        using var response = await h.PostChatAsync(Wire.ChatJson("chat"));

        var error = await Wire.AssertOpenAIErrorAsync(response, 400, code: "decimal_above_max_value", param: "temperature", type: "invalid_request_error");
        Assert.Equal("Invalid 'temperature': decimal above maximum value.", Wire.StringOf(error["message"]));
        Assert.Equal(1, h.A.RequestCount);
        Assert.Equal(0, h.B.RequestCount);
        var record = await h.UsageAsync(Wire.Header(response, "x-request-id")!);
        Assert.Equal(400, record.Status);
        Assert.Equal("client_error", record.ErrorKind);
        Assert.Equal(1, record.Attempts);
    }

    [Fact]
    public async Task PostChat_AllDeploymentsFail_ReturnsLastErrorInOpenAIShape()
    {
        await using var h = await GatewayHarness.StartAsync();
        h.A.SetDefault(UpstreamBehavior.ServerError());
        h.B.SetDefault(UpstreamBehavior.ServiceUnavailable());

        using var response = await h.PostChatAsync(Wire.ChatJson("chat"));

        await Wire.AssertOpenAIErrorAsync(response, 503, code: "server_is_overloaded");
        Assert.Equal("dep-b", Wire.Header(response, "x-switchyard-deployment"));
        Assert.Equal("4", Wire.Header(response, "x-switchyard-attempts"));
        Assert.Equal("server_error", Wire.Header(response, "x-switchyard-fallback-reason"));
        Assert.Equal(2, h.A.RequestCount);
        Assert.Equal(2, h.B.RequestCount);
        var record = await h.UsageAsync(Wire.Header(response, "x-request-id")!);
        Assert.Equal(503, record.Status);
        Assert.Equal("server_error", record.ErrorKind);
        Assert.Equal("dep-b", record.FinalDeployment);
    }

    [Fact]
    public async Task PostChat_RateLimitedEverywhere_Returns429WithRetryAfter()
    {
        await using var h = await GatewayHarness.StartAsync();
        h.A.SetDefault(UpstreamBehavior.RateLimited(TimeSpan.FromMilliseconds(5)));

        using var response = await h.PostChatAsync(Wire.ChatJson("solo"));

        await Wire.AssertOpenAIErrorAsync(response, 429, code: "rate_limit_exceeded");
        Assert.NotNull(response.Headers.RetryAfter);
        Assert.Equal(2, h.A.RequestCount);
    }

    [Fact]
    public async Task PostChat_ConnectionRefused_FallsBackToNextDeployment()
    {
        await using var h = await GatewayHarness.StartAsync(ClosedPortYaml);
        h.B.Enqueue(UpstreamBehavior.Text("B answers"));

        using var response = await h.PostChatAsync(Wire.ChatJson("chat"));
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(200, (int)response.StatusCode);
        Assert.Contains("B answers", body);
        Assert.Equal("dep-b", Wire.Header(response, "x-switchyard-deployment"));
        Assert.Equal("connection", Wire.Header(response, "x-switchyard-fallback-reason"));
        var record = await h.UsageAsync(Wire.Header(response, "x-request-id")!);
        Assert.Equal("dep-dead", record.IntendedDeployment);
        Assert.Equal("dep-b", record.FinalDeployment);
        Assert.Equal("connection", record.FallbackReason);
    }

    [Fact]
    public async Task PostChat_ConnectionRefusedAlone_Returns502UpstreamUnreachable()
    {
        await using var h = await GatewayHarness.StartAsync(ClosedPortYaml);

        using var response = await h.PostChatAsync(Wire.ChatJson("dead-alone"));

        await Wire.AssertOpenAIErrorAsync(response, 502, code: "upstream_unreachable", type: "server_error");
        var record = await h.UsageAsync(Wire.Header(response, "x-request-id")!);
        Assert.Equal(502, record.Status);
        Assert.Equal("connection", record.ErrorKind);
        Assert.Equal(2, record.Attempts);
    }

    [Theory]
    [InlineData(401)]
    [InlineData(403)]
    public async Task PostChat_UpstreamRejectsProviderKey_Returns502NotClient401(int upstreamStatus)
    {
        await using var h = await GatewayHarness.StartAsync();
        h.A.SetDefault(UpstreamBehavior.InvalidApiKey() with { StatusCode = upstreamStatus });

        using var response = await h.PostChatAsync(Wire.ChatJson("solo"));

        var error = await Wire.AssertOpenAIErrorAsync(response, 502, code: "upstream_auth_failed", type: "server_error");
        Assert.DoesNotContain(GatewayHarness.ProviderKey, Wire.StringOf(error["message"]));
        Assert.Null(response.Headers.WwwAuthenticate.FirstOrDefault());
        Assert.Equal(1, h.A.RequestCount); // 'auth' switches by default; there is nothing to switch to
        var record = await h.UsageAsync(Wire.Header(response, "x-request-id")!);
        Assert.Equal(502, record.Status);
        Assert.Equal("auth", record.ErrorKind);
    }

    [Fact]
    public async Task PostChat_UpstreamRejectsProviderKey_FallsBackToNextDeployment()
    {
        await using var h = await GatewayHarness.StartAsync();
        h.A.SetDefault(UpstreamBehavior.InvalidApiKey());

        using var response = await h.PostChatAsync(Wire.ChatJson("chat"));
        await response.Content.ReadAsStringAsync();

        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("dep-b", Wire.Header(response, "x-switchyard-deployment"));
        Assert.Equal("auth", Wire.Header(response, "x-switchyard-fallback-reason"));
        Assert.Equal(1, h.A.RequestCount);
    }

    [Fact]
    public async Task PostChat_RetryAfterBeyondRequestDeadline_SwitchesWithoutWaiting()
    {
        await using var h = await GatewayHarness.StartAsync(PolicyYaml);
        h.A.Enqueue(UpstreamBehavior.RateLimited(TimeSpan.FromSeconds(5))); // fits max_delay (10s), not the 1s deadline

        using var response = await h.PostChatAsync(Wire.ChatJson("short-deadline"));
        await response.Content.ReadAsStringAsync();

        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("dep-b", Wire.Header(response, "x-switchyard-deployment"));
        Assert.Equal(1, h.A.RequestCount);
    }

    [Fact]
    public async Task PostChat_RequestDeadlinePasses_Returns504()
    {
        await using var h = await GatewayHarness.StartAsync(PolicyYaml);
        h.A.SetDefault(UpstreamBehavior.Delay(TimeSpan.FromMinutes(1)));
        h.B.SetDefault(UpstreamBehavior.Delay(TimeSpan.FromMinutes(1)));

        using var response = await h.PostChatAsync(Wire.ChatJson("tight"));

        var error = await Wire.AssertOpenAIErrorAsync(response, 504, type: "server_error");
        Assert.Contains(Wire.StringOf(error["code"]), new[] { "upstream_timeout", "deadline_exceeded" });
        await h.A.WaitForAbortAsync(GatewayHarness.Bound);
    }

    [Fact]
    public async Task PostChat_NonStreamBodyCutHalfway_FallsBackInsteadOfTruncated200()
    {
        await using var h = await GatewayHarness.StartAsync();
        h.A.SetDefault(UpstreamBehavior.Cut(0));
        h.B.Enqueue(UpstreamBehavior.Text("complete answer from B"));

        using var response = await h.PostChatAsync(Wire.ChatJson("chat"));
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(200, (int)response.StatusCode);
        Assert.Contains("complete answer from B", body);
        Assert.NotNull(JsonNode.Parse(body));
        Assert.Equal("dep-b", Wire.Header(response, "x-switchyard-deployment"));
        Assert.Equal("stream_cut", Wire.Header(response, "x-switchyard-fallback-reason"));
    }

    [Fact]
    public async Task PostChat_Upstream200WithErrorObject_FallsBack()
    {
        await using var h = await GatewayHarness.StartAsync();
        h.A.SetDefault(UpstreamBehavior.Raw(async (http, _) =>
        {
            http.Response.StatusCode = 200;
            http.Response.ContentType = "application/json";
            await http.Response.WriteAsync(
                "{\"error\":{\"message\":\"backend overloaded\",\"type\":\"server_error\",\"param\":null,\"code\":null}}");
        }));
        h.B.Enqueue(UpstreamBehavior.Text("B is fine"));

        using var response = await h.PostChatAsync(Wire.ChatJson("chat"));
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(200, (int)response.StatusCode);
        Assert.Contains("B is fine", body);
        Assert.Equal("dep-b", Wire.Header(response, "x-switchyard-deployment"));
    }

    [Fact]
    public async Task PostChat_UpstreamNonJsonErrorPage_WrappedInOpenAIShape()
    {
        await using var h = await GatewayHarness.StartAsync();
        h.A.SetDefault(UpstreamBehavior.Raw(async (http, _) =>
        {
            http.Response.StatusCode = 502;
            http.Response.ContentType = "text/html";
            await http.Response.WriteAsync("<html><body><h1>502 Bad Gateway</h1></body></html>");
        }));

        using var response = await h.PostChatAsync(Wire.ChatJson("solo"));

        var error = await Wire.AssertOpenAIErrorAsync(response, 502, code: "upstream_error", type: "server_error");
        Assert.Contains("502 Bad Gateway", Wire.StringOf(error["message"]));
        Assert.Equal(2, h.A.RequestCount);
    }

    [Theory]
    [InlineData("two-attempts", 2, 0)] // max_attempts caps retries and fallbacks together
    [InlineData("fail-fast", 1, 0)]    // on: server_error: fail
    [InlineData("retry-only", 3, 0)]   // on: server_error: retry — retries (max 2) but never switches
    public async Task PostChat_PolicyLimits_StopWithUpstreamError(string alias, int attemptsOnA, int attemptsOnB)
    {
        await using var h = await GatewayHarness.StartAsync(PolicyYaml);
        h.A.SetDefault(UpstreamBehavior.ServerError());

        using var response = await h.PostChatAsync(Wire.ChatJson(alias));

        await Wire.AssertOpenAIErrorAsync(response, 500, type: "server_error");
        Assert.Equal(attemptsOnA, h.A.RequestCount);
        Assert.Equal(attemptsOnB, h.B.RequestCount);
        Assert.Equal(attemptsOnA.ToString(System.Globalization.CultureInfo.InvariantCulture), Wire.Header(response, "x-switchyard-attempts"));
    }

    [Fact]
    public async Task PostChat_UpstreamRedirects_Returns502AndRecordsTheFailure()
    {
        // A provider base_url on http:// that the host redirects to https:// answers every call with a redirect.
        await using var h = await GatewayHarness.StartAsync();
        h.A.SetDefault(UpstreamBehavior.Raw((http, _) =>
        {
            http.Response.StatusCode = 308;
            http.Response.Headers.Location = "https://api.example.invalid/v1/chat/completions";
            return Task.CompletedTask;
        }));

        using var response = await h.PostChatAsync(Wire.ChatJson("solo"));

        await Wire.AssertOpenAIErrorAsync(response, 502, type: "server_error");
        var record = await h.UsageAsync(Wire.Header(response, "x-request-id")!);
        Assert.Equal(502, record.Status);
        Assert.NotNull(record.ErrorKind); // UsageRecord.ErrorKind: "null on success" — a 502 is not one
    }
}
