using System.Text.Json;
using Switchyard.Auth;

namespace Switchyard.Endpoints;

/// <summary>
/// Limits and budgets in the admin API's JSON, read and written with the names of the config file
/// (<c>rpm</c>, <c>tpm</c>, <c>input_tpm</c>, <c>output_tpm</c>, <c>concurrency</c>; <c>limit_usd</c>, <c>period</c>,
/// <c>time_zone</c>, <c>alert_at</c>, <c>streams</c>, <c>max_reservation_usd</c>). Amounts are dollars in JSON and
/// micro-dollars inside; an amount finer than a micro-dollar is refused, not rounded.
/// </summary>
internal static class AdminPolicyJson
{
    private static readonly string[] LimitFields = ["rpm", "tpm", "input_tpm", "output_tpm", "concurrency", "on_unreachable"];

    private static readonly string[] BudgetFields = ["limit_usd", "period", "time_zone", "alert_at", "streams", "max_reservation_usd", "on_unreachable"];

    /// <summary>A limits object; null when it sets nothing.</summary>
    public static ClientError? ReadLimits(JsonElement e, string field, out LimitSet? limits)
    {
        limits = null;
        if (e.ValueKind != JsonValueKind.Object)
        {
            return AdminJsonReader.Invalid(field, "must be an object such as {\"rpm\": 60, \"tpm\": 100000}, or null");
        }

        var values = new long?[LimitFields.Length];
        RedisFallback? onUnreachable = null;
        foreach (var p in e.EnumerateObject())
        {
            var i = Array.IndexOf(LimitFields, p.Name);
            if (i < 0)
            {
                return AdminJsonReader.Unknown($"{field}.{p.Name}", LimitFields);
            }

            if (p.Name == "on_unreachable")
            {
                if (ReadFallback(p.Value, $"{field}.{p.Name}", ref onUnreachable) is { } bad)
                {
                    return bad;
                }

                continue;
            }

            var max = p.Name is "rpm" or "concurrency" ? int.MaxValue : long.MaxValue;
            if (p.Value.ValueKind == JsonValueKind.Null)
            {
                continue;
            }

            if (p.Value.ValueKind != JsonValueKind.Number || !p.Value.TryGetInt64(out var v) || v <= 0 || v > max)
            {
                return AdminJsonReader.Invalid($"{field}.{p.Name}", "must be a positive integer, or null");
            }

            values[i] = v;
        }

        var set = new LimitSet((int?)values[0], values[1], values[2], values[3], (int?)values[4]) { OnUnreachable = onUnreachable };
        limits = set.IsEmpty ? null : set;
        return null;
    }

    /// <summary>
    /// A key's limits per model: an object of limits objects. An entry that sets no limit is refused (a model
    /// listed to limit nothing is a mistake); the model names are judged by <see cref="KeyAdmin"/>.
    /// </summary>
    public static ClientError? ReadModelLimits(JsonElement e, string field, out IReadOnlyDictionary<string, LimitSet> modelLimits)
    {
        var result = new Dictionary<string, LimitSet>(StringComparer.Ordinal);
        modelLimits = result;
        if (e.ValueKind != JsonValueKind.Object)
        {
            return AdminJsonReader.Invalid(field, "must be an object such as {\"chat\": {\"rpm\": 10}}, or null");
        }

        foreach (var p in e.EnumerateObject())
        {
            var path = $"{field}.{p.Name}";
            LimitSet? limits = null;
            if (p.Value.ValueKind != JsonValueKind.Null && ReadLimits(p.Value, path, out limits) is { } error)
            {
                return error;
            }

            if (limits is null)
            {
                return AdminJsonReader.Invalid(path, "sets no limit; give rpm, tpm, input_tpm, output_tpm or concurrency (or leave the model out)");
            }

            result[p.Name] = limits;
        }

        return null;
    }

    /// <summary>A budget object.</summary>
    public static ClientError? ReadBudget(JsonElement e, string field, out BudgetRule? budget)
    {
        budget = null;
        if (e.ValueKind != JsonValueKind.Object)
        {
            return AdminJsonReader.Invalid(field, "must be an object such as {\"limit_usd\": 100, \"period\": \"monthly\"}, or null");
        }

        var rule = new BudgetRule(0, BudgetPeriod.Monthly);
        foreach (var p in e.EnumerateObject())
        {
            if (BudgetField(p, $"{field}.{p.Name}", ref rule) is { } error)
            {
                return error;
            }
        }

        if (rule.LimitMicros == 0)
        {
            return AdminErrors.Invalid($"{field}.limit_usd", "is required", "missing_field");
        }

        if (GovernanceRules.CheckBudget(rule) is { } invalid)
        {
            return AdminJsonReader.Invalid($"{field}.{invalid.Field}", invalid.Message);
        }

        budget = rule;
        return null;
    }

    private static ClientError? BudgetField(JsonProperty p, string path, ref BudgetRule rule)
    {
        var v = p.Value;
        switch (p.Name)
        {
            case "limit_usd" or "max_reservation_usd":
                if (v.ValueKind != JsonValueKind.Number || !v.TryGetDecimal(out var usd) || usd <= 0 || !GovernanceRules.TryMicros(usd, out var micros))
                {
                    return AdminJsonReader.Invalid(path, "must be a positive amount of dollars with at most 6 decimals");
                }

                rule = p.Name == "limit_usd" ? rule with { LimitMicros = micros } : rule with { MaxReservationMicros = micros };
                return null;
            case "period" when v.ValueKind == JsonValueKind.String && GovernanceRules.ParsePeriod(v.GetString()) is { } period:
                rule = rule with { Period = period };
                return null;
            case "period":
                return AdminJsonReader.Invalid(path, "must be daily, weekly, monthly or lifetime");
            case "streams" when v.ValueKind == JsonValueKind.String && GovernanceRules.ParseStreamMode(v.GetString()) is { } mode:
                rule = rule with { Streams = mode };
                return null;
            case "streams":
                return AdminJsonReader.Invalid(path, "must be hard_stop or finish");
            case "time_zone" when v.ValueKind == JsonValueKind.String:
                rule = rule with { TimeZone = v.GetString()!.Trim() };
                return null;
            case "time_zone":
                return AdminJsonReader.Invalid(path, "must be an IANA time zone name such as UTC");
            case "alert_at" when v.ValueKind == JsonValueKind.Array && v.EnumerateArray().All(x => x.ValueKind == JsonValueKind.Number):
                rule = rule with { AlertAt = [.. v.EnumerateArray().Select(x => x.GetDouble())] };
                return null;
            case "alert_at":
                return AdminJsonReader.Invalid(path, "must be a list of shares such as [0.5, 0.8]");
            case "on_unreachable":
                var fallback = rule.OnUnreachable;
                var error = ReadFallback(v, path, ref fallback);
                rule = rule with { OnUnreachable = fallback };
                return error;
            default:
                return AdminJsonReader.Unknown(path, BudgetFields);
        }
    }

    /// <summary><c>on_unreachable</c>: <c>fail_closed</c>, <c>local</c>, or null (the <c>redis.on_unreachable</c> default).</summary>
    private static ClientError? ReadFallback(JsonElement v, string path, ref RedisFallback? fallback)
    {
        if (v.ValueKind == JsonValueKind.Null)
        {
            fallback = null;
            return null;
        }

        if (v.ValueKind == JsonValueKind.String && GovernanceRules.ParseFallback(v.GetString()) is { } parsed)
        {
            fallback = parsed;
            return null;
        }

        return AdminJsonReader.Invalid(path, "must be fail_closed or local (or null: redis.on_unreachable)");
    }

    private static void WriteFallback(Utf8JsonWriter w, RedisFallback? fallback)
    {
        if (fallback is { } f)
        {
            w.WriteString("on_unreachable", GovernanceRules.FallbackName(f));
        }
        else
        {
            w.WriteNull("on_unreachable");
        }
    }

    /// <summary>Writes <paramref name="limits"/> (null: JSON null).</summary>
    public static void WriteLimits(Utf8JsonWriter w, string name, LimitSet? limits)
    {
        if (limits is null)
        {
            w.WriteNull(name);
            return;
        }

        w.WriteStartObject(name);
        Number(w, "rpm", limits.Rpm);
        Number(w, "tpm", limits.Tpm);
        Number(w, "input_tpm", limits.InputTpm);
        Number(w, "output_tpm", limits.OutputTpm);
        Number(w, "concurrency", limits.Concurrency);
        WriteFallback(w, limits.OnUnreachable);
        w.WriteEndObject();
    }

    /// <summary>Writes a key's limits per model as an object (none: <c>{}</c>), models in ordinal order.</summary>
    public static void WriteModelLimits(Utf8JsonWriter w, string name, IReadOnlyDictionary<string, LimitSet> modelLimits)
    {
        w.WriteStartObject(name);
        foreach (var (model, limits) in modelLimits.OrderBy(m => m.Key, StringComparer.Ordinal))
        {
            WriteLimits(w, model, limits);
        }

        w.WriteEndObject();
    }

    /// <summary>Writes <paramref name="budget"/> (null: JSON null).</summary>
    public static void WriteBudget(Utf8JsonWriter w, string name, BudgetRule? budget)
    {
        if (budget is null)
        {
            w.WriteNull(name);
            return;
        }

        w.WriteStartObject(name);
        w.WriteNumber("limit_usd", GovernanceRules.Usd(budget.LimitMicros));
        w.WriteString("period", GovernanceRules.PeriodName(budget.Period));
        w.WriteString("time_zone", budget.TimeZone);
        w.WriteStartArray("alert_at");
        foreach (var share in budget.AlertAt)
        {
            w.WriteNumberValue(share);
        }

        w.WriteEndArray();
        w.WriteString("streams", GovernanceRules.StreamModeName(budget.Streams));
        if (budget.MaxReservationMicros is { } max)
        {
            w.WriteNumber("max_reservation_usd", GovernanceRules.Usd(max));
        }
        else
        {
            w.WriteNull("max_reservation_usd");
        }

        WriteFallback(w, budget.OnUnreachable);
        w.WriteEndObject();
    }

    private static void Number(Utf8JsonWriter w, string name, long? value)
    {
        if (value is { } v)
        {
            w.WriteNumber(name, v);
        }
        else
        {
            w.WriteNull(name);
        }
    }
}
