using System.IO.Compression;
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

namespace Switchyard.Tests.Observability;

/// <summary>One exported span, as decoded from OTLP protobuf.</summary>
internal sealed record OtlpSpan(string TraceId, string SpanId, string ParentSpanId, string Name, int Kind, string Scope,
    IReadOnlyDictionary<string, object> Attributes, int StatusCode)
{
    /// <summary>OTLP's SpanKind values.</summary>
    public const int Server = 2, Client = 3;

    public object? this[string attribute] => Attributes.TryGetValue(attribute, out var v) ? v : null;

    public override string ToString() =>
        $"{Name} kind={Kind} trace={TraceId} span={SpanId} parent={ParentSpanId} scope={Scope} {string.Join(" ", Attributes.Select(a => $"{a.Key}={a.Value}"))}";
}

/// <summary>
/// An OTLP/HTTP collector in the test process: Kestrel on 127.0.0.1 taking <c>POST /v1/traces</c> and
/// <c>POST /v1/metrics</c> in protobuf (the .NET exporter's HTTP encoding), decoded with a small reader of the protobuf
/// wire format (field numbers from opentelemetry-proto: trace/v1/trace.proto, metrics/v1/metrics.proto,
/// common/v1/common.proto). It keeps spans and metric names, and answers 200 with an empty response message.
/// </summary>
internal sealed class OtlpCollector : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly List<OtlpSpan> spans = [];
    private readonly HashSet<string> metricNames = new(StringComparer.Ordinal);
    private readonly Lock gate = new();

    private OtlpCollector(WebApplication app) => this.app = app;

    /// <summary>The base URL (what <c>telemetry.otlp_endpoint</c> takes).</summary>
    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>Starts a collector on a free port.</summary>
    public static async Task<OtlpCollector> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = ["--hostBuilder:reloadConfigOnChange=false"],
            EnvironmentName = Environments.Production,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var collector = new OtlpCollector(app);
        app.MapPost("/v1/traces", http => collector.ReceiveAsync(http, collector.ReadTraces));
        app.MapPost("/v1/metrics", http => collector.ReceiveAsync(http, collector.ReadMetrics));
        await app.StartAsync();
        collector.BaseUrl = new Uri(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());
        return collector;
    }

    /// <summary>Every span received so far.</summary>
    public IReadOnlyList<OtlpSpan> Spans
    {
        get
        {
            lock (gate)
            {
                return [.. spans];
            }
        }
    }

    /// <summary>Every metric name received so far.</summary>
    public IReadOnlyCollection<string> MetricNames
    {
        get
        {
            lock (gate)
            {
                return [.. metricNames];
            }
        }
    }

    /// <summary>Waits (bounded) until <paramref name="done"/> holds for the spans received.</summary>
    public async Task<IReadOnlyList<OtlpSpan>> WaitForSpansAsync(Func<IReadOnlyList<OtlpSpan>, bool> done, string what)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        while (!done(Spans))
        {
            try
            {
                await Task.Delay(50, deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"Expected {what}; received:\n{string.Join("\n", Spans)}");
            }
        }

        return Spans;
    }

    /// <summary>Waits (bounded) until a metric named <paramref name="name"/> arrived.</summary>
    public async Task WaitForMetricAsync(string name)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        while (!MetricNames.Contains(name))
        {
            try
            {
                await Task.Delay(50, deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"Expected metric {name}; received: {string.Join(", ", MetricNames)}");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }

    private async Task ReceiveAsync(HttpContext http, Action<byte[]> read)
    {
        using var body = new MemoryStream();
        var source = http.Request.Headers.ContentEncoding == "gzip" ? new GZipStream(http.Request.Body, CompressionMode.Decompress) : http.Request.Body;
        await source.CopyToAsync(body);
        read(body.ToArray());
        http.Response.StatusCode = 200;
        http.Response.ContentType = "application/x-protobuf";
    }

    private void ReadTraces(byte[] request)
    {
        var decoded = new List<OtlpSpan>();
        foreach (var resource in Proto.Messages(request, 1))
        {
            foreach (var scopeSpans in Proto.Messages(resource, 2))
            {
                var scope = Proto.Messages(scopeSpans, 1).Select(s => Proto.String(s, 1)).FirstOrDefault() ?? "";
                decoded.AddRange(Proto.Messages(scopeSpans, 2).Select(span => ReadSpan(span, scope)));
            }
        }

        lock (gate)
        {
            spans.AddRange(decoded);
        }
    }

    private static OtlpSpan ReadSpan(byte[] span, string scope)
    {
        var attributes = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var kv in Proto.Messages(span, 9))
        {
            attributes[Proto.String(kv, 1) ?? ""] = Proto.Messages(kv, 2).Select(Proto.AnyValue).FirstOrDefault() ?? "";
        }

        var status = Proto.Messages(span, 15).Select(s => (int)Proto.Varint(s, 3)).FirstOrDefault();
        return new OtlpSpan(Proto.Hex(span, 1), Proto.Hex(span, 2), Proto.Hex(span, 4), Proto.String(span, 5) ?? "", (int)Proto.Varint(span, 6),
            scope, attributes, status);
    }

    private void ReadMetrics(byte[] request)
    {
        var names = Proto.Messages(request, 1).SelectMany(r => Proto.Messages(r, 2)).SelectMany(s => Proto.Messages(s, 2))
            .Select(m => Proto.String(m, 1) ?? "").ToList();
        lock (gate)
        {
            metricNames.UnionWith(names);
        }
    }

    /// <summary>The protobuf wire format, read only as far as these messages need (varints, fixed, length-delimited).</summary>
    private static class Proto
    {
        /// <summary>Every field of <paramref name="message"/>: number, wire type, and its bytes or value.</summary>
        private static IEnumerable<(int Field, int Type, byte[] Bytes, ulong Value)> Fields(byte[] message)
        {
            var i = 0;
            while (i < message.Length)
            {
                var tag = ReadVarint(message, ref i);
                var (field, type) = ((int)(tag >> 3), (int)(tag & 7));
                switch (type)
                {
                    case 0:
                        yield return (field, type, [], ReadVarint(message, ref i));
                        break;
                    case 1:
                        yield return (field, type, message[i..(i + 8)], BitConverter.ToUInt64(message, i));
                        i += 8;
                        break;
                    case 2:
                        var length = (int)ReadVarint(message, ref i);
                        yield return (field, type, message[i..(i + length)], 0);
                        i += length;
                        break;
                    case 5:
                        yield return (field, type, message[i..(i + 4)], BitConverter.ToUInt32(message, i));
                        i += 4;
                        break;
                    default:
                        throw new FormatException($"unsupported wire type {type}");
                }
            }
        }

        private static ulong ReadVarint(byte[] data, ref int i)
        {
            ulong value = 0;
            for (var shift = 0; ; shift += 7)
            {
                var b = data[i++];
                value |= (ulong)(b & 0x7f) << shift;
                if (b < 0x80)
                {
                    return value;
                }
            }
        }

        public static IEnumerable<byte[]> Messages(byte[] message, int field) =>
            Fields(message).Where(f => f.Field == field && f.Type == 2).Select(f => f.Bytes);

        public static string? String(byte[] message, int field) => Messages(message, field).Select(b => Encoding.UTF8.GetString(b)).FirstOrDefault();

        public static string Hex(byte[] message, int field) => Messages(message, field).Select(Convert.ToHexStringLower).FirstOrDefault() ?? "";

        public static ulong Varint(byte[] message, int field) => Fields(message).Where(f => f.Field == field && f.Type == 0).Select(f => f.Value).FirstOrDefault();

        /// <summary>AnyValue: string (1), bool (2), int64 (3), double (4); others as their raw bytes' length.</summary>
        public static object AnyValue(byte[] value)
        {
            foreach (var (field, _, bytes, raw) in Fields(value))
            {
                return field switch
                {
                    1 => Encoding.UTF8.GetString(bytes),
                    2 => raw != 0,
                    3 => (long)raw,
                    4 => BitConverter.Int64BitsToDouble((long)raw),
                    _ => $"<{bytes.Length} bytes>",
                };
            }

            return "";
        }
    }
}
