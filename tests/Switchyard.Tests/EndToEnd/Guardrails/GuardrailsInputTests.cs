using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;
using OpenAI.Chat;
using Switchyard.Tests.TestKit;

namespace Switchyard.Tests.EndToEnd.Guardrails;

/// <summary>
/// Input guardrails end to end: a block answers 400 in the caller's format naming the rule and sends nothing upstream
/// (the fake counts requests); a redaction sends placeholders, never the value, and restores them in the answer; a flag
/// only records; a key's own policy applies to any alias; the moderation call's deadline follows <c>on_timeout</c>.
/// </summary>
[Collection(Observability.ScrapeCollection.Name)]
public sealed class GuardrailsInputTests
{
    [Fact]
    public async Task Block_Secret_Answers400NamingTheRule_NothingSentUpstream()
    {
        await using var h = await GuardrailsHarness.StartAsync();

        using var response = await h.PostChatAsync(Wire.ChatJson("block-in", content: "my key is sk-proj-Abc123Def456Ghi789Jkl012Mno345, fix it"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = Wire.AssertErrorEnvelope(await response.Content.ReadAsStringAsync(), code: "guardrail_blocked");
        Assert.Contains("in-block/secrets", (string?)error["message"]);
        Assert.DoesNotContain("sk-proj", (string?)error["message"]);
        Assert.Equal(0, h.A.RequestCount);
        var record = await h.SingleUsageAsync();
        Assert.Equal(("in:in-block/secrets:block", 0, "guardrail_blocked"), (record.Guardrails, record.Attempts, record.ErrorKind));
    }

    [Fact]
    public async Task Block_Keyword_AnthropicClient_GetsAnthropicErrorShape()
    {
        await using var h = await GuardrailsHarness.StartAsync();
        var json = """{"model":"block-in","max_tokens":50,"messages":[{"role":"user","content":"Tell me about the Forbidden-Topic."}]}""";

        using var response = await h.SendAsync(h.Post("/v1/messages", json));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("error", (string?)body["type"]);
        Assert.Equal("invalid_request_error", (string?)body["error"]!["type"]);
        Assert.Contains("in-block/banned", (string?)body["error"]!["message"]);
        Assert.Equal(0, h.A.RequestCount);
    }

    [Fact]
    public async Task Block_PromptOverMaxChars_NothingSentUpstream()
    {
        await using var h = await GuardrailsHarness.StartAsync();

        using var response = await h.PostChatAsync(Wire.ChatJson("block-in", content: new string('x', 2001)));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("2001 characters", await response.Content.ReadAsStringAsync());
        Assert.Equal(0, h.A.RequestCount);
    }

    [Fact]
    public async Task Block_PromptOverMaxTokens_ByTheTokenCounter()
    {
        await using var h = await GuardrailsHarness.StartAsync();

        using var small = await h.PostChatAsync(Wire.ChatJson("tokens-in", content: "What is the capital of France?"));
        using var large = await h.PostChatAsync(Wire.ChatJson("tokens-in", content: string.Join(' ', Enumerable.Repeat("tokens", 80))));

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.BadRequest), (small.StatusCode, large.StatusCode));
        Assert.Contains("tokens, more than the 40 allowed", await large.Content.ReadAsStringAsync());
        Assert.Equal(1, h.A.RequestCount);
    }

    [Fact]
    public async Task Redact_SendsPlaceholders_RestoresThemInTheAnswer()
    {
        await using var h = await GuardrailsHarness.StartAsync();
        h.A.Enqueue(UpstreamBehavior.Text("I will write to [EMAIL_1] about card [CARD_1]."));

        var answer = await h.Chat("redact-in").CompleteChatAsync(
            [new UserChatMessage("Email jane.doe@example.com about my card 4111 1111 1111 1111, and again jane.doe@example.com.")]);

        var sent = h.A.LastRequest!.Body;
        Assert.DoesNotContain("jane.doe@example.com", sent);
        Assert.DoesNotContain("4111", sent);
        Assert.Contains("Email [EMAIL_1] about my card [CARD_1], and again [EMAIL_1].", (string?)h.A.LastRequest.Json!["messages"]![0]!["content"]);
        Assert.Equal("I will write to jane.doe@example.com about card 4111 1111 1111 1111.", answer.Value.Content[0].Text);
        Assert.Equal("in:in-redact/pii:redact", (await h.SingleUsageAsync()).Guardrails);
    }

    [Fact]
    public async Task Redact_StreamedAnswer_RestoresPlaceholderSplitAcrossChunks()
    {
        await using var h = await GuardrailsHarness.StartAsync();
        h.A.Enqueue(UpstreamBehavior.TextPieces("Noted: [EMA", "IL_1] it is."));

        var text = await GuardrailsHarness.AnthropicStreamAsync(h, "redact-in", "My address is jane@example.com.");

        Assert.Equal("Noted: jane@example.com it is.", text);
        Assert.Contains("[EMAIL_1]", h.A.LastRequest!.Body);
        Assert.DoesNotContain("jane@example.com", h.A.LastRequest.Body);
    }

    [Fact]
    public async Task Flag_RecordsOnly_BodyPassesThroughUnchanged()
    {
        await using var h = await GuardrailsHarness.StartAsync();
        var json = Wire.ChatJson("flag-in", content: "I am jane@example.com");

        using var response = await h.PostChatAsync(json);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("jane@example.com", h.A.LastRequest!.Body);
        Assert.Equal("in:in-flag/pii:flag", (await h.SingleUsageAsync()).Guardrails);
    }

    [Fact]
    public async Task KeyPolicy_AppliesOnAnAliasWithoutOne()
    {
        await using var h = await GuardrailsHarness.StartAsync();
        var secret = Wire.ChatJson("plain", content: "AKIAIOSFODNN7EXAMPLE is my key");

        using var app = await h.PostChatAsync(secret);
        using var guarded = await h.PostChatAsync(secret, GuardrailsHarness.GuardedKey);

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.BadRequest), (app.StatusCode, guarded.StatusCode));
        Assert.Contains("key-secrets/secrets", await guarded.Content.ReadAsStringAsync());
        Assert.Equal(1, h.A.RequestCount);
    }

    [Fact]
    public async Task AdminKey_WithGuardrails_IsGuarded_UnknownPolicyRefused()
    {
        var env = new Dictionary<string, string>(GuardrailsHarness.Env) { ["SWITCHYARD_MASTER_KEY"] = Admin.AdminClient.MasterKey };
        await using var h = await GatewayHarness.StartAsync(GuardrailsHarness.Yaml, fakes: 1, env: env);
        var admin = new Admin.AdminClient(h, Admin.AdminClient.MasterKey);

        var (id, secret, created) = await admin.CreateKeyAsync("""{"name":"contractor","guardrails":["key-secrets"]}""");
        var (unknown, refusal) = await admin.PostAsync("/v1/admin/keys", """{"name":"x","guardrails":["nope"]}""");
        var (_, listed) = await admin.GetAsync($"/v1/admin/keys/{id}");
        using var guarded = await h.PostChatAsync(Wire.ChatJson("plain", content: "AKIAIOSFODNN7EXAMPLE"), secret);

        Assert.Equal("key-secrets", (string?)created["guardrails"]![0]);
        Assert.Equal("key-secrets", (string?)listed["guardrails"]![0]);
        Assert.Equal(400, unknown);
        Assert.Contains("guardrails[0]", refusal.ToJsonString());
        Assert.Equal(HttpStatusCode.BadRequest, guarded.StatusCode);
        Assert.Equal(0, h.A.RequestCount);
    }

    [Fact]
    public async Task JsonSchema_WholeAnswer_BlockIs502_FlagPassesAndRecords()
    {
        await using var h = await GuardrailsHarness.StartAsync();
        h.A.SetDefault(UpstreamBehavior.Text("""{"n": "three"}"""));

        using var blocked = await h.PostChatAsync(GuardrailsStreamTests.SchemaJson("schema-block", stream: false));
        using var flagged = await h.PostChatAsync(GuardrailsStreamTests.SchemaJson("schema-flag", stream: false));

        Assert.Equal(HttpStatusCode.BadGateway, blocked.StatusCode);
        var error = Wire.AssertErrorEnvelope(await blocked.Content.ReadAsStringAsync(), code: "guardrail_output_schema");
        Assert.Contains("/n", (string?)error["message"]);
        Assert.Equal(HttpStatusCode.OK, flagged.StatusCode);
        Assert.Equal("out:schema-flag/json_schema:flag", (await h.UsageAsync(GatewayHarness.RecordId(flagged))).Guardrails);
        Assert.Equal("out:schema-block/json_schema:block", (await h.UsageAsync(GatewayHarness.RecordId(blocked))).Guardrails);
    }

    [Fact]
    public async Task Moderation_Flagged_Blocks_ChatNeverCalled()
    {
        await using var h = await GuardrailsHarness.StartAsync();

        using var response = await h.PostChatAsync(Wire.ChatJson("mod-allow", content: "here is my attack-plan"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("violence", await response.Content.ReadAsStringAsync());
        var moderation = Assert.Single(h.A.RequestsTo(UpstreamEndpoint.Moderations));
        Assert.Equal("omni-moderation-latest", moderation.Model);
        Assert.Contains("attack-plan", (string?)moderation.Json!["input"]);
        Assert.Equal($"Bearer {GatewayHarness.ProviderKey}", moderation.Authorization);
        Assert.Empty(h.A.RequestsTo(UpstreamEndpoint.ChatCompletions));
    }

    [Theory]
    [InlineData("mod-allow", HttpStatusCode.OK, "in:mod-allow/moderation:timeout-allow")]
    [InlineData("mod-block", HttpStatusCode.ServiceUnavailable, "in:mod-block/moderation:timeout-block")]
    public async Task Moderation_PastItsDeadline_FollowsOnTimeout(string model, HttpStatusCode status, string recorded)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var h = await GuardrailsHarness.StartAsync(time);
        h.A.Enqueue(UpstreamEndpoint.Moderations, UpstreamBehavior.Raw(async (http, _) => await Task.Delay(Timeout.Infinite, http.RequestAborted)));

        var pending = h.PostChatAsync(Wire.ChatJson(model, content: "a harmless question"));
        await h.A.WaitForRequestsAsync(1, GatewayHarness.Bound); // the moderation call is out, its deadline armed
        time.Advance(TimeSpan.FromSeconds(2));
        using var response = await pending;

        Assert.Equal(status, response.StatusCode);
        Assert.Equal(recorded, (await h.SingleUsageAsync()).Guardrails);
        Assert.Equal(status == HttpStatusCode.OK ? 1 : 0, h.A.RequestsTo(UpstreamEndpoint.ChatCompletions).Count);
    }

    [Fact]
    public async Task Metrics_CountEachAction()
    {
        await using var h = await GuardrailsHarness.StartAsync();
        using var flagged = await h.PostChatAsync(Wire.ChatJson("flag-in", content: "I am jane@example.com"));
        using var blocked = await h.PostChatAsync(Wire.ChatJson("block-in", content: "forbidden-topic"));
        await h.UsageAsync(GatewayHarness.RecordId(blocked));
        await h.UsageAsync(GatewayHarness.RecordId(flagged));

        var metrics = await Observability.MetricsEndpointTests.ScrapeAsync(h);

        double Count(string rule, string action) => Observability.MetricsEndpointTests.Single(metrics, "switchyard_guardrails_actions_total", "counter",
            s => s["switchyard_guardrail_rule"] == rule && s["switchyard_guardrail_action"] == action && s["switchyard_guardrail_where"] == "input").Value;
        Assert.Equal((1, 1), (Count("in-flag/pii", "flag"), Count("in-block/banned", "block")));
    }
}
