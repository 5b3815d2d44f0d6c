using System.Collections.Frozen;
using YamlDotNet.RepresentationModel;

namespace Switchyard.Configuration;

/// <summary>
/// Binds <c>redis:</c> (docs/adr/0013-redis-counters.md). The connection string is read from the variable
/// <c>connection_string_env</c> names and never echoed; a missing variable is an error at load, so a fleet never
/// starts on per-replica counters by accident.
/// </summary>
internal static class RedisBinder
{
    private static readonly FrozenSet<string> Keys = FrozenSet.Create(StringComparer.Ordinal,
        "connection_string_env", "timeout", "on_unreachable", "replicas", "key_prefix", "lease_ttl");

    private static readonly FrozenSet<string> Policies = FrozenSet.Create(StringComparer.Ordinal, "fail_closed", "local");

    public static RedisSettings? Bind(BindContext ctx, YamlNode? node, string path)
    {
        var map = ctx.Map(node, path, Keys);
        if (map is null)
        {
            return null;
        }

        var env = AuthBinder.EnvVarName(ctx, map, "connection_string_env");
        var connection = env is null ? null : ctx.Env(env);
        if (env is not null && string.IsNullOrWhiteSpace(connection))
        {
            ctx.Error(map.PathOf("connection_string_env"), $"environment variable {env} is not set");
        }

        var timeout = Timeout(ctx, map, "timeout", RedisSettings.DefaultTimeout, TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(5));
        var leaseTtl = Timeout(ctx, map, "lease_ttl", TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(3), TimeSpan.FromHours(1));
        var replicas = ctx.Int(map["replicas"], map.PathOf("replicas"), min: 1, max: 10_000) ?? 1;
        var prefix = Prefix(ctx, map);
        var policy = Policy(ctx, map);
        return connection is null || env is null
            ? null
            : new RedisSettings(connection, env, timeout, policy, replicas) { KeyPrefix = prefix, LeaseTtl = leaseTtl };
    }

    private static TimeSpan Timeout(BindContext ctx, MapView map, string key, TimeSpan fallback, TimeSpan min, TimeSpan max)
    {
        var value = ctx.Duration(map[key], map.PathOf(key));
        if (value is { } v && (v < min || v > max))
        {
            ctx.Error(map.PathOf(key), $"must be between {Show(min)} and {Show(max)}");
            return fallback;
        }

        return value ?? fallback;
    }

    private static string Show(TimeSpan t) => t < TimeSpan.FromSeconds(1) ? $"{t.TotalMilliseconds}ms" : $"{t.TotalSeconds}s";

    private static RedisFallback Policy(BindContext ctx, MapView map)
    {
        var path = map.PathOf("on_unreachable");
        switch (ctx.String(map["on_unreachable"], path)?.Trim())
        {
            case null or "fail_closed":
                return RedisFallback.FailClosed;
            case "local":
                return RedisFallback.Local;
            case var other:
                ctx.Error(path, $"unknown value '{other}'{Suggestions.Hint(other, Policies)}; use fail_closed or local");
                return RedisFallback.FailClosed;
        }
    }

    private static string Prefix(BindContext ctx, MapView map)
    {
        var path = map.PathOf("key_prefix");
        var prefix = ctx.String(map["key_prefix"], path)?.Trim();
        if (prefix is null)
        {
            return "switchyard";
        }

        if (prefix.Length is 0 or > 64 || prefix.AsSpan().IndexOfAny("{}\r\n \t") >= 0)
        {
            ctx.Error(path, "must be 1 to 64 characters without braces or spaces");
            return "switchyard";
        }

        return prefix;
    }
}
