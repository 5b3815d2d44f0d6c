using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Switchyard.Tests.EndToEnd.Admin;

/// <summary>
/// A key's allowed models (else its team's) are enforced before routing: 403 <c>model_not_allowed</c> in the
/// caller's own format, naming the model, with no upstream call; route explain answers exactly the same.
/// </summary>
public sealed class ModelAccessTests : IAsyncLifetime
{
    private const string Yaml = GatewayHarness.Preamble + """
        deployments:
          dep-a: { provider: up-a, model: upstream-model-a }
          dep-b: { provider: up-b, model: upstream-model-b }
        models:
          chat: dep-a
          expensive: dep-b
          openai/gpt-mini: dep-a
          openai/gpt-big: dep-b
        routes:
          premium:
            primary_model: expensive
        teams:
          cheap-team:
            name: Cheap
            allowed_models: [chat]
        """;

    private GatewayHarness h = null!;
    private AdminClient admin = null!;

    public async Task InitializeAsync()
    {
        h = await GatewayHarness.StartAsync(Yaml, env: AdminClient.MasterEnv);
        admin = new AdminClient(h, AdminClient.MasterKey);
    }

    public async Task DisposeAsync() => await h.DisposeAsync();

    [Fact]
    public async Task OpenAIFormat_ModelNotAllowed_Is403NamingTheModel_NoUpstreamCall()
    {
        var (_, secret, _) = await admin.CreateKeyAsync("""{"name":"limited","allowed_models":["chat"]}""");

        using var allowed = await h.PostChatAsync(Wire.ChatJson("chat"), secret);
        using var refused = await h.PostChatAsync(Wire.ChatJson("expensive"), secret);

        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        var error = await Wire.AssertOpenAIErrorAsync(refused, 403, code: "model_not_allowed", param: "model", type: "permission_error");
        Assert.Contains("'expensive'", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(0, h.B.RequestCount);
        var record = await h.UsageWhereAsync(r => r.Status == 403, "the refusal");
        Assert.Equal("model_not_allowed", record.ErrorKind);
    }

    [Fact]
    public async Task AnthropicFormat_ModelNotAllowed_Is403InAnthropicsShape()
    {
        var (_, secret, _) = await admin.CreateKeyAsync("""{"name":"limited","allowed_models":["chat"]}""");

        using var request = h.Post("/v1/messages", """{"model":"expensive","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}""", key: null);
        request.Headers.Add("x-api-key", secret);
        request.Headers.Add("anthropic-version", "2023-06-01");
        using var response = await h.SendAsync(request);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("error", body["type"]!.GetValue<string>());
        Assert.Equal("permission_error", body["error"]!["type"]!.GetValue<string>());
        Assert.Contains("'expensive'", body["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(0, h.A.RequestCount + h.B.RequestCount);
    }

    [Fact]
    public async Task CountTokens_ModelNotAllowed_Is403InAnthropicsShape()
    {
        var (_, secret, _) = await admin.CreateKeyAsync("""{"name":"limited","allowed_models":["chat"]}""");

        using var request = h.Post("/v1/messages/count_tokens", """{"model":"expensive","messages":[{"role":"user","content":"hi"}]}""", key: null);
        request.Headers.Add("x-api-key", secret);
        request.Headers.Add("anthropic-version", "2023-06-01");
        using var response = await h.SendAsync(request);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("permission_error", body["error"]!["type"]!.GetValue<string>());
        Assert.Equal(0, h.A.RequestCount + h.B.RequestCount);
    }

    [Fact]
    public async Task PrefixPattern_AllowsEveryModelUnderIt_AndNothingElse()
    {
        var (_, secret, _) = await admin.CreateKeyAsync("""{"name":"openai-only","allowed_models":["openai/*"]}""");

        using var mini = await h.PostChatAsync(Wire.ChatJson("openai/gpt-mini"), secret);
        using var big = await h.PostChatAsync(Wire.ChatJson("openai/gpt-big"), secret);
        using var chat = await h.PostChatAsync(Wire.ChatJson("chat"), secret);

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (mini.StatusCode, big.StatusCode));
        await Wire.AssertOpenAIErrorAsync(chat, 403, code: "model_not_allowed");
    }

    [Fact]
    public async Task TeamDefaults_ApplyWhenTheKeyNamesNone_TheKeysOwnListWins()
    {
        var (_, teamOnly, _) = await admin.CreateKeyAsync("""{"name":"team default","team":"cheap-team"}""");
        var (_, ownList, _) = await admin.CreateKeyAsync("""{"name":"own list","team":"cheap-team","allowed_models":["expensive"]}""");

        using var teamChat = await h.PostChatAsync(Wire.ChatJson("chat"), teamOnly);
        using var teamExpensive = await h.PostChatAsync(Wire.ChatJson("expensive"), teamOnly);
        using var ownExpensive = await h.PostChatAsync(Wire.ChatJson("expensive"), ownList);

        Assert.Equal(HttpStatusCode.OK, teamChat.StatusCode);
        await Wire.AssertOpenAIErrorAsync(teamExpensive, 403, code: "model_not_allowed");
        Assert.Equal(HttpStatusCode.OK, ownExpensive.StatusCode);
    }

    [Fact]
    public async Task ClientFallbackList_AndNamedRoute_AreCheckedToo()
    {
        var (_, secret, _) = await admin.CreateKeyAsync("""{"name":"limited","allowed_models":["chat"]}""");

        using var fallbacks = await h.PostChatAsync("""{"model":"chat","models":["expensive"],"messages":[{"role":"user","content":"hi"}]}""", secret);
        using var routed = h.Post("/v1/chat/completions", Wire.ChatJson("chat"), secret);
        routed.Headers.Add("x-switchyard-route", "premium");
        using var route = await h.SendAsync(routed);

        await Wire.AssertOpenAIErrorAsync(fallbacks, 403, code: "model_not_allowed", param: "models[0]");
        await Wire.AssertOpenAIErrorAsync(route, 403, code: "model_not_allowed", param: "x-switchyard-route");
        Assert.Equal(0, h.A.RequestCount + h.B.RequestCount);
    }

    [Fact]
    public async Task Explain_AnswersExactlyAsTheRealRequest()
    {
        var (_, secret, _) = await admin.CreateKeyAsync("""{"name":"limited operator","role":"operator","allowed_models":["chat"]}""");

        using var explained = await h.SendAsync(h.Post("/v1/route/explain", Wire.ChatJson("expensive"), secret));
        using var real = await h.PostChatAsync(Wire.ChatJson("expensive"), secret);
        using var allowed = await h.SendAsync(h.Post("/v1/route/explain", Wire.ChatJson("chat"), secret));

        Assert.Equal(HttpStatusCode.Forbidden, explained.StatusCode);
        Assert.Equal(await real.Content.ReadAsStringAsync(), await explained.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal("dep-a", JsonDocument.Parse(await allowed.Content.ReadAsStringAsync()).RootElement.GetProperty("plan")[0].GetProperty("deployment").GetString());
        Assert.Equal(0, h.A.RequestCount + h.B.RequestCount);
    }

    [Fact]
    public async Task UpdatingAllowedModels_TakesEffectOnTheNextRequest()
    {
        var (id, secret, _) = await admin.CreateKeyAsync("""{"name":"limited","allowed_models":["chat"]}""");
        using var before = await h.PostChatAsync(Wire.ChatJson("expensive"), secret);

        await admin.PatchAsync($"/v1/admin/keys/{id}", """{"allowed_models":null}""");
        using var after = await h.PostChatAsync(Wire.ChatJson("expensive"), secret);

        Assert.Equal((HttpStatusCode.Forbidden, HttpStatusCode.OK), (before.StatusCode, after.StatusCode));
    }
}
