using System.Net;
using System.Text;
using Switchyard.Auth;
using Switchyard.Hosting;

namespace Switchyard.Tests.EndToEnd.Routing;

/// <summary>A key with <c>allow_routing_overrides: false</c> cannot steer routing; other keys can.</summary>
public sealed class RoutingOverridePermissionTests : IAsyncLifetime
{
    private readonly string dataDir = Directory.CreateTempSubdirectory("switchyard-perm-").FullName;
    private GatewayApp gateway = null!;
    private HttpClient http = null!;

    public async Task InitializeAsync()
    {
        gateway = await GatewayApp.StartAsync(new GatewayStartOptions
        {
            ConfigYaml = $$"""
                auth:
                  keys:
                    - { id: locked, hash: "{{KeyAuthenticator.FormatHash("sk-locked")}}", allow_routing_overrides: false }
                    - { id: free, hash: "{{KeyAuthenticator.FormatHash("sk-free")}}" }
                models:
                  echo: switchyard-echo
                """,
            Urls = "http://127.0.0.1:0",
            DataDirectory = dataDir,
            Environment = _ => null,
            ConsoleLogging = false,
        });
        http = new HttpClient { BaseAddress = gateway.BaseAddress };
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
        Assert.Equal(HttpStatusCode.Forbidden, await Send("sk-locked", WithFallbacks));
        Assert.Equal(HttpStatusCode.Forbidden, await Send("sk-locked", Plain, "x-switchyard-fallback"));
        Assert.Equal(HttpStatusCode.OK, await Send("sk-locked", Plain));
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
        await gateway.DisposeAsync();
        try
        {
            Directory.Delete(dataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
