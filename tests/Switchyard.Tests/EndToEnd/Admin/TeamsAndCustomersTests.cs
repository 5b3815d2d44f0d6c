using System.Net;

namespace Switchyard.Tests.EndToEnd.Admin;

/// <summary>
/// Teams and customers: CRUD through the admin API, the config file's read-only, and the customer a request is
/// made for (its key's own, else <c>x-switchyard-customer</c>, else the body's <c>user</c>) in its usage record
/// with the key's team.
/// </summary>
public sealed class TeamsAndCustomersTests : IAsyncLifetime
{
    private const string Yaml = GatewayHarness.DefaultYaml + """

        teams:
          platform:
            name: Platform
            limits: { rpm: 100, concurrency: 4 }
            budget: { limit_usd: 500, period: monthly, alert_at: [50%, 0.9] }
            customers:
              internal: { name: Internal tools }
        """;

    private GatewayHarness h = null!;
    private AdminClient admin = null!;

    public async Task InitializeAsync()
    {
        h = await GatewayHarness.StartAsync(Yaml, env: AdminClient.MasterEnv);
        admin = new AdminClient(h, AdminClient.MasterKey);
        Assert.Equal(201, (await admin.PostAsync("/v1/admin/teams", """{"id":"search","name":"Search"}""")).Status);
    }

    public async Task DisposeAsync() => await h.DisposeAsync();

    [Fact]
    public async Task CustomerHeader_ReachesTheRecord_WithTheKeysTeam()
    {
        var (id, secret, _) = await admin.CreateKeyAsync("""{"name":"search app","team":"search"}""");

        using var request = h.Post("/v1/chat/completions", Wire.ChatJson(), secret);
        request.Headers.Add("x-switchyard-customer", "acme-corp");
        using var response = await h.SendAsync(request);

        var record = await h.UsageAsync(GatewayHarness.RecordId(response));
        Assert.Equal((id, "search", "acme-corp"), (record.KeyId, record.TeamId, record.CustomerId));
    }

    [Fact]
    public async Task OpenAIUserField_IsTheCustomer_WhenNoHeaderNamesOne()
    {
        var (_, secret, _) = await admin.CreateKeyAsync("""{"name":"search app","team":"search"}""");

        using var response = await h.PostChatAsync("""{"model":"chat","user":"end-user-42","messages":[{"role":"user","content":"hi"}]}""", secret);
        using var both = h.Post("/v1/chat/completions", """{"model":"chat","user":"end-user-42","messages":[{"role":"user","content":"hi"}]}""", secret);
        both.Headers.Add("x-switchyard-customer", "from-header");
        using var headerWins = await h.SendAsync(both);

        Assert.Equal("end-user-42", (await h.UsageAsync(GatewayHarness.RecordId(response))).CustomerId);
        Assert.Equal("from-header", (await h.UsageAsync(GatewayHarness.RecordId(headerWins))).CustomerId);
    }

    [Fact]
    public async Task KeysOwnCustomer_IsRecorded_AndAnotherCustomerIs403()
    {
        var (_, secret, _) = await admin.CreateKeyAsync("""{"name":"acme's own key","team":"search","customer":"acme"}""");

        using var plain = await h.PostChatAsync("""{"model":"chat","user":"someone","messages":[{"role":"user","content":"hi"}]}""", secret);
        using var other = h.Post("/v1/chat/completions", Wire.ChatJson(), secret);
        other.Headers.Add("x-switchyard-customer", "globex");
        using var refused = await h.SendAsync(other);

        Assert.Equal("acme", (await h.UsageAsync(GatewayHarness.RecordId(plain))).CustomerId);
        await Wire.AssertOpenAIErrorAsync(refused, 403, code: "customer_not_allowed", param: "x-switchyard-customer");
    }

    [Fact]
    public async Task CustomerHeader_TooLong_Is400_AndNothingOfItIsStored()
    {
        var tooLong = new string('c', 257);
        using var request = h.Post("/v1/chat/completions", Wire.ChatJson());
        request.Headers.Add("x-switchyard-customer", tooLong);
        using var response = await h.SendAsync(request);

        await Wire.AssertOpenAIErrorAsync(response, 400, code: "invalid_customer", param: "x-switchyard-customer");
        var record = await h.UsageAsync(GatewayHarness.RecordId(response));
        Assert.Null(record.CustomerId);
        Assert.Equal(0, h.A.RequestCount);
    }

    [Fact]
    public async Task Teams_CreateGetUpdateList_ConfigTeamsReadOnly()
    {
        var (created, team) = await admin.PostAsync("/v1/admin/teams", """{"id":"ml","name":"ML","allowed_models":["chat"],"budget":{"limit_usd":100}}""");
        var (duplicate, _) = await admin.PostAsync("/v1/admin/teams", """{"id":"platform","name":"Again"}""");
        var (patched, updated) = await admin.PatchAsync("/v1/admin/teams/ml", """{"limits":{"tpm":50000},"budget":null}""");
        var (_, list) = await admin.GetAsync("/v1/admin/teams");
        var (configPatch, readOnly) = await admin.PatchAsync("/v1/admin/teams/platform", """{"name":"x"}""");
        var (_, platform) = await admin.GetAsync("/v1/admin/teams/platform");
        var (badId, _) = await admin.PostAsync("/v1/admin/teams", """{"id":"has space","name":"x"}""");

        Assert.Equal((201, 409, 200, 409, 400), (created, duplicate, patched, configPatch, badId));
        Assert.Equal(100m, team["budget"]!["limit_usd"]!.GetValue<decimal>());
        Assert.Null(updated["budget"]);
        Assert.Equal(50000, updated["limits"]!["tpm"]!.GetValue<long>());
        Assert.Equal(["ml", "platform", "search"], list["data"]!.AsArray().Select(t => t!["id"]!.GetValue<string>()));
        Assert.Equal("team_read_only", readOnly["error"]!["code"]!.GetValue<string>());
        Assert.Equal("config", platform["source"]!.GetValue<string>());
        Assert.Equal([0.5, 0.9], platform["budget"]!["alert_at"]!.AsArray().Select(a => a!.GetValue<double>()));
        Assert.Equal(4, platform["limits"]!["concurrency"]!.GetValue<int>());
    }

    [Fact]
    public async Task DeletingATeam_WithALiveKey_Is409_AfterRevocationItGoes()
    {
        var (id, _, _) = await admin.CreateKeyAsync("""{"name":"k","team":"search"}""");

        var (inUse, refused) = await admin.DeleteAsync("/v1/admin/teams/search");
        await admin.PostAsync($"/v1/admin/keys/{id}/revoke");
        var (deleted, body) = await admin.DeleteAsync("/v1/admin/teams/search");
        var (gone, _) = await admin.GetAsync("/v1/admin/teams/search");

        Assert.Equal((409, 200, 404), (inUse, deleted, gone));
        Assert.Equal("team_in_use", refused["error"]!["code"]!.GetValue<string>());
        Assert.True(body["deleted"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Customers_RegisterShowUpdateDelete_ByTeamWhenAmbiguous()
    {
        await admin.PostAsync("/v1/admin/teams", """{"id":"ml","name":"ML"}""");
        var (created, customer) = await admin.PostAsync("/v1/admin/customers", """{"id":"acme/eu","team":"search","name":"Acme EU","limits":{"rpm":10}}""");
        await admin.PostAsync("/v1/admin/customers", """{"id":"acme/eu","team":"ml"}""");
        var (duplicate, _) = await admin.PostAsync("/v1/admin/customers", """{"id":"acme/eu","team":"search"}""");
        var (unknownTeam, unknownBody) = await admin.PostAsync("/v1/admin/customers", """{"id":"x","team":"nope"}""");

        var (ambiguous, _) = await admin.GetAsync("/v1/admin/customers/acme%2Feu");
        var (shown, byTeam) = await admin.GetAsync("/v1/admin/customers/acme%2Feu?team=search");
        var (patched, updated) = await admin.PatchAsync("/v1/admin/customers/acme%2Feu?team=search", """{"budget":{"limit_usd":3}}""");
        var (_, list) = await admin.GetAsync("/v1/admin/customers?team=search");
        var (configDelete, _) = await admin.DeleteAsync("/v1/admin/customers/internal");
        var (deleted, _) = await admin.DeleteAsync("/v1/admin/customers/acme%2Feu?team=ml");
        var (_, remaining) = await admin.GetAsync("/v1/admin/customers/acme%2Feu");

        Assert.Equal((201, 409, 400), (created, duplicate, unknownTeam));
        Assert.Equal("unknown_team", unknownBody["error"]!["code"]!.GetValue<string>());
        Assert.Equal("Acme EU", customer["name"]!.GetValue<string>());
        Assert.Equal((400, 200, 200, 409, 200), (ambiguous, shown, patched, configDelete, deleted));
        Assert.Equal("search", byTeam["team"]!.GetValue<string>());
        Assert.Equal(3m, updated["budget"]!["limit_usd"]!.GetValue<decimal>());
        Assert.Equal(10, updated["limits"]!["rpm"]!.GetValue<int>());
        Assert.Equal(["acme/eu"], list["data"]!.AsArray().Select(c => c!["id"]!.GetValue<string>()));
        Assert.Equal("search", remaining["team"]!.GetValue<string>());
    }

    [Fact]
    public async Task CustomerRecord_GoesThroughStreams_AndAnthropicToo()
    {
        var (_, secret, _) = await admin.CreateKeyAsync("""{"name":"k","team":"platform"}""");

        using var stream = h.Post("/v1/chat/completions", Wire.ChatJson(stream: true), secret);
        stream.Headers.Add("x-switchyard-customer", "internal");
        using var response = await h.SendAsync(stream);
        await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var record = await h.UsageAsync(GatewayHarness.RecordId(response));
        Assert.Equal(("platform", "internal", true), (record.TeamId, record.CustomerId, record.Stream));
    }
}
