using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Switchyard.Tests.TestKit.Vertex;

/// <summary>A scripted token-endpoint failure: an OAuth error body with a status.</summary>
public sealed record TokenFailure(int Status, string Error, string Description);

/// <summary>
/// An in-process fake of Google's OAuth2 token endpoint on a real Kestrel socket (127.0.0.1, random port):
/// <c>POST /token</c> with the form <c>grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&amp;assertion=JWT</c>.
/// Like Google it checks the assertion's signature against the account's public key and its claims, answering
/// <c>400 invalid_grant</c> otherwise, and issues opaque tokens (<c>ya29.fake-N</c>) that
/// <see cref="IsValid"/> recognises, so a fake upstream can check the bearer token it receives.
/// </summary>
public sealed class FakeGoogleTokenEndpoint : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly TestServiceAccount account;
    private readonly Lock gate = new();
    private readonly List<string> issued = [];
    private readonly List<string> assertions = [];
    private readonly Queue<TokenFailure> failures = new();
    private int requests;

    private FakeGoogleTokenEndpoint(WebApplication app, TestServiceAccount account, string audience)
    {
        this.app = app;
        this.account = account;
        Audience = audience;
    }

    /// <summary>The <c>aud</c> claim accepted (Google's endpoint URL unless a test points the key's token_uri here).</summary>
    public string Audience { get; set; }

    /// <summary>The endpoint (<c>http://127.0.0.1:PORT/token</c>): a provider's <c>token_url</c> setting.</summary>
    public Uri TokenUrl { get; private set; } = null!;

    /// <summary>The <c>expires_in</c> of issued tokens (Google's is 3599 s).</summary>
    public int ExpiresInSeconds { get; set; } = 3599;

    /// <summary>When set, each request waits for it before answering (to hold mints in flight).</summary>
    public TaskCompletionSource? Hold { get; set; }

    /// <summary>Requests received, valid or not.</summary>
    public int Requests => Volatile.Read(ref requests);

    /// <summary>Tokens issued (successful mints), in order.</summary>
    public IReadOnlyList<string> Issued
    {
        get
        {
            lock (gate)
            {
                return [.. issued];
            }
        }
    }

    /// <summary>Successful mints.</summary>
    public int Mints => Issued.Count;

    /// <summary>Every assertion received, in order.</summary>
    public IReadOnlyList<string> Assertions
    {
        get
        {
            lock (gate)
            {
                return [.. assertions];
            }
        }
    }

    /// <summary>Starts a fake that accepts assertions of <paramref name="account"/> addressed to <paramref name="audience"/>.</summary>
    public static async Task<FakeGoogleTokenEndpoint> StartAsync(TestServiceAccount? account = null, string audience = TestServiceAccount.GoogleTokenUri)
    {
        var app = LoopbackServer.Create();
        var fake = new FakeGoogleTokenEndpoint(app, account ?? TestServiceAccount.Shared, audience);
        app.Run(fake.HandleAsync);
        var address = await LoopbackServer.StartAsync(app);
        fake.TokenUrl = new Uri(address.TrimEnd('/') + "/token");
        return fake;
    }

    /// <summary>Scripts the next answers as failures, in order.</summary>
    public void Fail(params TokenFailure[] next)
    {
        lock (gate)
        {
            foreach (var f in next)
            {
                failures.Enqueue(f);
            }
        }
    }

    /// <summary>True for a token this fake issued.</summary>
    public bool IsValid(string? token)
    {
        lock (gate)
        {
            return token is not null && issued.Contains(token);
        }
    }

    /// <summary>Waits (real time) until <see cref="Requests"/> reaches <paramref name="count"/>.</summary>
    public async Task WaitForRequestsAsync(int count, int timeoutMs = 10_000)
    {
        var deadline = Environment.TickCount64 + timeoutMs;
        while (Requests < count)
        {
            Assert.True(Environment.TickCount64 < deadline, $"expected {count} token requests, got {Requests}");
            await Task.Delay(10);
        }
    }

    /// <summary>Waits (real time) until <see cref="Mints"/> reaches <paramref name="count"/>, then a moment for the client to store it.</summary>
    public async Task WaitForMintsAsync(int count, int timeoutMs = 10_000)
    {
        var deadline = Environment.TickCount64 + timeoutMs;
        while (Mints < count)
        {
            Assert.True(Environment.TickCount64 < deadline, $"expected {count} mints, got {Mints}");
            await Task.Delay(10);
        }

        await Task.Delay(50);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Hold?.TrySetResult();
        await LoopbackServer.StopAsync(app);
    }

    private async Task HandleAsync(HttpContext http)
    {
        Interlocked.Increment(ref requests);
        if (http.Request.Method != "POST" || http.Request.Path != "/token" || !http.Request.HasFormContentType)
        {
            await WriteAsync(http, 400, new JsonObject { ["error"] = "invalid_request", ["error_description"] = "Bad Request" });
            return;
        }

        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        if (Hold is { } hold)
        {
            await hold.Task.WaitAsync(http.RequestAborted);
        }

        string? assertion = form["assertion"];
        lock (gate)
        {
            assertions.Add(assertion ?? "");
        }

        TokenFailure? failure;
        lock (gate)
        {
            failure = failures.TryDequeue(out var f) ? f : null;
        }

        if (failure is not null)
        {
            await WriteAsync(http, failure.Status, new JsonObject { ["error"] = failure.Error, ["error_description"] = failure.Description });
            return;
        }

        if (form["grant_type"] != "urn:ietf:params:oauth:grant-type:jwt-bearer")
        {
            await WriteAsync(http, 400, new JsonObject { ["error"] = "unsupported_grant_type", ["error_description"] = "Invalid grant_type: " + form["grant_type"] });
            return;
        }

        var problem = assertion is null ? "Missing required parameter: assertion" : account.Verify(assertion, Audience);
        if (problem is not null)
        {
            await WriteAsync(http, 400, new JsonObject { ["error"] = "invalid_grant", ["error_description"] = problem });
            return;
        }

        string token;
        lock (gate)
        {
            token = $"ya29.fake-{issued.Count + 1}-{FakeIds.Alnum(16)}";
            issued.Add(token);
        }

        await WriteAsync(http, 200, new JsonObject { ["access_token"] = token, ["expires_in"] = ExpiresInSeconds, ["token_type"] = "Bearer" });
    }

    private static Task WriteAsync(HttpContext http, int status, JsonObject body)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json; charset=utf-8";
        return http.Response.WriteAsync(body.ToJsonString());
    }
}
