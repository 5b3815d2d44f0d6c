using System.Buffers;
using System.Text.Json;

namespace Switchyard.Storage;

/// <summary>
/// The <c>policy</c> column of the governance tables: what only the gateway reads back whole (allowed models and
/// routes, metadata, limits, a key's limits per model, budget), as one JSON document with stable snake_case names, never the C# ones, so a
/// rename in code never orphans stored data. Written and read by hand (a few fields; no reflection, no generated
/// context). Absent members read as empty or null, so a document written before a member existed still reads.
/// </summary>
internal static class GovernancePolicyJson
{
    /// <summary>What a policy document holds.</summary>
    public sealed record Policy(
        IReadOnlyList<string> AllowedModels,
        IReadOnlyList<string> AllowedRoutes,
        IReadOnlyDictionary<string, string> Metadata,
        LimitSet? Limits,
        BudgetRule? Budget)
    {
        /// <summary>A key's limits per model (<c>model_limits</c>); empty in documents written before it existed.</summary>
        public IReadOnlyDictionary<string, LimitSet> ModelLimits { get; init; } = new Dictionary<string, LimitSet>(StringComparer.Ordinal);

        /// <summary>A key's guardrail policies (<c>guardrails</c>, docs/adr/0016); empty in documents written before it existed.</summary>
        public IReadOnlyList<string> Guardrails { get; init; } = [];
    }

    /// <summary>The document of a key, team or customer (empty members are left out).</summary>
    public static string Write(IReadOnlyList<string> models, IReadOnlyList<string> routes, IReadOnlyDictionary<string, string>? metadata, LimitSet? limits, BudgetRule? budget,
        IReadOnlyDictionary<string, LimitSet>? modelLimits = null, IReadOnlyList<string>? guardrails = null)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            Strings(w, "allowed_models", models);
            Strings(w, "allowed_routes", routes);
            Strings(w, "guardrails", guardrails ?? []);
            if (metadata is { Count: > 0 })
            {
                w.WriteStartObject("metadata");
                foreach (var (k, v) in metadata)
                {
                    w.WriteString(k, v);
                }

                w.WriteEndObject();
            }

            if (limits is not null)
            {
                WriteLimits(w, "limits", limits);
            }

            if (modelLimits is { Count: > 0 })
            {
                w.WriteStartObject("model_limits");
                foreach (var (model, perModel) in modelLimits)
                {
                    WriteLimits(w, model, perModel);
                }

                w.WriteEndObject();
            }

            if (budget is not null)
            {
                WriteBudget(w, budget);
            }

            w.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Reads a document.</summary>
    public static Policy Read(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        return new Policy(
            Strings(root, "allowed_models"),
            Strings(root, "allowed_routes"),
            root.TryGetProperty("metadata", out var m)
                ? m.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!, StringComparer.Ordinal)
                : new Dictionary<string, string>(StringComparer.Ordinal),
            root.TryGetProperty("limits", out var l) ? ReadLimits(l) : null,
            root.TryGetProperty("budget", out var b) ? ReadBudget(b) : null)
        {
            ModelLimits = root.TryGetProperty("model_limits", out var ml)
                ? ml.EnumerateObject().ToDictionary(p => p.Name, p => ReadLimits(p.Value), StringComparer.Ordinal)
                : new Dictionary<string, LimitSet>(StringComparer.Ordinal),
            Guardrails = Strings(root, "guardrails"),
        };
    }

    private static void WriteLimits(Utf8JsonWriter w, string name, LimitSet l)
    {
        w.WriteStartObject(name);
        Number(w, "rpm", l.Rpm);
        Number(w, "tpm", l.Tpm);
        Number(w, "input_tpm", l.InputTpm);
        Number(w, "output_tpm", l.OutputTpm);
        Number(w, "concurrency", l.Concurrency);
        Fallback(w, l.OnUnreachable);
        w.WriteEndObject();
    }

    private static LimitSet ReadLimits(JsonElement e) =>
        new((int?)Number(e, "rpm"), Number(e, "tpm"), Number(e, "input_tpm"), Number(e, "output_tpm"), (int?)Number(e, "concurrency"))
        {
            OnUnreachable = Fallback(e),
        };

    /// <summary>A scope's <c>on_unreachable</c>, written only when set (older rows have none: the default applies).</summary>
    private static void Fallback(Utf8JsonWriter w, RedisFallback? fallback)
    {
        if (fallback is { } f)
        {
            w.WriteString("on_unreachable", GovernanceRules.FallbackName(f));
        }
    }

    private static RedisFallback? Fallback(JsonElement e)
    {
        if (!e.TryGetProperty("on_unreachable", out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        var name = v.GetString();
        return GovernanceRules.ParseFallback(name) ?? throw Unknown("on_unreachable", name);
    }

    private static void WriteBudget(Utf8JsonWriter w, BudgetRule b)
    {
        w.WriteStartObject("budget");
        w.WriteNumber("limit_micros", b.LimitMicros);
        w.WriteString("period", GovernanceRules.PeriodName(b.Period));
        w.WriteString("time_zone", b.TimeZone);
        w.WriteStartArray("alert_at");
        foreach (var share in b.AlertAt)
        {
            w.WriteNumberValue(share);
        }

        w.WriteEndArray();
        w.WriteString("streams", GovernanceRules.StreamModeName(b.Streams));
        Number(w, "max_reservation_micros", b.MaxReservationMicros);
        Fallback(w, b.OnUnreachable);
        w.WriteEndObject();
    }

    /// <summary>The rule; a name this gateway does not know (written by a newer one) is an error, not a guess.</summary>
    private static BudgetRule ReadBudget(JsonElement e)
    {
        var period = e.GetProperty("period").GetString();
        var streams = e.TryGetProperty("streams", out var s) ? s.GetString() : "hard_stop";
        return new BudgetRule(e.GetProperty("limit_micros").GetInt64(), GovernanceRules.ParsePeriod(period) ?? throw Unknown("period", period))
        {
            TimeZone = e.TryGetProperty("time_zone", out var tz) ? tz.GetString()! : "UTC",
            AlertAt = e.TryGetProperty("alert_at", out var a) ? [.. a.EnumerateArray().Select(x => x.GetDouble())] : [],
            Streams = GovernanceRules.ParseStreamMode(streams) ?? throw Unknown("streams", streams),
            MaxReservationMicros = Number(e, "max_reservation_micros"),
            OnUnreachable = Fallback(e),
        };
    }

    private static InvalidDataException Unknown(string field, string? value) =>
        new($"A stored budget has an unknown {field} '{value}'; it was written by a newer gateway.");

    private static void Strings(Utf8JsonWriter w, string name, IReadOnlyList<string> values)
    {
        if (values.Count == 0)
        {
            return;
        }

        w.WriteStartArray(name);
        foreach (var v in values)
        {
            w.WriteStringValue(v);
        }

        w.WriteEndArray();
    }

    private static string[] Strings(JsonElement e, string name) =>
        e.TryGetProperty(name, out var list) ? [.. list.EnumerateArray().Select(x => x.GetString()!)] : [];

    private static void Number(Utf8JsonWriter w, string name, long? value)
    {
        if (value is { } v)
        {
            w.WriteNumber(name, v);
        }
    }

    private static long? Number(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64() : null;
}
