using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Switchyard.Observability;

/// <summary>
/// <c>telemetry.metrics_listener</c>: a second, separate Kestrel host that serves <c>GET /metrics</c> and nothing else,
/// without a key, for a scraper on a private network or the loopback. Separate on purpose: the model API is never
/// reachable through it, and the main listener keeps its keys (there <c>/metrics</c> needs the operator role).
/// </summary>
internal sealed class MetricsListener : IAsyncDisposable
{
    private readonly WebApplication app;

    private MetricsListener(WebApplication app, Uri address)
    {
        this.app = app;
        Address = address;
    }

    /// <summary>Where it listens (the port resolved when the configured one was 0).</summary>
    public Uri Address { get; }

    /// <summary>Starts listening on <paramref name="address"/>.</summary>
    public static async Task<MetricsListener> StartAsync(Uri address, GatewayTelemetry telemetry, CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseUrls(address.GetLeftPart(UriPartial.Authority));
        builder.WebHost.ConfigureKestrel(k => k.AddServerHeader = false);
        builder.Logging.ClearProviders();
        var app = builder.Build();
        telemetry.MapMetrics(app, guard: null);
        await app.StartAsync(ct).ConfigureAwait(false);
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new MetricsListener(app, new Uri(bound));
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await app.StopAsync().ConfigureAwait(false);
        await app.DisposeAsync().ConfigureAwait(false);
    }
}
