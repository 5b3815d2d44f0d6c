using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Switchyard.Health;

namespace Switchyard.Observability;

/// <summary>
/// The gateway's metrics and traces, built once at start from <c>telemetry:</c> (docs/adr/0009-observability.md): the
/// meter and its instruments, the OpenTelemetry SDK providers that collect them (Prometheus text for <c>/metrics</c>;
/// OTLP when an endpoint is set), the request observers Settle calls, and the optional separate metrics listener.
/// With metrics and traces off nothing here exists: no observer, no listener, nothing on the request path.
/// </summary>
public sealed class GatewayTelemetry : IAsyncDisposable
{
    private static readonly string? Version = typeof(GatewayTelemetry).Assembly.GetName().Version?.ToString();

    private readonly Meter? meter;
    private readonly MeterProvider? meters;
    private readonly TracerProvider? tracer;
    private readonly List<IRequestObserver> observers = [];
    private MetricsListener? listener;

    /// <summary>Builds what <paramref name="settings"/> asks for.</summary>
    /// <param name="settings"><c>telemetry:</c>.</param>
    /// <param name="router">The live configuration (deployments for the gauges, providers for span names).</param>
    /// <param name="health">Deployment health (circuit states, in flight).</param>
    /// <param name="usage">The usage writer's backlog, read at each collection.</param>
    /// <param name="time">The gateway's clock (the attempt log's timestamps).</param>
    /// <param name="logs">Logging.</param>
    /// <param name="cache">The exact cache, whose size the gauges read (none: no cache gauges).</param>
    public GatewayTelemetry(TelemetrySettings settings, RouterState router, HealthRegistry health, Func<UsageBacklog> usage, TimeProvider time,
        ILoggerFactory logs, IResponseCache? cache = null)
    {
        Settings = settings;
        var resource = ResourceBuilder.CreateDefault().AddService(settings.ServiceName, serviceVersion: Version);
        if (settings.Metrics)
        {
            meter = new Meter(GatewayInstruments.MeterName, Version);
            StateGauges.Create(meter, router, health, usage, cache);
            observers.Add(new RequestMetrics(new GatewayInstruments(meter), time, settings.MaxLabelValues, logs.CreateLogger<RequestMetrics>()));
            meters = BuildMeters(settings, resource);
        }

        if (settings.Tracing)
        {
            observers.Add(new RequestSpans());
            tracer = BuildTracer(settings, resource, router);
        }
    }

    /// <summary>The settings this was built from.</summary>
    public TelemetrySettings Settings { get; }

    /// <summary>What Settle calls for each request (metrics, then spans; empty when both are off).</summary>
    public IReadOnlyList<IRequestObserver> Observers => observers;

    /// <summary>Where the separate metrics listener listens, once started; null without one.</summary>
    public Uri? ListenerAddress => listener?.Address;

    /// <summary>
    /// Maps <c>/metrics</c> (Prometheus text format) on <paramref name="endpoints"/>, behind <paramref name="guard"/>
    /// (a middleware that answers the caller itself unless it may scrape). Does nothing when metrics are off.
    /// </summary>
    public void MapMetrics(IEndpointRouteBuilder endpoints, Func<Microsoft.AspNetCore.Http.HttpContext, Func<Task>, Task>? guard)
    {
        if (meters is null)
        {
            return;
        }

        endpoints.MapPrometheusScrapingEndpoint("/metrics", meters, guard is null ? null! : branch => branch.Use(guard), null!);
    }

    /// <summary>Starts the separate metrics listener when <c>metrics_listener</c> is set (after the gateway's own).</summary>
    public async Task StartListenerAsync(CancellationToken ct)
    {
        if (meters is not null && Settings.MetricsListener is { } address)
        {
            listener = await MetricsListener.StartAsync(address, this, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Stops the listener and flushes what the exporters still hold.</summary>
    public async ValueTask DisposeAsync()
    {
        if (listener is not null)
        {
            await listener.DisposeAsync().ConfigureAwait(false);
        }

        tracer?.Dispose();
        meters?.Dispose();
        meter?.Dispose();
    }

    private static MeterProvider BuildMeters(TelemetrySettings settings, ResourceBuilder resource)
    {
        // System.Runtime: the runtime's own meter (GC, heap, thread pool, CPU): observable only, nothing per request.
        var builder = Sdk.CreateMeterProviderBuilder()
            .SetResourceBuilder(resource)
            .AddMeter(GatewayInstruments.MeterName, "System.Runtime")
            .AddPrometheusExporter(o =>
            {
                o.ScrapeResponseCacheDurationMilliseconds = 0; // a scrape sees every request settled before it
                o.ScopeInfoEnabled = false; // the metric names say where they come from; no otel_scope_* label on each series
            });
        if (settings.OtlpEndpoint is not null)
        {
            builder.AddOtlpExporter((exporter, reader) =>
            {
                Configure(exporter, settings, "v1/metrics");
                reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = (int)settings.ExportInterval.TotalMilliseconds;
            });
        }

        return builder.Build();
    }

    /// <summary>
    /// Spans of the gateway's source and ASP.NET Core's server spans (the request's span: listening to it is what
    /// continues a client's <c>traceparent</c>), sampled parent-first, named and filtered by
    /// <see cref="GatewaySpanProcessor"/>, then batched to OTLP.
    /// </summary>
    private static TracerProvider BuildTracer(TelemetrySettings settings, ResourceBuilder resource, RouterState router) =>
        Sdk.CreateTracerProviderBuilder()
            .SetResourceBuilder(resource)
            .AddSource(GatewayTracing.SourceName, GatewaySpanProcessor.HostingSource)
            .SetSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(settings.TraceSampleRatio)))
            .AddProcessor(new GatewaySpanProcessor(router))
            .AddOtlpExporter(exporter =>
            {
                Configure(exporter, settings, "v1/traces");
                exporter.BatchExportProcessorOptions.ScheduledDelayMilliseconds = (int)Math.Min(5000, settings.ExportInterval.TotalMilliseconds);
            })
            .Build()!;

    /// <summary>
    /// The endpoint is a base URL, as in <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>: over HTTP each signal goes to its own
    /// path under it (the SDK uses a programmatic endpoint as is, so the path is added here); gRPC takes it as is.
    /// </summary>
    private static void Configure(OtlpExporterOptions exporter, TelemetrySettings settings, string signalPath)
    {
        var endpoint = settings.OtlpEndpoint!;
        exporter.Protocol = settings.OtlpProtocol == OtlpProtocol.Grpc ? OtlpExportProtocol.Grpc : OtlpExportProtocol.HttpProtobuf;
        exporter.Endpoint = settings.OtlpProtocol == OtlpProtocol.Grpc ? endpoint : new Uri(endpoint.AbsoluteUri.TrimEnd('/') + "/" + signalPath);
        if (settings.OtlpHeaders.Count > 0)
        {
            exporter.Headers = string.Join(",", settings.OtlpHeaders.Select(h => $"{h.Key}={h.Value}"));
        }
    }
}
