using System.Collections.Frozen;
using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace Switchyard.Configuration;

/// <summary>
/// Binds a <c>circuit_breaker</c> value wherever it appears (server, deployment, model): <c>off</c>, or a
/// mapping whose fields override <paramref name="inherited"/> one by one.
/// </summary>
internal static class BreakerBinder
{
    private static readonly FrozenSet<string> Keys = FrozenSet.Create(StringComparer.Ordinal,
        "failure_ratio", "min_requests", "window", "break_for", "half_open_trials", "slow_ttft");

    /// <summary>The settings at <paramref name="path"/>, or null when the key is absent (or wrong: reported).</summary>
    public static CircuitBreakerSettings? Bind(BindContext ctx, YamlNode? node, string path, CircuitBreakerSettings inherited)
    {
        if (node is null || BindContext.IsNull(node))
        {
            return null;
        }

        if (node is YamlScalarNode scalar)
        {
            if (scalar.Value is "off" or "false")
            {
                return CircuitBreakerSettings.Off;
            }

            ctx.Error(path, "must be 'off' or a mapping (failure_ratio, min_requests, window, break_for, half_open_trials, slow_ttft)");
            return null;
        }

        return ctx.Map(node, path, Keys) is { } map ? Fields(ctx, map, inherited) : null;
    }

    /// <summary>
    /// A breaker belongs to a deployment, so two aliases that share a deployment without a breaker of its own
    /// must agree on its default; otherwise the file is refused and told where to settle it.
    /// </summary>
    public static void CheckAliasDefaults(BindContext ctx, List<(string Name, AliasDraft? Draft)> aliases)
    {
        var chosen = new Dictionary<string, (string Alias, CircuitBreakerSettings Settings)>(StringComparer.Ordinal);
        foreach (var (name, draft) in aliases)
        {
            if (draft?.CircuitBreaker is not { } settings)
            {
                continue;
            }

            foreach (var d in draft.Deployments.Select(w => w.Deployment).Where(d => d.CircuitBreaker is null))
            {
                if (!chosen.TryAdd(d.Name, (name, settings)) && chosen[d.Name].Settings != settings)
                {
                    ctx.Error(BindContext.Child(draft.Path, "circuit_breaker"),
                        $"deployment '{d.Name}' is also a deployment of model '{chosen[d.Name].Alias}' with another circuit_breaker; "
                        + $"a breaker belongs to the deployment: set deployments.{d.Name}.circuit_breaker");
                }
            }
        }
    }

    private static CircuitBreakerSettings Fields(BindContext ctx, MapView map, CircuitBreakerSettings d)
    {
        var ratio = d.FailureRatio;
        if (map.Has("failure_ratio"))
        {
            var text = ctx.String(map["failure_ratio"], map.PathOf("failure_ratio"))?.Trim().TrimEnd('%');
            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v > 0 && v <= 100)
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
            SlowTimeToFirstToken = map.Has("slow_ttft") ? ctx.Duration(map["slow_ttft"], map.PathOf("slow_ttft")) : d.SlowTimeToFirstToken,
        };
    }
}
