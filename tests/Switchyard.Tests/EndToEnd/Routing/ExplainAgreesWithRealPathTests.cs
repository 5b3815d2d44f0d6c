using System.Net;
using System.Text;
using System.Text.Json;
using Switchyard.Tests.TestKit;

namespace Switchyard.Tests.EndToEnd.Routing;

/// <summary>
/// Route explain is a dry run of the request's own stages: for a table of requests, in each of the four
/// inbound formats, the plan explain shows is the order in which the real request then tries deployments.
/// Every upstream answers 500 and every failure switches without retrying, so the real request walks its
/// whole plan and the usage record's attempt log is that walk. Refusals (an unknown model, an unknown route)
/// are answered the same way by both.
/// </summary>
public sealed class ExplainAgreesWithRealPathTests : IAsyncLifetime
{
    private const string Yaml = GatewayHarness.Preamble + """
        server:
          circuit_breaker: { min_requests: 100000 }   # every call fails: keep plans from shrinking mid-test
        deployments:
          d1: { provider: up-a, model: m-d1 }
          d2: { provider: up-b, model: m-d2 }
          d3: { provider: up-a, model: m-d3 }
          d4: { provider: up-b, model: m-d4, context_window: 20 }
        models:
          main:
            deployments: [{ deployment: d1, priority: 0 }, { deployment: d2, priority: 1 }]
            fallbacks: [other]
            max_attempts: 10
            retry: { max_retries: 0 }
            on: { server_error: switch }
          other:
            deployments: [d3]
            retry: { max_retries: 0 }
            on: { server_error: switch }
          small-first:
            deployments: [{ deployment: d4, priority: 0 }, { deployment: d1, priority: 1 }]
            retry: { max_retries: 0 }
            on: { server_error: switch }
          solo:
            deployments: [d2]
            max_attempts: 10
            retry: { max_retries: 0 }
            on: { server_error: switch }
        routes:
          named:
            primary_model: other
            fallback: { on_provider_5xx: switch, max_attempts: 5 }
          canary:
            match: { model: canary }
            split: [{ model: main, percent: 50 }, { model: other, percent: 50 }]
        """;

    private GatewayHarness h = null!;

    public async Task InitializeAsync()
    {
        h = await GatewayHarness.StartAsync(Yaml, fakes: 2);
        h.A.SetDefault(UpstreamBehavior.ServerError());
        h.B.SetDefault(UpstreamBehavior.ServerError());
    }

    public async Task DisposeAsync() => await h.DisposeAsync();

    public static TheoryData<string, string, string?> Cases()
    {
        var data = new TheoryData<string, string, string?>();
        foreach (var format in new[] { "chat", "responses", "messages", "gemini" })
        {
            data.Add(format, "main", null);                               // priority tiers, then the fallback alias
            data.Add(format, "main", "x-switchyard-fallback: none");      // opted out: the intended deployment only
            data.Add(format, "main", "x-switchyard-route: named");        // a named route picks its own model
            data.Add(format, "canary", null);                             // a split arm, sticky for this key
            data.Add(format, "small-first", "long-prompt");               // context filtering, where the format estimates it
            data.Add(format, "nope", null);                               // unknown model: the same 404
            data.Add(format, "main", "x-switchyard-route: missing");      // unknown route: the same 400
        }

        data.Add("chat", "solo", "models: other");                        // the client's own fallback list
        data.Add("chat", "solo", "models: nope");                         // ... naming an unknown model: the same 404
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Explain_ThenRealRequest_TheRealAttemptsFollowTheExplainedPlan(string format, string model, string? variation)
    {
        using var explain = await h.Http.SendAsync(Request(format, model, variation, explain: true));
        var explained = await explain.Content.ReadAsStringAsync();
        using var real = await h.Http.SendAsync(Request(format, model, variation, explain: false));
        var answered = await real.Content.ReadAsStringAsync();

        if (explain.StatusCode != HttpStatusCode.OK)
        {
            // A refusal: the real path refuses with the same status and the same body, and calls nobody.
            Assert.Equal(explain.StatusCode, real.StatusCode);
            Assert.Equal(explained, answered);
            return;
        }

        var plan = JsonDocument.Parse(explained).RootElement.GetProperty("plan").EnumerateArray()
            .Select(s => s.GetProperty("deployment").GetString()!).ToList();
        var record = await h.UsageAsync(Wire.Header(real, "x-request-id")!);
        var attempted = record.AttemptLog!.Split(',').Select(a => a.Split(':')[0]).ToList();
        Assert.NotEmpty(plan);
        Assert.Equal(plan, attempted);
    }

    [Fact]
    public async Task Explain_WithAClientKey_Is403InTheCallersFormat()
    {
        using var chat = await h.Http.SendAsync(Request("chat", "main", null, explain: true, key: GatewayHarness.ClientKey));
        using var messages = await h.Http.SendAsync(Request("messages", "main", null, explain: true, key: GatewayHarness.ClientKey));

        Assert.Equal(HttpStatusCode.Forbidden, chat.StatusCode);
        Assert.Equal("permission_denied", JsonDocument.Parse(await chat.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, messages.StatusCode);
        Assert.Equal("error", JsonDocument.Parse(await messages.Content.ReadAsStringAsync()).RootElement.GetProperty("type").GetString());
        Assert.Equal(0, h.A.RequestCount + h.B.RequestCount);
    }

    [Fact]
    public async Task Deployments_WithAClientKey_Is403_WithAnOperatorKey_Is200()
    {
        using var client = await h.Http.SendAsync(Get("/v1/deployments", GatewayHarness.ClientKey));
        using var ops = await h.Http.SendAsync(Get("/v1/deployments", GatewayHarness.OperatorKey));
        using var none = await h.Http.SendAsync(Get("/v1/deployments", null));

        Assert.Equal(HttpStatusCode.Forbidden, client.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ops.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
    }

    [Fact]
    public async Task Explain_IsADryRun_NoUpstreamCallNoRecordNoRoundRobinTurn()
    {
        for (var i = 0; i < 3; i++)
        {
            using var r = await h.Http.SendAsync(Request("chat", "main", null, explain: true));
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        }

        using var real = await h.Http.SendAsync(Request("chat", "main", null, explain: false));
        var records = await h.UsageRecordsAsync(1);

        Assert.Single(records); // the real request only
        Assert.Equal(3, h.A.RequestCount + h.B.RequestCount); // d1, d2, d3 once each, all from the real request
    }

    [Fact]
    public async Task Explain_UnknownFormatParameter_Is400()
    {
        var request = h.Post("/v1/route/explain?format=klingon", Body("chat", "main", null), GatewayHarness.OperatorKey);
        using var r = await h.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
    }

    [Theory]
    [InlineData("responses")]
    [InlineData("messages")]
    public async Task Explain_FormatParameter_ReadsThatFormatsBody(string format)
    {
        var request = h.Post($"/v1/route/explain?format={format}", Body(format, "main", null), GatewayHarness.OperatorKey);
        request.Headers.Add("anthropic-version", "2023-06-01");
        using var r = await h.Http.SendAsync(request);
        var text = await r.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal(format == "messages" ? "anthropic.messages" : "openai.responses", JsonDocument.Parse(text).RootElement.GetProperty("format").GetString());
    }

    private HttpRequestMessage Request(string format, string model, string? variation, bool explain, string? key = null)
    {
        var path = format switch
        {
            "chat" => "/v1/chat/completions",
            "responses" => "/v1/responses",
            "messages" => "/v1/messages",
            _ => $"/v1beta/models/{model}:generateContent",
        };
        key ??= explain ? GatewayHarness.OperatorKey : GatewayHarness.ClientKey;
        var request = h.Post((explain ? "/v1/route/explain" : "") + path, Body(format, model, variation), key);
        if (format == "messages")
        {
            request.Headers.Add("anthropic-version", "2023-06-01");
        }

        if (variation is not null && variation.StartsWith("x-", StringComparison.Ordinal))
        {
            var colon = variation.IndexOf(':');
            request.Headers.Add(variation[..colon], variation[(colon + 1)..].Trim());
        }

        return request;
    }

    private static string Body(string format, string model, string? variation)
    {
        var text = variation == "long-prompt" ? new string('x', 400) : "hi";
        var models = variation is not null && variation.StartsWith("models: ", StringComparison.Ordinal)
            ? $",\"models\":[\"{variation["models: ".Length..]}\"]"
            : "";
        return format switch
        {
            "chat" => $$"""{"model":"{{model}}","messages":[{"role":"user","content":"{{text}}"}]{{models}}}""",
            "responses" => $$"""{"model":"{{model}}","input":"{{text}}"}""",
            "messages" => $$"""{"model":"{{model}}","max_tokens":16,"messages":[{"role":"user","content":"{{text}}"}]}""",
            _ => $$"""{"contents":[{"role":"user","parts":[{"text":"{{text}}"}]}]}""",
        };
    }

    private HttpRequestMessage Get(string path, string? key)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, h.Url(path));
        if (key is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        }

        return request;
    }
}
