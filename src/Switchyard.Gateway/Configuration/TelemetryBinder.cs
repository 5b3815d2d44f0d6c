using System.Collections.Frozen;
using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace Switchyard.Configuration;

/// <summary>
/// Binds <c>telemetry:</c> (docs/adr/0009-observability.md): the metrics switch and their separate listener, the
/// OTLP push (endpoint, protocol, headers, interval) and the trace switch and sampling. Every problem is reported
/// at its path; header values are never echoed (they carry collector keys).
/// </summary>
internal static class TelemetryBinder
{
    private static readonly FrozenSet<string> Keys = FrozenSet.Create(StringComparer.Ordinal,
        "metrics", "metrics_listener", "otlp_endpoint", "otlp_protocol", "otlp_headers", "traces", "trace_sample_ratio",
        "export_interval", "service_name", "max_label_values");

    private static readonly FrozenSet<string> Protocols = FrozenSet.Create(StringComparer.Ordinal, "http/protobuf", "grpc");

    public static TelemetrySettings Bind(BindContext ctx, YamlNode? node, string path)
    {
        var map = ctx.Map(node, path, Keys);
        if (map is null)
        {
            return TelemetrySettings.Default;
        }

        var defaults = TelemetrySettings.Default;
        return new TelemetrySettings
        {
            Metrics = Bool(ctx, map, "metrics") ?? defaults.Metrics,
            MetricsListener = Url(ctx, map, "metrics_listener"),
            OtlpEndpoint = Url(ctx, map, "otlp_endpoint"),
            OtlpProtocol = Protocol(ctx, map),
            OtlpHeaders = Headers(ctx, map["otlp_headers"], map.PathOf("otlp_headers")),
            Traces = Bool(ctx, map, "traces") ?? defaults.Traces,
            TraceSampleRatio = Ratio(ctx, map) ?? defaults.TraceSampleRatio,
            ExportInterval = Interval(ctx, map) ?? defaults.ExportInterval,
            ServiceName = ServiceName(ctx, map) ?? defaults.ServiceName,
            MaxLabelValues = ctx.Int(map["max_label_values"], map.PathOf("max_label_values"), min: 1, max: 10_000) ?? defaults.MaxLabelValues,
        };
    }

    private static bool? Bool(BindContext ctx, MapView map, string key)
    {
        switch (ctx.String(map[key], map.PathOf(key))?.Trim())
        {
            case null:
                return null;
            case "true":
                return true;
            case "false":
                return false;
            default:
                ctx.Error(map.PathOf(key), "must be true or false");
                return null;
        }
    }

    /// <summary>An absolute http(s) URL without a path beyond <c>/</c> for the listener (Kestrel binds an address, not a path).</summary>
    private static Uri? Url(BindContext ctx, MapView map, string key)
    {
        var path = map.PathOf(key);
        var text = ctx.String(map[key], path)?.Trim();
        if (text is null)
        {
            return null;
        }

        if (!Uri.TryCreate(text.TrimEnd('/'), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            ctx.Error(path, "expected an absolute http:// or https:// URL");
            return null;
        }

        if (key == "metrics_listener" && (uri.AbsolutePath != "/" || uri.Query.Length > 0))
        {
            ctx.Error(path, "expected an address such as http://127.0.0.1:9464 (no path: the listener serves /metrics)");
            return null;
        }

        return uri;
    }

    private static OtlpProtocol Protocol(BindContext ctx, MapView map)
    {
        var path = map.PathOf("otlp_protocol");
        switch (ctx.String(map["otlp_protocol"], path)?.Trim())
        {
            case null or "http/protobuf":
                return OtlpProtocol.HttpProtobuf;
            case "grpc":
                return OtlpProtocol.Grpc;
            case var other:
                ctx.Error(path, $"unknown value '{other}'{Suggestions.Hint(other, Protocols)}; use http/protobuf or grpc");
                return OtlpProtocol.HttpProtobuf;
        }
    }

    private static double? Ratio(BindContext ctx, MapView map)
    {
        var path = map.PathOf("trace_sample_ratio");
        var text = ctx.String(map["trace_sample_ratio"], path)?.Trim();
        if (text is null)
        {
            return null;
        }

        if (!double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var ratio) || ratio is < 0 or > 1)
        {
            ctx.Error(path, "must be a number from 0 to 1");
            return null;
        }

        return ratio;
    }

    private static TimeSpan? Interval(BindContext ctx, MapView map)
    {
        var path = map.PathOf("export_interval");
        var interval = ctx.Duration(map["export_interval"], path);
        if (interval is { } value && (value < TimeSpan.FromMilliseconds(100) || value > TimeSpan.FromHours(1)))
        {
            ctx.Error(path, "must be between 100ms and 1h");
            return null;
        }

        return interval;
    }

    private static string? ServiceName(BindContext ctx, MapView map)
    {
        var path = map.PathOf("service_name");
        var name = ctx.String(map["service_name"], path)?.Trim();
        if (name is not null && name.Length == 0)
        {
            ctx.Error(path, "must not be empty");
            return null;
        }

        return name;
    }

    private static IReadOnlyList<KeyValuePair<string, string>> Headers(BindContext ctx, YamlNode? node, string path)
    {
        var entries = ctx.Entries(node, path);
        if (entries is null)
        {
            return [];
        }

        var headers = new List<KeyValuePair<string, string>>(entries.Count);
        foreach (var (name, valueNode) in entries)
        {
            var headerPath = BindContext.Child(path, name);
            var value = ctx.String(valueNode, headerPath);
            if (name.Length == 0 || name.AsSpan().IndexOfAny("=,\r\n :\0") >= 0)
            {
                ctx.Error(headerPath, "invalid header name");
            }
            else if (value is null || value.AsSpan().IndexOfAny('\r', '\n', '\0') >= 0 || value.Contains(','))
            {
                // The exporter takes headers as "k=v,k2=v2": a comma cannot be sent. Never echo the value (a key).
                ctx.Error(headerPath, "header value is required and may not contain commas or line breaks");
            }
            else
            {
                headers.Add(new KeyValuePair<string, string>(name, value));
            }
        }

        return headers;
    }
}
