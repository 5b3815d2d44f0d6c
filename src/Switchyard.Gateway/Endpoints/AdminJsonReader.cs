using System.Text.Json;
using Switchyard.Auth;

namespace Switchyard.Endpoints;

/// <summary>
/// Reads the admin API's request bodies into changes, checking each field's JSON type and shape; every error
/// names the field (<c>param</c>), and a field the API does not know is refused (a typo must not silently do
/// nothing). Absent means unchanged, <c>null</c> clears (where a field can be empty). The rules beyond shape
/// (a team must exist, an expiry must be in the future) are <see cref="KeyAdmin"/>'s and <see cref="TeamAdmin"/>'s.
/// </summary>
internal static class AdminJsonReader
{
    private static readonly string[] KeyFields =
        ["name", "role", "allow_routing_overrides", "team", "customer", "allowed_models", "allowed_routes", "metadata", "expires_at", "expires_in", "limits", "budget", "guardrails",
        "model_limits"];

    private static readonly string[] TeamFields = ["id", "name", "allowed_models", "limits", "budget"];

    private static readonly string[] CustomerFields = ["id", "team", "name", "limits", "budget"];

    /// <summary>A key's fields.</summary>
    public static ClientError? Key(JsonElement root, out KeyChanges changes)
    {
        var c = changes = new KeyChanges();
        foreach (var p in root.EnumerateObject())
        {
            var error = p.Name switch
            {
                "name" => Text(p, v => c.Name = Optional<string>.Of(v)),
                "role" => p.Value.ValueKind == JsonValueKind.String && GovernanceRules.ParseRole(p.Value.GetString()) is { } role
                    ? Set(() => c.Role = Optional<KeyRole>.Of(role))
                    : Invalid(p.Name, "must be client, operator or admin"),
                "allow_routing_overrides" => Bool(p, v => c.AllowRoutingOverrides = Optional<bool>.Of(v)),
                "team" => NullableText(p, v => c.Team = Optional<string?>.Of(v)),
                "customer" => NullableText(p, v => c.Customer = Optional<string?>.Of(v)),
                "allowed_models" => List(p, v => c.AllowedModels = Optional<IReadOnlyList<string>>.Of(v)),
                "allowed_routes" => List(p, v => c.AllowedRoutes = Optional<IReadOnlyList<string>>.Of(v)),
                "metadata" => Map(p, v => c.Metadata = Optional<IReadOnlyDictionary<string, string>>.Of(v)),
                "expires_at" => Instant(p, v => c.ExpiresAt = Optional<DateTimeOffset?>.Of(v)),
                "expires_in" => Seconds(p, v => c.ExpiresIn = Optional<TimeSpan>.Of(v)),
                "limits" => Limits(p, v => c.Limits = Optional<LimitSet?>.Of(v)),
                "model_limits" => ModelLimits(p, v => c.ModelLimits = Optional<IReadOnlyDictionary<string, LimitSet>>.Of(v)),
                "budget" => Budget(p, v => c.Budget = Optional<BudgetRule?>.Of(v)),
                "guardrails" => List(p, v => c.Guardrails = Optional<IReadOnlyList<string>>.Of(v)),
                _ => Unknown(p.Name, KeyFields),
            };
            if (error is not null)
            {
                return error;
            }
        }

        return null;
    }

    /// <summary>A team's fields (and its id, for a create).</summary>
    public static ClientError? Team(JsonElement root, out string? id, out TeamChanges changes)
    {
        string? teamId = null;
        var c = changes = new TeamChanges();
        foreach (var p in root.EnumerateObject())
        {
            var error = p.Name switch
            {
                "id" => Text(p, v => teamId = v),
                "name" => Text(p, v => c.Name = Optional<string>.Of(v)),
                "allowed_models" => List(p, v => c.AllowedModels = Optional<IReadOnlyList<string>>.Of(v)),
                "limits" => Limits(p, v => c.Limits = Optional<LimitSet?>.Of(v)),
                "budget" => Budget(p, v => c.Budget = Optional<BudgetRule?>.Of(v)),
                _ => Unknown(p.Name, TeamFields),
            };
            if (error is not null)
            {
                id = null;
                return error;
            }
        }

        id = teamId;
        return null;
    }

    /// <summary>A customer's fields (and its id and team, for a create).</summary>
    public static ClientError? Customer(JsonElement root, out string? id, out string? team, out CustomerChanges changes)
    {
        string? customerId = null, teamId = null;
        var c = changes = new CustomerChanges();
        foreach (var p in root.EnumerateObject())
        {
            var error = p.Name switch
            {
                "id" => Text(p, v => customerId = v),
                "team" => Text(p, v => teamId = v),
                "name" => NullableText(p, v => c.Name = Optional<string?>.Of(v)),
                "limits" => Limits(p, v => c.Limits = Optional<LimitSet?>.Of(v)),
                "budget" => Budget(p, v => c.Budget = Optional<BudgetRule?>.Of(v)),
                _ => Unknown(p.Name, CustomerFields),
            };
            if (error is not null)
            {
                (id, team) = (null, null);
                return error;
            }
        }

        (id, team) = (customerId, teamId);
        return null;
    }

    /// <summary><c>{"grace": seconds}</c> of a rotation (absent: 0).</summary>
    public static ClientError? Grace(JsonElement root, out TimeSpan grace)
    {
        var g = TimeSpan.Zero;
        foreach (var p in root.EnumerateObject())
        {
            var error = p.Name == "grace"
                ? p.Value.ValueKind == JsonValueKind.Number && p.Value.TryGetInt64(out var s) && s >= 0
                    ? Set(() => g = TimeSpan.FromSeconds(s))
                    : Invalid("grace", "must be a whole number of seconds, 0 or more")
                : Unknown(p.Name, ["grace"]);
            if (error is not null)
            {
                grace = default;
                return error;
            }
        }

        grace = g;
        return null;
    }

    private static ClientError? Set(Action set)
    {
        set();
        return null;
    }

    private static ClientError? Text(JsonProperty p, Action<string> set) =>
        p.Value.ValueKind == JsonValueKind.String ? Set(() => set(p.Value.GetString()!)) : Invalid(p.Name, "must be a string");

    private static ClientError? NullableText(JsonProperty p, Action<string?> set) => p.Value.ValueKind switch
    {
        JsonValueKind.Null => Set(() => set(null)),
        JsonValueKind.String => Set(() => set(p.Value.GetString()!.Trim())),
        _ => Invalid(p.Name, "must be a string or null"),
    };

    private static ClientError? Bool(JsonProperty p, Action<bool> set) =>
        p.Value.ValueKind is JsonValueKind.True or JsonValueKind.False ? Set(() => set(p.Value.GetBoolean())) : Invalid(p.Name, "must be true or false");

    private static ClientError? List(JsonProperty p, Action<IReadOnlyList<string>> set)
    {
        if (p.Value.ValueKind == JsonValueKind.Null)
        {
            return Set(() => set([]));
        }

        if (p.Value.ValueKind != JsonValueKind.Array || p.Value.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
        {
            return Invalid(p.Name, "must be a list of strings (or null: empty)");
        }

        return Set(() => set([.. p.Value.EnumerateArray().Select(e => e.GetString()!.Trim())]));
    }

    private static ClientError? Map(JsonProperty p, Action<IReadOnlyDictionary<string, string>> set)
    {
        if (p.Value.ValueKind == JsonValueKind.Null)
        {
            return Set(() => set(new Dictionary<string, string>(StringComparer.Ordinal)));
        }

        if (p.Value.ValueKind != JsonValueKind.Object || p.Value.EnumerateObject().Any(e => e.Value.ValueKind != JsonValueKind.String))
        {
            return Invalid(p.Name, "must be an object of string values (or null: empty)");
        }

        return Set(() => set(p.Value.EnumerateObject().ToDictionary(e => e.Name, e => e.Value.GetString()!, StringComparer.Ordinal)));
    }

    private static ClientError? Instant(JsonProperty p, Action<DateTimeOffset?> set) => p.Value.ValueKind switch
    {
        JsonValueKind.Null => Set(() => set(null)),
        JsonValueKind.String when GovernanceRules.TryParseInstant(p.Value.GetString()!, out var at) => Set(() => set(at)),
        _ => Invalid(p.Name, "must be an ISO 8601 instant such as 2027-01-31T00:00:00Z, or null (never expires)"),
    };

    private static ClientError? Seconds(JsonProperty p, Action<TimeSpan> set) =>
        p.Value.ValueKind == JsonValueKind.Number && p.Value.TryGetInt64(out var s) && s > 0 && s <= 100L * 365 * 86400
            ? Set(() => set(TimeSpan.FromSeconds(s)))
            : Invalid(p.Name, "must be a positive whole number of seconds");

    private static ClientError? Limits(JsonProperty p, Action<LimitSet?> set)
    {
        if (p.Value.ValueKind == JsonValueKind.Null)
        {
            return Set(() => set(null));
        }

        var error = AdminPolicyJson.ReadLimits(p.Value, p.Name, out var limits);
        return error ?? Set(() => set(limits));
    }

    /// <summary><c>{"MODEL": {limits}}</c>, or null (as <c>{}</c>: no per-model limits).</summary>
    private static ClientError? ModelLimits(JsonProperty p, Action<IReadOnlyDictionary<string, LimitSet>> set)
    {
        if (p.Value.ValueKind == JsonValueKind.Null)
        {
            return Set(() => set(new Dictionary<string, LimitSet>(StringComparer.Ordinal)));
        }

        var error = AdminPolicyJson.ReadModelLimits(p.Value, p.Name, out var modelLimits);
        return error ?? Set(() => set(modelLimits));
    }

    private static ClientError? Budget(JsonProperty p, Action<BudgetRule?> set)
    {
        if (p.Value.ValueKind == JsonValueKind.Null)
        {
            return Set(() => set(null));
        }

        var error = AdminPolicyJson.ReadBudget(p.Value, p.Name, out var budget);
        return error ?? Set(() => set(budget));
    }

    internal static ClientError Invalid(string field, string message) => AdminErrors.Invalid(field, message);

    internal static ClientError Unknown(string field, string[] known) =>
        AdminErrors.Invalid(field, $"unknown field{Hint(field, known)}; the fields are {string.Join(", ", known)}", "unknown_field");

    private static string Hint(string field, string[] known) =>
        known.FirstOrDefault(k => k.Contains(field, StringComparison.OrdinalIgnoreCase) || field.Contains(k, StringComparison.OrdinalIgnoreCase)) is { } close
            ? $" (did you mean '{close}'?)"
            : "";
}
