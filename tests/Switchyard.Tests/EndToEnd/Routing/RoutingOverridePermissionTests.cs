using System.Net;
using System.Text;
using Switchyard.Auth;

namespace Switchyard.Tests.EndToEnd.Routing;

/// <summary>A key with <c>allow_routing_overrides: false</c> cannot steer routing; other keys can.</summary>
public sealed class RoutingOverridePermissionTests : IAsyncLifetime
{
    private const string Locked = GatewayHarness.ClientKey;

    private GatewayHarness h = null!;
    private HttpClient http = null!;

    public async Task InitializeAsync()
    {
        var yaml = """
            auth:
              keys:
                - { id: locked, hash: "{{APP_HASH}}", allow_routing_overrides: false }
                - { id: free, hash: "FREE_HASH" }
            models:
              echo: switchyard-echo
            """.Replace("FREE_HASH", KeyAuthenticator.FormatHash("sk-free"), StringComparison.Ordinal);
        h = await GatewayHarness.StartAsync(yaml, fakes: 0);
        http = new HttpClient { BaseAddress = h.Gateway.BaseAddress };
    }

    private async Task<HttpStatusCode> Send(string key, string body, string? header = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("Authorization", "Bearer " + key);
        if (header is not null)
        {
            request.Headers.Add(header, "none");
        }

        using var r = await http.SendAsync(request);
        return r.StatusCode;
    }

    private const string WithFallbacks = """{"model":"echo","models":["switchyard/echo"],"messages":[{"role":"user","content":"hi"}]}""";
    private const string Plain = """{"model":"echo","messages":[{"role":"user","content":"hi"}]}""";

    [Fact]
    public async Task LockedKey_CannotSendItsOwnFallbacksOrOptOut()
    {
        Assert.Equal(HttpStatusCode.Forbidden, await Send(Locked, WithFallbacks));
        Assert.Equal(HttpStatusCode.Forbidden, await Send(Locked, Plain, "x-switchyard-fallback"));
        Assert.Equal(HttpStatusCode.OK, await Send(Locked, Plain));
    }

    [Fact]
    public async Task OtherKeys_MayOverride()
    {
        Assert.Equal(HttpStatusCode.OK, await Send("sk-free", WithFallbacks));
        Assert.Equal(HttpStatusCode.OK, await Send("sk-free", Plain, "x-switchyard-fallback"));
    }

    public async Task DisposeAsync()
    {
        http.Dispose();
        await h.DisposeAsync();
    }
}
