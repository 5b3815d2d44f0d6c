using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Switchyard.Governance;
using Switchyard.Tests.TestKit;
using Switchyard.Tests.EndToEnd.Admin;

namespace Switchyard.Tests.EndToEnd.Governance;

/// <summary>
/// Budgets end to end, on a stopped clock, with prices chosen so that a request's worst case is exactly its cost
/// ($1 per million output tokens, input free; the fake answers the 1,000 output tokens asked for): a budget of $0.05
/// admits exactly fifty requests however many race for it, records spend no more than the budget, and leaves no
/// reservation open. Refusals are 429 <c>insufficient_quota</c> in the caller's format.
/// </summary>
public sealed class BudgetsEndToEndTests
{
    private const string Yaml = GatewayHarness.Preamble + """
        deployments:
          priced-a: { provider: up-a, model: upstream-model-a, price: { input: 0, output: 1 } }
          cheap-b: { provider: up-b, model: upstream-model-b, price: { input: 0, output: 0.1 } }
        models:
          metered: priced-a
          metered-downgrade:
            deployments: [priced-a]
            fallbacks: [cheap-b]
        routes:
          save:
            match: { model: metered-downgrade }
            primary_model: metered-downgrade
            fallback: { on_budget_exceeded: downgrade }
        """;

    private static async Task<(GatewayHarness H, AdminClient Admin)> StartAsync(string extraYaml = "", FakeTimeProvider? clock = null)
    {
        clock ??= new FakeTimeProvider(new DateTimeOffset(2026, 12, 6, 12, 0, 0, TimeSpan.Zero));
        var h = await GatewayHarness.StartAsync(Yaml + extraYaml, env: AdminClient.MasterEnv, time: clock);
        var thousand = UpstreamBehavior.Text(chunks: 4, usage: new FakeUsage(10, 1000));
        h.A.SetDefault(thousand);
        h.B.SetDefault(UpstreamBehavior.Text(chunks: 4, usage: new FakeUsage(10, 1000)));
        return (h, new AdminClient(h, AdminClient.MasterKey));
    }

    private static string Body(string model = "metered", bool stream = false) =>
        $$"""{"model":"{{model}}","max_tokens":1000,"stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"hi"}]}""";

    private static async Task<(int Status, HttpResponseHeaders Headers, string Body)> PostAsync(GatewayHarness h, string key, string body, string path = "/v1/chat/completions")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, h.Url(path)) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        request.Headers.Add("anthropic-version", "2023-06-01");
        using var response = await h.Http.SendAsync(request);
        return ((int)response.StatusCode, response.Headers, await response.Content.ReadAsStringAsync());
    }

    private static BudgetLedger Ledger(GatewayHarness h) => h.Gateway.Services.GetRequiredService<BudgetLedger>();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task TwoHundredConcurrentRequests_AgainstABudgetForFifty_FiftyPass_SpendWithinTheBudget_NothingLeaks(bool stream)
    {
        var (h, admin) = await StartAsync();
        await using var _ = h;
        var (id, secret, _) = await admin.CreateKeyAsync("""{"name":"metered","budget":{"limit_usd":0.05,"period":"monthly"}}""");

        var answers = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => PostAsync(h, secret, Body(stream: stream))));

        Assert.Equal(50, answers.Count(a => a.Status == 200));
        var refused = answers.Where(a => a.Status != 200).ToList();
        Assert.Equal(150, refused.Count);
        Assert.All(refused, a =>
        {
            Assert.Equal(429, a.Status);
            Assert.Contains("\"type\":\"insufficient_quota\"", a.Body, StringComparison.Ordinal);
            Assert.Equal("false", a.Headers.GetValues("x-should-retry").Single());
        });
        Assert.All(answers.Where(a => a.Status == 200), a => Assert.DoesNotContain("\"error\"", a.Body, StringComparison.Ordinal));
        Assert.Equal(50, h.A.RequestCount);

        var records = await h.UsageRecordsAsync(200);
        Assert.Equal(50_000, records.Where(r => r.KeyId == id).Sum(r => r.CostMicros));
        Assert.Equal(150, records.Count(r => r.Status == 429));
        Assert.Equal(0, Ledger(h).OpenReservations);
        var state = Ledger(h).Peek(new BudgetScope("key:" + id, new BudgetRule(50_000, BudgetPeriod.Monthly), new SpendOwner(SpendOwnerKind.Key, id)));
        Assert.Equal((50_000L, 0L), (state.SpentMicros, state.ReservedMicros));
    }

    [Fact]
    public async Task AnAnthropicClient_IsRefusedWithABillingError()
    {
        var (h, admin) = await StartAsync();
        await using var _ = h;
        var (_, secret, _) = await admin.CreateKeyAsync("""{"name":"poor","budget":{"limit_usd":0.0005,"period":"daily"}}""");

        var (status, _, body) = await PostAsync(h, secret,
            """{"model":"metered","max_tokens":1000,"messages":[{"role":"user","content":"hi"}]}""", "/v1/messages");

        Assert.Equal(429, status);
        Assert.Contains("\"type\":\"billing_error\"", body, StringComparison.Ordinal);
        Assert.Contains("resets at 2026-12-07T00:00:00Z", body, StringComparison.Ordinal);
        Assert.Equal(0, h.A.RequestCount);
    }

    [Fact]
    public async Task OnBudgetExceeded_Downgrade_ServesTheCheaperDeploymentThatFits_AndRecordsWhy()
    {
        var (h, admin) = await StartAsync();
        await using var _ = h;
        var (id, secret, _) = await admin.CreateKeyAsync("""{"name":"thrifty","budget":{"limit_usd":0.0005,"period":"monthly"}}""");

        var (status, headers, _) = await PostAsync(h, secret, Body("metered-downgrade"));

        Assert.Equal(200, status); // $0.001 at priced-a does not fit $0.0005; $0.0001 at cheap-b does
        Assert.Equal("cheap-b", headers.GetValues("x-switchyard-deployment").Single());
        var record = await h.UsageWhereAsync(r => r.KeyId == id, "the downgraded request");
        Assert.Equal(("priced-a", "cheap-b", "budget_exceeded", 100L), (record.IntendedDeployment, record.FinalDeployment, record.FallbackReason, record.CostMicros));
    }

    [Fact]
    public async Task AHardStop_EndsAStreamThatReachesWhatItsCappedReservationPaysFor_WithAnErrorEvent()
    {
        var (h, admin) = await StartAsync();
        await using var _ = h;
        h.A.SetDefault(UpstreamBehavior.Text(string.Concat(Enumerable.Repeat("budget words go here ", 400)), chunks: 200, usage: new FakeUsage(10, 2000)));
        var (id, secret, _) = await admin.CreateKeyAsync(
            """{"name":"capped","budget":{"limit_usd":1,"period":"monthly","max_reservation_usd":0.0002,"streams":"hard_stop"}}""");

        var (status, _, body) = await PostAsync(h, secret, Body(stream: true));

        Assert.Equal(200, status);
        Assert.Contains("insufficient_quota", body, StringComparison.Ordinal);
        Assert.DoesNotContain("data: [DONE]", body, StringComparison.Ordinal);
        var record = await h.UsageWhereAsync(r => r.KeyId == id, "the stopped stream");
        Assert.Equal("budget_exceeded", record.ErrorKind);
        Assert.InRange(record.CompletionTokens, 200, 200 + BudgetStreamGuard.RecountEvery); // stopped at the allowance, within one recount
    }

    [Fact]
    public async Task AlertShares_AddAResponseHeaderOncePassed()
    {
        var (h, admin) = await StartAsync();
        await using var _ = h;
        var (_, secret, _) = await admin.CreateKeyAsync("""{"name":"watched","budget":{"limit_usd":0.002,"period":"monthly","alert_at":[0.5]}}""");

        var first = await PostAsync(h, secret, Body());
        await h.UsageRecordsAsync(1);
        var second = await PostAsync(h, secret, Body());

        Assert.Equal((200, 200), (first.Status, second.Status));
        Assert.False(first.Headers.Contains(BudgetStage.AlertHeader));
        Assert.Contains("=50%", second.Headers.GetValues(BudgetStage.AlertHeader).Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheAdminBudgetsView_ShowsLimitSpentReservedRemainingAndReset()
    {
        var (h, admin) = await StartAsync();
        await using var _ = h;
        Assert.Equal(201, (await admin.PostAsync("/v1/admin/teams", """{"id":"search","name":"Search","budget":{"limit_usd":10,"period":"weekly"}}""")).Status);
        var (id, secret, _) = await admin.CreateKeyAsync("""{"name":"viewed","team":"search","budget":{"limit_usd":0.01,"period":"daily","time_zone":"Europe/Paris"}}""");
        Assert.Equal(200, (await PostAsync(h, secret, Body())).Status);
        await h.UsageRecordsAsync(1);

        var (status, list) = await admin.GetAsync("/v1/admin/budgets");

        Assert.Equal(200, status);
        var key = list["data"]!.AsArray().Single(b => b!["scope"]!.GetValue<string>() == "key:" + id)!;
        Assert.Equal((0.01m, 0.001m, 0m, 0.009m), (key["limit_usd"]!.GetValue<decimal>(), key["spent_usd"]!.GetValue<decimal>(),
            key["reserved_usd"]!.GetValue<decimal>(), key["remaining_usd"]!.GetValue<decimal>()));
        Assert.Equal(("2026-12-05T23:00:00Z", "2026-12-06T23:00:00Z"), (key["period_start"]!.GetValue<string>(), key["resets_at"]!.GetValue<string>()));
        var team = list["data"]!.AsArray().Single(b => b!["scope"]!.GetValue<string>() == "team:search")!;
        Assert.Equal((0.001m, "2026-12-07T00:00:00Z"), (team["spent_usd"]!.GetValue<decimal>(), team["resets_at"]!.GetValue<string>()));
        var (_, one) = await admin.GetAsync("/v1/admin/budgets?scope=team:search");
        Assert.Single(one["data"]!.AsArray());
    }

    [Fact]
    public async Task AnAlert_IsPostedToTheWebhook_RetriedAfterAFailure()
    {
        await using var webhook = await WebhookReceiver.StartAsync(failFirst: 1);
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 6, 12, 0, 0, TimeSpan.Zero));
        var (h, admin) = await StartAsync($$"""

            budgets:
              alert_webhook: "{{webhook.Url}}"
              alert_webhook_headers: { authorization: "Bearer hook-secret" }
            """, clock);
        await using var _ = h;
        var (id, secret, _) = await admin.CreateKeyAsync("""{"name":"watched","budget":{"limit_usd":0.002,"period":"monthly","alert_at":[0.5]}}""");

        Assert.Equal(200, (await PostAsync(h, secret, Body())).Status);
        await webhook.Attempted.Task.WaitAsync(TimeSpan.FromSeconds(10)); // the first POST failed (500)
        while (!webhook.Delivered.Task.IsCompleted)
        {
            clock.Advance(TimeSpan.FromMilliseconds(250)); // the 1 s backoff runs on the gateway's clock
            await Task.WhenAny(webhook.Delivered.Task, Task.Delay(5));
        }

        var body = await webhook.Delivered.Task;
        Assert.Contains($"\"scope\":\"key:{id}\"", body, StringComparison.Ordinal);
        Assert.Contains("\"threshold\":0.5", body, StringComparison.Ordinal);
        Assert.Equal("Bearer hook-secret", webhook.Authorization);
    }

    /// <summary>A local endpoint that fails its first <c>failFirst</c> POSTs with 500, then keeps the next body.</summary>
    private sealed class WebhookReceiver : IAsyncDisposable
    {
        private readonly Microsoft.AspNetCore.Builder.WebApplication app;
        private int calls;

        private WebhookReceiver(Microsoft.AspNetCore.Builder.WebApplication app) => this.app = app;

        public string Url { get; private set; } = "";

        public string? Authorization { get; private set; }

        public TaskCompletionSource Attempted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource<string> Delivered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public static async Task<WebhookReceiver> StartAsync(int failFirst)
        {
            var builder = Microsoft.AspNetCore.Builder.WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            var receiver = new WebhookReceiver(app);
            app.Run(async http =>
            {
                var body = await new StreamReader(http.Request.Body).ReadToEndAsync();
                if (Interlocked.Increment(ref receiver.calls) <= failFirst)
                {
                    http.Response.StatusCode = 500;
                    receiver.Attempted.TrySetResult();
                    return;
                }

                receiver.Authorization = http.Request.Headers.Authorization;
                receiver.Delivered.TrySetResult(body);
            });
            await app.StartAsync();
            receiver.Url = app.Urls.First();
            return receiver;
        }

        public async ValueTask DisposeAsync() => await app.DisposeAsync();
    }
}
