using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Switchyard.Tests.TestKit;

/// <summary>
/// An in-process fake of the OpenAI API on a real Kestrel socket (127.0.0.1, random port), speaking the exact
/// wire format of <c>POST /v1/chat/completions</c> (JSON and SSE), <c>POST /v1/embeddings</c> and <c>GET /v1/models</c>.
/// Point the gateway (or any OpenAI client) at <see cref="BaseUrl"/>; script answers with
/// <see cref="Enqueue(UpstreamBehavior[])"/> / <see cref="SetDefault(UpstreamBehavior)"/>; inspect what arrived
/// with <see cref="Requests"/>. A real socket (not TestServer) is used so timeouts, aborts and connection cuts
/// behave exactly as they would against the real upstream.
/// </summary>
public sealed partial class FakeOpenAIUpstream : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _shutdown = new();
    private int _disposed;

    private FakeOpenAIUpstream(WebApplication app, TimeProvider time)
    {
        _app = app;
        _time = time;
        _stallRelease = CancellationTokenSource.CreateLinkedTokenSource(_shutdown.Token);
        ResetScripts();
    }

    /// <summary>The API root including <c>/v1</c>, e.g. <c>http://127.0.0.1:54321/v1</c> (no trailing slash) — the value an OpenAI client takes as its endpoint.</summary>
    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>
    /// Starts a fake on a free port. <paramref name="timeProvider"/> drives <see cref="UpstreamBehavior.Delay"/>,
    /// stall limits, <c>created</c> and timestamps; pass a <c>FakeTimeProvider</c> to release delays deterministically.
    /// </summary>
    public static async Task<FakeOpenAIUpstream> StartAsync(TimeProvider? timeProvider = null, CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            // Isolate from the test host: no appsettings file watcher per instance (tests start many fakes) and
            // no environment-specific behaviour picked up from ASPNETCORE_* variables.
            Args = ["--hostBuilder:reloadConfigOnChange=false"],
            EnvironmentName = Environments.Production,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2));

        var app = builder.Build();
        var fake = new FakeOpenAIUpstream(app, timeProvider ?? TimeProvider.System);
        app.Run(fake.HandleAsync);
        await app.StartAsync(cancellationToken);

        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        fake.BaseUrl = new Uri(address.TrimEnd('/') + "/v1");
        return fake;
    }

    /// <summary>An absolute URL under <see cref="BaseUrl"/>, e.g. <c>UrlFor("chat/completions")</c>.</summary>
    public Uri UrlFor(string relativePath) => new(BaseUrl.AbsoluteUri.TrimEnd('/') + "/" + relativePath.TrimStart('/'));

    /// <summary>Releases stalls and delays, then stops the server (in-flight requests get a short grace period).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _shutdown.CancelAsync();
        using (var stopTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            try
            {
                await _app.StopAsync(stopTimeout.Token);
            }
            catch (OperationCanceledException)
            {
                // A connection that would not close in time is not worth failing a test over.
            }
        }

        await _app.DisposeAsync();
        lock (_gate)
        {
            _stallRelease.Dispose();
        }

        _shutdown.Dispose();
    }

    /// <summary>Azure OpenAI serves the same operations at <c>/openai/deployments/{name}/…</c> and <c>/openai/v1/…</c>,
    /// so the fake can stand in for an Azure resource too (tests check the path it recorded).</summary>
    private static string? OpenAIPath(string? path)
    {
        if (path is null || !path.StartsWith("/openai/", StringComparison.Ordinal))
        {
            return path;
        }

        var segments = path.Split('/');
        return segments is ["", "openai", "deployments", _, .. var rest] ? "/v1/" + string.Join('/', rest)
            : segments is ["", "openai", "v1", ..] ? path["/openai".Length..]
            : path;
    }

    private static UpstreamEndpoint? Route(HttpRequest request) => (request.Method, OpenAIPath(request.Path.Value?.TrimEnd('/'))) switch
    {
        ("POST", "/v1/chat/completions") => UpstreamEndpoint.ChatCompletions,
        ("POST", "/v1/embeddings") => UpstreamEndpoint.Embeddings,
        ("GET", "/v1/models") => UpstreamEndpoint.Models,
        ("POST", "/v1/moderations") => UpstreamEndpoint.Moderations,
        _ => null,
    };

    private static Dictionary<string, string> SnapshotHeaders(IHeaderDictionary headers)
    {
        var copy = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in headers)
        {
            copy[name] = values.ToString();
        }

        return copy;
    }

    private async Task HandleAsync(HttpContext http)
    {
        string body;
        try
        {
            using var reader = new StreamReader(http.Request.Body, Encoding.UTF8);
            body = await reader.ReadToEndAsync(http.RequestAborted);
        }
        catch (Exception) when (http.RequestAborted.IsCancellationRequested)
        {
            return;
        }

        var endpoint = Route(http.Request);
        var record = Record(http, body, endpoint, out var behavior);
        http.Response.Headers["x-request-id"] = record.RequestId;

        if (behavior is null || endpoint is null)
        {
            var error = OpenAIWire.Error($"Invalid URL ({http.Request.Method} {http.Request.Path})", "invalid_request_error", null, null);
            http.Response.StatusCode = StatusCodes.Status404NotFound;
            http.Response.ContentType = "application/json";
            await http.Response.WriteAsync(OpenAIWire.Serialize(error));
            return;
        }

        if (OpenAIWire.UnrecognizedArgument(endpoint.Value, body) is { } unknown)
        {
            // The real API's answer to a field it does not know (e.g. a gateway-only "models" list leaking through).
            var error = OpenAIWire.Error($"Unrecognized request argument supplied: {unknown}", "invalid_request_error", null, null);
            http.Response.StatusCode = StatusCodes.Status400BadRequest;
            http.Response.ContentType = "application/json";
            await http.Response.WriteAsync(OpenAIWire.Serialize(error));
            return;
        }

        using var aborted = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, _shutdown.Token);
        var context = new BehaviorContext
        {
            Http = http,
            Request = record,
            Endpoint = endpoint.Value,
            Time = _time,
            Aborted = aborted.Token,
            StallsReleased = CurrentStallReleaseToken(),
            DefaultFor = DefaultFor,
        };

        try
        {
            await context.RunAsync(behavior);
        }
        catch (Exception) when (aborted.IsCancellationRequested || context.SelfAborted)
        {
            // The client went away (or we cut it off on purpose): failed writes are the expected outcome.
        }
        catch (Exception ex)
        {
            AddHandlerError(ex);
            if (!http.Response.HasStarted)
            {
                http.Response.Clear();
                http.Response.Headers["x-request-id"] = record.RequestId;
                var error = OpenAIWire.Error($"Fake upstream handler failed: {ex.Message}", "fake_upstream_error", null, null);
                await context.WriteJsonAsync(StatusCodes.Status500InternalServerError, OpenAIWire.Serialize(error));
            }
            else
            {
                http.Abort();
            }
        }
        finally
        {
            // Checked once the behaviour has returned rather than in a RequestAborted callback: the callback can race
            // with the behaviour finishing on the same thread, which made abort counting flaky.
            if (http.RequestAborted.IsCancellationRequested && !context.SelfAborted)
            {
                OnClientAborted(record);
            }
        }
    }
}
