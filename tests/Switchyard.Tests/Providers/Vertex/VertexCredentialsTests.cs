using Microsoft.Extensions.Time.Testing;
using Switchyard.Canonical;
using Switchyard.Dispatch;
using Switchyard.Providers.Vertex;
using Switchyard.Tests.TestKit.Vertex;
using static Switchyard.Tests.Providers.Vertex.VertexTestDeployments;

namespace Switchyard.Tests.Providers.Vertex;

/// <summary>
/// Where the adapter gets its credentials and how tokens are shared: per provider, across deployments and
/// configuration reloads, from a variable or a key file, with the token endpoint's failures reported as Auth.
/// </summary>
public sealed class VertexCredentialsTests : IAsyncLifetime
{
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2025, 6, 1, 8, 0, 0, TimeSpan.Zero));
    private readonly HttpMessageInvoker http = new(new SocketsHttpHandler());
    private readonly Dictionary<string, string> environment = new(StringComparer.Ordinal);
    private readonly string keyFile = Path.Combine(Path.GetTempPath(), "switchyard-vertex-key-" + Guid.NewGuid().ToString("N") + ".json");
    private FakeGoogleTokenEndpoint tokens = null!;
    private VertexAdapter adapter = null!;

    public async Task InitializeAsync()
    {
        tokens = await FakeGoogleTokenEndpoint.StartAsync();
        environment["VERTEX_SA"] = TestServiceAccount.Shared.Json();
        adapter = new VertexAdapter(time, name => environment.GetValueOrDefault(name), http);
    }

    public async Task DisposeAsync()
    {
        adapter.Dispose();
        http.Dispose();
        await tokens.DisposeAsync();
        File.Delete(keyFile);
    }

    [Fact]
    public void OneToken_ServesEveryDeploymentOfAProvider_AndSurvivesAReload()
    {
        var bearer = Bearer(Deployment(GeminiModel, JsonProvider()));

        Assert.Equal(tokens.Issued[0], bearer);
        Assert.Equal(bearer, Bearer(Deployment(ClaudeModel, JsonProvider())));
        Assert.Equal(bearer, Bearer(Deployment(GeminiModel, JsonProvider()))); // a reload: new provider and deployment objects
        Assert.Equal(1, tokens.Requests);
    }

    [Fact]
    public void ChangedCredentials_GetANewToken()
    {
        Bearer(Deployment(GeminiModel, JsonProvider()));
        environment["VERTEX_SA"] = TestServiceAccount.Shared.Json(withKeyId: false);

        var bearer = Bearer(Deployment(GeminiModel, JsonProvider()));

        Assert.Equal(tokens.Issued[1], bearer);
        Assert.False(TestServiceAccount.Decode(tokens.Assertions[1]).Header.ContainsKey("kid"));
    }

    [Fact]
    public void OtherProviders_MintTheirOwn()
    {
        var a = Bearer(Deployment(GeminiModel, JsonProvider("vertex-a")));
        var b = Bearer(Deployment(GeminiModel, JsonProvider("vertex-b")));

        Assert.NotEqual(a, b);
        Assert.Equal(2, tokens.Mints);
    }

    [Fact]
    public async Task TheKeyFile_NamedByGoogleApplicationCredentials_IsTheDefault()
    {
        await File.WriteAllTextAsync(keyFile, TestServiceAccount.Shared.Json());
        environment["GOOGLE_APPLICATION_CREDENTIALS"] = keyFile;

        var bearer = Bearer(Deployment(ClaudeModel, Provider(Settings(("token_url", tokens.TokenUrl.ToString())))));

        Assert.Equal(tokens.Issued[0], bearer);
    }

    [Fact]
    public void WithoutTokenUrl_TheKeysTokenUri_IsBothEndpointAndAudience()
    {
        environment["VERTEX_SA"] = TestServiceAccount.Shared.Json(tokenUri: tokens.TokenUrl.ToString());
        tokens.Audience = tokens.TokenUrl.ToString();

        var bearer = Bearer(Deployment(GeminiModel, Provider(Settings(("credentials_env", "VERTEX_SA")))));

        Assert.Equal(tokens.Issued[0], bearer);
    }

    [Fact]
    public void ARefusedMint_SendsNoToken_AndThe401IsAnAuthFailureWithTheEndpointsReason()
    {
        tokens.Fail(new TokenFailure(400, "invalid_grant", "Invalid JWT Signature."));
        var deployment = Deployment(GeminiModel, JsonProvider());

        using var message = adapter.BuildRequest(Hello(), deployment, false).Message;
        using var response = new HttpResponseMessage();
        var failure = adapter.ClassifyError(401, """{"error":{"code":401,"message":"Request is missing required authentication credential.","status":"UNAUTHENTICATED"}}"""u8.ToArray(),
            response.Headers, deployment);

        Assert.Null(message.Headers.Authorization);
        Assert.Equal(FailureKind.Auth, failure.Kind);
        Assert.EndsWith("no Vertex access token: the token endpoint answered HTTP 400: invalid_grant (Invalid JWT Signature.)", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE KEY", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ARequestRefusedInTranslation_NeverWaitsForAToken()
    {
        var request = Hello();
        request.N = 2;

        Assert.Throws<UnsupportedFeatureException>(() => adapter.BuildRequest(request, Deployment(ClaudeModel, JsonProvider()), false));
        Assert.Equal(0, tokens.Requests);
    }

    private ProviderConfig JsonProvider(string name = "vertex") =>
        Provider(Settings(("credentials_env", "VERTEX_SA"), ("token_url", tokens.TokenUrl.ToString())), name: name);

    private string? Bearer(DeploymentTarget deployment)
    {
        using var message = adapter.BuildRequest(Hello(), deployment, false).Message;
        return message.Headers.Authorization?.Parameter;
    }
}
