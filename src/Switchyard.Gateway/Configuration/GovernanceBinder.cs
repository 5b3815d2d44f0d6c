using System.Collections.Frozen;
using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace Switchyard.Configuration;

/// <summary>
/// Binds the governance values shared by <c>auth.keys</c>, <c>teams</c> and their customers: allowed models,
/// metadata, expiry, <c>limits</c>, <c>model_limits</c> and <c>budget</c>. The rules are <see cref="GovernanceRules"/>', the same the
/// admin API applies. Governance/LimitStage and BudgetStage enforce the limits and budgets (docs/adr/0011).
/// </summary>
internal static class GovernanceBinder
{
    private static readonly FrozenSet<string> LimitKeys = FrozenSet.Create(StringComparer.Ordinal, "rpm", "tpm", "input_tpm", "output_tpm", "concurrency", "on_unreachable");

    private static readonly FrozenSet<string> BudgetKeys =
        FrozenSet.Create(StringComparer.Ordinal, "limit_usd", "period", "time_zone", "alert_at", "streams", "max_reservation_usd", "on_unreachable");

    private static readonly string[] Periods = ["daily", "weekly", "monthly", "lifetime"];

    private static readonly string[] StreamModes = ["hard_stop", "finish"];

    private static readonly string[] Fallbacks = ["fail_closed", "local"];

    /// <summary>A list of model names or <c>prefix/*</c> patterns; empty when absent.</summary>
    public static IReadOnlyList<string> Models(BindContext ctx, YamlNode? node, string path)
    {
        var list = Strings(ctx, node, path);
        for (var i = 0; i < list.Count; i++)
        {
            if (GovernanceRules.CheckModelPattern(list[i]) is { } error)
            {
                ctx.Error(BindContext.Index(path, i), error);
            }
        }

        return list;
    }

    /// <summary>A list of non-empty strings; empty when absent.</summary>
    public static List<string> Strings(BindContext ctx, YamlNode? node, string path)
    {
        var list = new List<string>();
        var seq = ctx.Sequence(node, path);
        for (var i = 0; seq is not null && i < seq.Children.Count; i++)
        {
            var itemPath = BindContext.Index(path, i);
            if (ctx.String(seq.Children[i], itemPath) is { Length: > 0 } value)
            {
                list.Add(value.Trim());
            }
            else
            {
                ctx.Error(itemPath, "must be a non-empty string");
            }
        }

        return list;
    }

    /// <summary>String pairs; empty when absent.</summary>
    public static IReadOnlyDictionary<string, string> Metadata(BindContext ctx, YamlNode? node, string path)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in ctx.Entries(node, path) ?? [])
        {
            var text = ctx.String(value, BindContext.Child(path, key));
            if (text is null || key.Length > GovernanceRules.MaxMetadataLength || text.Length > GovernanceRules.MaxMetadataLength)
            {
                ctx.Error(BindContext.Child(path, key), $"must be a string of at most {GovernanceRules.MaxMetadataLength} characters");
                continue;
            }

            map[key] = text;
        }

        return map;
    }

    /// <summary>An instant (<c>2027-01-31T00:00:00Z</c>, or a date: midnight UTC), or null.</summary>
    public static DateTimeOffset? Instant(BindContext ctx, YamlNode? node, string path)
    {
        var text = ctx.String(node, path);
        if (text is null)
        {
            return null;
        }

        if (GovernanceRules.TryParseInstant(text, out var value))
        {
            return value;
        }

        ctx.Error(path, "expected an ISO 8601 instant such as 2027-01-31T00:00:00Z (or a date: 2027-01-31)");
        return null;
    }

    /// <summary><c>limits: { rpm, tpm, input_tpm, output_tpm, concurrency }</c>, each a positive integer; null when absent or empty.</summary>
    public static LimitSet? Limits(BindContext ctx, YamlNode? node, string path)
    {
        var map = ctx.Map(node, path, LimitKeys);
        if (map is null)
        {
            return null;
        }

        var limits = new LimitSet(
            ctx.Int(map["rpm"], map.PathOf("rpm"), min: 1),
            Long(ctx, map, "tpm"),
            Long(ctx, map, "input_tpm"),
            Long(ctx, map, "output_tpm"),
            ctx.Int(map["concurrency"], map.PathOf("concurrency"), min: 1))
        {
            OnUnreachable = Named(ctx, map, "on_unreachable", Fallbacks, GovernanceRules.ParseFallback),
        };
        return limits.IsEmpty ? null : limits;
    }

    /// <summary>
    /// <c>model_limits: { MODEL: { rpm, tpm, ... } }</c>: a key's limits per model (key × model), each checked like
    /// <c>limits</c>; the model is an exact name (<see cref="GovernanceRules.CheckModelName"/>). Empty when absent.
    /// </summary>
    public static IReadOnlyDictionary<string, LimitSet> ModelLimits(BindContext ctx, YamlNode? node, string path)
    {
        var result = new Dictionary<string, LimitSet>(StringComparer.Ordinal);
        var entries = ctx.Entries(node, path) ?? [];
        if (entries.Count > GovernanceRules.MaxListEntries)
        {
            ctx.Error(path, $"at most {GovernanceRules.MaxListEntries} models");
        }

        foreach (var (model, value) in entries)
        {
            var entryPath = BindContext.Child(path, model);
            if (GovernanceRules.CheckModelName(model) is { } badName)
            {
                ctx.Error(entryPath, badName);
                continue;
            }

            var before = ctx.Errors.Count;
            if (Limits(ctx, value, entryPath) is { } limits)
            {
                result[model] = limits;
            }
            else if (ctx.Errors.Count == before)
            {
                ctx.Error(entryPath, "sets no limit; give rpm, tpm, input_tpm, output_tpm or concurrency (or remove the model)");
            }
        }

        return result;
    }

    /// <summary><c>budget: { limit_usd, period, time_zone, alert_at, streams, max_reservation_usd }</c>; null when absent.</summary>
    public static BudgetRule? Budget(BindContext ctx, YamlNode? node, string path)
    {
        var map = ctx.Map(node, path, BudgetKeys);
        if (map is null)
        {
            return null;
        }

        var limit = Usd(ctx, map, "limit_usd", required: true);
        var period = Named(ctx, map, "period", Periods, GovernanceRules.ParsePeriod) ?? BudgetPeriod.Monthly;
        var streams = Named(ctx, map, "streams", StreamModes, GovernanceRules.ParseStreamMode) ?? BudgetStreamMode.HardStop;
        var alerts = new List<double>();
        foreach (var share in Strings(ctx, map["alert_at"], map.PathOf("alert_at")))
        {
            if (Share(share) is { } value)
            {
                alerts.Add(value);
            }
            else
            {
                ctx.Error(map.PathOf("alert_at"), $"'{share}' is not a share such as 0.8 or 80%");
            }
        }

        var rule = new BudgetRule(limit ?? 1, period)
        {
            TimeZone = ctx.String(map["time_zone"], map.PathOf("time_zone"))?.Trim() ?? "UTC",
            AlertAt = alerts,
            Streams = streams,
            MaxReservationMicros = Usd(ctx, map, "max_reservation_usd", required: false),
            OnUnreachable = Named(ctx, map, "on_unreachable", Fallbacks, GovernanceRules.ParseFallback),
        };
        if (GovernanceRules.CheckBudget(rule) is { } error)
        {
            ctx.Error(map.PathOf(error.Field), error.Message);
        }

        return limit is null ? null : rule;
    }

    private static long? Long(BindContext ctx, MapView map, string key)
    {
        var text = ctx.String(map[key], map.PathOf(key));
        if (text is null)
        {
            return null;
        }

        if (long.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0)
        {
            return value;
        }

        ctx.Error(map.PathOf(key), "must be a positive integer");
        return null;
    }

    private static long? Usd(BindContext ctx, MapView map, string key, bool required)
    {
        var text = ctx.String(map[key], map.PathOf(key));
        if (text is null)
        {
            if (required)
            {
                ctx.Error(map.PathOf(key), "is required (dollars, e.g. 100 or 2.50)");
            }

            return null;
        }

        if (decimal.TryParse(text.Trim().TrimStart('$'), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var usd)
            && usd > 0 && GovernanceRules.TryMicros(usd, out var micros))
        {
            return micros;
        }

        ctx.Error(map.PathOf(key), "must be a positive amount of dollars with at most 6 decimals (e.g. 100 or 2.50)");
        return null;
    }

    private static T? Named<T>(BindContext ctx, MapView map, string key, string[] names, Func<string?, T?> parse)
        where T : struct
    {
        var text = ctx.String(map[key], map.PathOf(key))?.Trim();
        if (text is null)
        {
            return null;
        }

        if (parse(text) is { } value)
        {
            return value;
        }

        ctx.Error(map.PathOf(key), $"unknown value '{text}'{Suggestions.Hint(text, names)}; use {string.Join(", ", names)}");
        return null;
    }

    /// <summary><c>0.8</c> or <c>80%</c>.</summary>
    private static double? Share(string text)
    {
        var percent = text.EndsWith('%');
        return double.TryParse(percent ? text[..^1] : text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value)
            ? percent ? value / 100 : value
            : null;
    }
}
