using System.Collections.Frozen;
using YamlDotNet.RepresentationModel;

namespace Switchyard.Configuration;

/// <summary>Binds <c>server:</c>.</summary>
internal static class ServerBinder
{
    private static readonly FrozenSet<string> Keys = FrozenSet.Create(StringComparer.Ordinal, "max_body_size", "data_dir", "circuit_breaker");

    private static readonly FrozenSet<string> BreakerKeys = FrozenSet.Create(StringComparer.Ordinal,
        "failure_ratio", "min_requests", "window", "break_for", "half_open_trials", "slow_ttft");

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
            CircuitBreaker = Breaker(ctx, map),
        };
    }

    private static CircuitBreakerSettings Breaker(BindContext ctx, MapView server)
    {
        var d = CircuitBreakerSettings.Default;
        if (ctx.Map(server["circuit_breaker"], server.PathOf("circuit_breaker"), BreakerKeys) is not { } map)
        {
            return d;
        }

        var ratio = d.FailureRatio;
        if (map.Has("failure_ratio"))
        {
            var text = ctx.String(map["failure_ratio"], map.PathOf("failure_ratio"))?.Trim().TrimEnd('%');
            if (double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v) && v > 0 && v <= 100)
            {
                ratio = v > 1 ? v / 100 : v;
            }
            else
            {
                ctx.Error(map.PathOf("failure_ratio"), "must be a share such as 0.5 or 50%");
            }
        }

        return new CircuitBreakerSettings(
            ratio,
            map.Has("min_requests") ? ctx.Int(map["min_requests"], map.PathOf("min_requests"), min: 1) ?? d.MinRequests : d.MinRequests,
            ctx.Duration(map["window"], map.PathOf("window")) ?? d.Window,
            ctx.Duration(map["break_for"], map.PathOf("break_for")) ?? d.BreakFor,
            map.Has("half_open_trials") ? ctx.Int(map["half_open_trials"], map.PathOf("half_open_trials"), min: 1) ?? d.HalfOpenTrials : d.HalfOpenTrials)
        {
            SlowTimeToFirstToken = ctx.Duration(map["slow_ttft"], map.PathOf("slow_ttft")),
        };
    }
}
