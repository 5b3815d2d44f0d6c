using System.Collections.Frozen;
using YamlDotNet.RepresentationModel;

namespace Switchyard.Configuration;

/// <summary>Binds <c>server:</c>.</summary>
internal static class ServerBinder
{
    private static readonly FrozenSet<string> Keys = FrozenSet.Create(StringComparer.Ordinal, "max_body_size", "data_dir", "circuit_breaker", "body_read_timeout", "echo_model",
        "shutdown_timeout", "max_upstream_event_size", "max_upstream_response_size", "max_upload_size",
        "max_file_size");

    private static bool EchoModel(BindContext ctx, MapView map)
    {
        var text = ctx.String(map["echo_model"], map.PathOf("echo_model"))?.Trim();
        if (text is not (null or "true" or "false"))
        {
            ctx.Error(map.PathOf("echo_model"), "must be true or false");
        }

        return text != "false";
    }

    public static ServerSettings Bind(BindContext ctx, YamlNode? node, string path)
    {
        var map = ctx.Map(node, path, Keys);
        if (map is null)
        {
            return ServerSettings.Default;
        }

        var maxBody = ctx.Size(map["max_body_size"], map.PathOf("max_body_size"));

        // Relative paths stay relative: the host resolves them against its working directory, so the same
        // file works in a container and on a laptop.
        var dataDir = ctx.String(map["data_dir"], map.PathOf("data_dir"));
        if (dataDir is not null && string.IsNullOrWhiteSpace(dataDir))
        {
            ctx.Error(map.PathOf("data_dir"), "must not be empty");
            dataDir = null;
        }

        return new ServerSettings(
            maxBody ?? ServerSettings.DefaultMaxRequestBodyBytes,
            dataDir ?? ServerSettings.DefaultDataDirectory)
        {
            CircuitBreaker = BreakerBinder.Bind(ctx, map["circuit_breaker"], map.PathOf("circuit_breaker"), CircuitBreakerSettings.Default)
                             ?? CircuitBreakerSettings.Default,
            BodyReadTimeout = ctx.Duration(map["body_read_timeout"], map.PathOf("body_read_timeout")) ?? ServerSettings.Default.BodyReadTimeout,
            EchoModel = EchoModel(ctx, map),
            ShutdownTimeout = ctx.Duration(map["shutdown_timeout"], map.PathOf("shutdown_timeout")) ?? ServerSettings.DefaultShutdownTimeout,
            MaxUpstreamEventSize = Bound(ctx, map, "max_upstream_event_size", ServerSettings.DefaultMaxUpstreamEventSize),
            MaxUpstreamResponseSize = Bound(ctx, map, "max_upstream_response_size", ServerSettings.DefaultMaxUpstreamResponseSize),
            MaxUploadBytes = ctx.Size(map["max_upload_size"], map.PathOf("max_upload_size")) ?? ServerSettings.DefaultMaxUploadBytes,
            MaxFileBytes = ctx.Size(map["max_file_size"], map.PathOf("max_file_size")) ?? ServerSettings.DefaultMaxFileBytes,
        };
    }

    /// <summary>A relay bound: a size from 64 KiB (a smaller one would refuse ordinary events) to 1 GiB (a pooled array's reach).</summary>
    private static int Bound(BindContext ctx, MapView map, string key, int fallback)
    {
        const long Min = 64 * 1024, Max = 1L << 30;
        var size = ctx.Size(map[key], map.PathOf(key));
        if (size is { } s && s is < Min or > Max)
        {
            ctx.Error(map.PathOf(key), "must be between 64KiB and 1GiB");
            return fallback;
        }

        return (int)(size ?? fallback);
    }
}
