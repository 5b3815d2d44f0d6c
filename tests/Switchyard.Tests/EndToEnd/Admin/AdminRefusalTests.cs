namespace Switchyard.Tests.EndToEnd.Admin;

/// <summary>One gateway with a master key, shared by tests that only read or are refused (nothing they send is created).</summary>
public sealed class AdminGatewayFixture : IAsyncLifetime
{
    internal GatewayHarness Harness { get; private set; } = null!;

    public async Task InitializeAsync() => Harness = await GatewayHarness.StartAsync(env: AdminClient.MasterEnv);

    public async Task DisposeAsync() => await Harness.DisposeAsync();
}

/// <summary>The admin API's refusals: the role (403 for operator and client keys, 401 without a key) and invalid fields (400 naming the field).</summary>
public sealed class AdminRefusalTests(AdminGatewayFixture fixture) : IClassFixture<AdminGatewayFixture>
{
    private GatewayHarness h => fixture.Harness;

    [Theory]
    [InlineData("GET", "/v1/admin/keys")]
    [InlineData("POST", "/v1/admin/keys")]
    [InlineData("GET", "/v1/admin/keys/app")]
    [InlineData("PATCH", "/v1/admin/keys/app")]
    [InlineData("POST", "/v1/admin/keys/app/rotate")]
    [InlineData("DELETE", "/v1/admin/keys/app")]
    [InlineData("GET", "/v1/admin/teams")]
    [InlineData("POST", "/v1/admin/teams")]
    [InlineData("GET", "/v1/admin/customers")]
    [InlineData("DELETE", "/v1/admin/customers/acme")]
    public async Task AdminEndpoints_OperatorAndClientKeysGet403_NoKey401(string method, string path)
    {
        var (ops, opsBody) = await new AdminClient(h, GatewayHarness.OperatorKey).SendAsync(new HttpMethod(method), path, """{"name":"x"}""");
        var (client, clientBody) = await new AdminClient(h, GatewayHarness.ClientKey).SendAsync(new HttpMethod(method), path, """{"name":"x"}""");
        var (none, noneBody) = await new AdminClient(h, null).SendAsync(new HttpMethod(method), path, """{"name":"x"}""");

        Assert.Equal((403, 403, 401), (ops, client, none));
        Assert.Equal("permission_denied", opsBody["error"]!["code"]!.GetValue<string>());
        Assert.Contains("admin role", clientBody["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("missing_api_key", noneBody["error"]!["code"]!.GetValue<string>());
        var (_, list) = await new AdminClient(h, AdminClient.MasterKey).GetAsync("/v1/admin/keys");
        Assert.Equal(2, list["data"]!.AsArray().Count); // nothing was created
    }

    [Theory]
    [InlineData("""{}""", "name", "missing_field")]
    [InlineData("""{"name":"a","nmae":"b"}""", "nmae", "unknown_field")]
    [InlineData("""{"name":""}""", "name", "invalid_value")]
    [InlineData("""{"name":"a","role":"root"}""", "role", "invalid_value")]
    [InlineData("""{"name":"a","allowed_models":["gpt-*"]}""", "allowed_models[0]", "invalid_value")]
    [InlineData("""{"name":"a","allowed_models":"chat"}""", "allowed_models", "invalid_value")]
    [InlineData("""{"name":"a","allowed_routes":["nope"]}""", "allowed_routes[0]", "unknown_route")]
    [InlineData("""{"name":"a","team":"nope"}""", "team", "unknown_team")]
    [InlineData("""{"name":"a","expires_at":"2001-01-01T00:00:00Z"}""", "expires_at", "invalid_value")]
    [InlineData("""{"name":"a","expires_at":"soon"}""", "expires_at", "invalid_value")]
    [InlineData("""{"name":"a","expires_in":0}""", "expires_in", "invalid_value")]
    [InlineData("""{"name":"a","limits":{"rpm":0}}""", "limits.rpm", "invalid_value")]
    [InlineData("""{"name":"a","limits":{"rpn":5}}""", "limits.rpn", "unknown_field")]
    [InlineData("""{"name":"a","budget":{"period":"monthly"}}""", "budget.limit_usd", "missing_field")]
    [InlineData("""{"name":"a","budget":{"limit_usd":0.0000001}}""", "budget.limit_usd", "invalid_value")]
    [InlineData("""{"name":"a","budget":{"limit_usd":5,"period":"hourly"}}""", "budget.period", "invalid_value")]
    [InlineData("""{"name":"a","budget":{"limit_usd":5,"time_zone":"Mars/Olympus"}}""", "budget.time_zone", "invalid_value")]
    [InlineData("""{"name":"a","customer":""}""", "customer", "invalid_value")]
    public async Task Create_InvalidField_Is400NamingTheField(string json, string param, string code)
    {
        var (status, body) = await new AdminClient(h, AdminClient.MasterKey).PostAsync("/v1/admin/keys", json);

        Assert.True(status == 400, body.ToJsonString());
        Wire.AssertErrorEnvelope(body.ToJsonString(), code: code, param: param, type: "invalid_request_error");
    }
}
