using System.Net;
using System.Text;
using System.Text.Json;
using Switchyard.Hosting;
using Switchyard.Tests.TestKit;

namespace Switchyard.Tests.EndToEnd.Routing;

/// <summary>Failover drills: faults injected into deployments, the simulated report, and live traffic under the drill.</summary>
public sealed class DrillTests : IAsyncLifetime
{
    private const string Yaml = """
        auth:
          keys: [{ id: app, hash: "{{APP_HASH}}" }, { id: ops, hash: "{{OPS_HASH}}", role: operator }]
        providers:
          p: { kind: openai-compatible, base_url: "{{FAKE0}}", api_key: "${UP_KEY}" }
        deployments:
          primary: { provider: p, model: m1 }
          backup: { provider: p, model: m2 }
        models:
          chat:
            deployments: [{ deployment: primary, priority: 0 }, { deployment: backup, priority: 1 }]
            retry: { max_retries: 1, base_delay: 1ms, max_delay: 2ms }
        """;

    private const string App = GatewayHarness.ClientKey;

    private GatewayHarness h = null!;
    private HttpClient http = null!;

    private FakeOpenAIUpstream Upstream => h.Fakes[0];

    public async Task InitializeAsync()
    {
        h = await GatewayHarness.StartAsync(Yaml, fakes: 1, env: new Dictionary<string, string> { ["SWITCHYARD_MASTER_KEY"] = "sk-master" });
        http = new HttpClient { BaseAddress = h.Gateway.BaseAddress };
    }

    private Task<HttpResponseMessage> Send(HttpMethod method, string path, string key, string? body = null)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Add("Authorization", "Bearer " + key);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        return http.SendAsync(request);
    }

    [Fact]
    public async Task Drill_RateLimitedPrimary_ReportsRetryThenSwitchAndLiveTrafficFollows()
    {
        using var start = await Send(HttpMethod.Post, "/v1/drill", "sk-master", """{"faults":{"primary":"rate_limited"},"duration":"5m"}""");
        Assert.Equal(HttpStatusCode.OK, start.StatusCode);
        using var report = JsonDocument.Parse(await start.Content.ReadAsStringAsync());
        var chat = report.RootElement.GetProperty("models").EnumerateArray().Single(m => m.GetProperty("model").GetString() == "chat");
        Assert.Equal("backup", chat.GetProperty("served_by").GetString());
        var attempts = chat.GetProperty("attempts").EnumerateArray().ToList();
        // The injected 429 says Retry-After: 1s, beyond this alias's max_delay of 2ms: no retry, straight to backup.
        Assert.Equal(["primary", "backup"], attempts.Select(a => a.GetProperty("deployment").GetString()));
        Assert.Equal("switch", attempts[0].GetProperty("action").GetString());

        // Live traffic meets the injected fault: no request reaches the upstream for 'primary'.
        using var live = await Send(HttpMethod.Post, "/v1/chat/completions", App, """{"model":"chat","messages":[{"role":"user","content":"hi"}]}""");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal("backup", live.Headers.GetValues("x-switchyard-deployment").Single());
        Assert.Equal("rate_limited", live.Headers.GetValues("x-switchyard-fallback-reason").Single());
        Assert.Equal(["m2"], Upstream.Requests.Select(r => r.Model));

        using var stop = await Send(HttpMethod.Delete, "/v1/drill", "sk-master");
        using var after = await Send(HttpMethod.Post, "/v1/chat/completions", App, """{"model":"chat","messages":[{"role":"user","content":"hi"}]}""");
        Assert.Equal("primary", after.Headers.GetValues("x-switchyard-deployment").Single());
    }

    [Fact]
    public async Task Drill_EveryDeploymentDown_ReportsTheFailure()
    {
        using var start = await Send(HttpMethod.Post, "/v1/drill", "sk-master", """{"faults":{"primary":"server_error","backup":"timeout"}}""");
        using var report = JsonDocument.Parse(await start.Content.ReadAsStringAsync());
        var chat = report.RootElement.GetProperty("models").EnumerateArray().Single(m => m.GetProperty("model").GetString() == "chat");
        Assert.Equal("timeout", chat.GetProperty("fails_with").GetString());
        var steps = chat.GetProperty("attempts").EnumerateArray()
            .Select(a => $"{a.GetProperty("deployment").GetString()}:{a.GetProperty("outcome").GetString()}:{a.GetProperty("action").GetString()}");
        Assert.Equal(["primary:server_error:retry", "primary:server_error:switch", "backup:timeout:retry", "backup:timeout:stop"], steps);
        await Send(HttpMethod.Delete, "/v1/drill", "sk-master");
    }

    [Theory]
    [InlineData(App, HttpStatusCode.Forbidden)]
    [InlineData("sk-wrong", HttpStatusCode.Unauthorized)]
    [InlineData(GatewayHarness.OperatorKey, HttpStatusCode.OK)]
    public async Task Drill_NeedsTheOperatorRole(string key, HttpStatusCode status)
    {
        using var r = await Send(HttpMethod.Post, "/v1/drill", key, """{"faults":{"primary":"timeout"}}""");
        Assert.Equal(status, r.StatusCode);
        using var stop = await Send(HttpMethod.Delete, "/v1/drill", "sk-master"); // leave no fault for the other tests
    }

    [Fact]
    public async Task Drill_UnknownDeploymentOrFault_Is400()
    {
        using var a = await Send(HttpMethod.Post, "/v1/drill", "sk-master", """{"faults":{"ghost":"timeout"}}""");
        Assert.Equal(HttpStatusCode.BadRequest, a.StatusCode);
        using var b = await Send(HttpMethod.Post, "/v1/drill", "sk-master", """{"faults":{"primary":"meteor"}}""");
        Assert.Equal(HttpStatusCode.BadRequest, b.StatusCode);
    }

    public async Task DisposeAsync()
    {
        http.Dispose();
        await h.DisposeAsync();
    }
}
