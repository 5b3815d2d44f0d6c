namespace Switchyard.Auth;

/// <summary>A field of a change: absent (leave it as it is) or set, to a value that may be null (clear it).</summary>
public readonly record struct Optional<T>(bool IsSet, T Value)
{
    /// <summary>The field set to <paramref name="value"/>.</summary>
    public static Optional<T> Of(T value) => new(true, value);

    /// <summary><see cref="Value"/> when set, else <paramref name="current"/>.</summary>
    public T Or(T current) => IsSet ? Value : current;
}

/// <summary>
/// What a create or an update of a virtual key says (a PATCH: only what is set changes). Built by the admin
/// API from JSON; the rules are checked by <see cref="KeyAdmin"/>.
/// </summary>
public sealed class KeyChanges
{
    public Optional<string> Name { get; set; }

    public Optional<KeyRole> Role { get; set; }

    public Optional<bool> AllowRoutingOverrides { get; set; }

    public Optional<string?> Team { get; set; }

    public Optional<string?> Customer { get; set; }

    public Optional<IReadOnlyList<string>> AllowedModels { get; set; }

    public Optional<IReadOnlyList<string>> AllowedRoutes { get; set; }

    public Optional<IReadOnlyDictionary<string, string>> Metadata { get; set; }

    public Optional<DateTimeOffset?> ExpiresAt { get; set; }

    /// <summary>An expiry relative to the gateway's clock (<c>expires_in</c>), instead of <see cref="ExpiresAt"/>.</summary>
    public Optional<TimeSpan> ExpiresIn { get; set; }

    public Optional<LimitSet?> Limits { get; set; }

    /// <summary>The key's limits per model, replaced whole (empty: none).</summary>
    public Optional<IReadOnlyDictionary<string, LimitSet>> ModelLimits { get; set; }

    public Optional<BudgetRule?> Budget { get; set; }

    /// <summary>The key's own guardrail policies (names under <c>guardrails:</c> in the config file), replaced whole.</summary>
    public Optional<IReadOnlyList<string>> Guardrails { get; set; }

    /// <summary>The names of the fields set, for the admin log (never their values).</summary>
    public string FieldNames()
    {
        var names = new List<string>();
        void Add(bool set, string name)
        {
            if (set)
            {
                names.Add(name);
            }
        }

        Add(Name.IsSet, "name");
        Add(Role.IsSet, "role");
        Add(AllowRoutingOverrides.IsSet, "allow_routing_overrides");
        Add(Team.IsSet, "team");
        Add(Customer.IsSet, "customer");
        Add(AllowedModels.IsSet, "allowed_models");
        Add(AllowedRoutes.IsSet, "allowed_routes");
        Add(Metadata.IsSet, "metadata");
        Add(ExpiresAt.IsSet || ExpiresIn.IsSet, "expires_at");
        Add(Limits.IsSet, "limits");
        Add(ModelLimits.IsSet, "model_limits");
        Add(Budget.IsSet, "budget");
        Add(Guardrails.IsSet, "guardrails");
        return names.Count == 0 ? "nothing" : string.Join(", ", names);
    }
}

/// <summary>What a create or an update of a team says (only what is set changes).</summary>
public sealed class TeamChanges
{
    public Optional<string> Name { get; set; }

    public Optional<IReadOnlyList<string>> AllowedModels { get; set; }

    public Optional<LimitSet?> Limits { get; set; }

    public Optional<BudgetRule?> Budget { get; set; }
}

/// <summary>What a create or an update of a customer says (only what is set changes).</summary>
public sealed class CustomerChanges
{
    public Optional<string?> Name { get; set; }

    public Optional<LimitSet?> Limits { get; set; }

    public Optional<BudgetRule?> Budget { get; set; }
}

/// <summary>The outcome of an admin operation: a value, or the error to answer (400, 404, 409) naming the field.</summary>
public readonly record struct AdminResult<T>(T? Value, ClientError? Error)
    where T : class
{
    /// <summary>Success.</summary>
    public static implicit operator AdminResult<T>(T value) => new(value, null);

    /// <summary>A refusal.</summary>
    public static implicit operator AdminResult<T>(ClientError error) => new(null, error);
}

/// <summary>The errors of the admin API, in one place so their codes stay consistent.</summary>
public static class AdminErrors
{
    /// <summary>400: a field's value breaks a rule.</summary>
    public static ClientError Invalid(string field, string message, string code = "invalid_value") =>
        new(400, ErrorCategory.InvalidRequest, $"Invalid '{field}': {message}", field, code);

    /// <summary>404: no such key, team or customer.</summary>
    public static ClientError NotFound(string what, string id) =>
        new(404, ErrorCategory.NotFound, $"No {what} with id '{id}'.", "id", $"{what}_not_found");

    /// <summary>409: the request is valid but the object's state forbids it (read-only, revoked, in use).</summary>
    public static ClientError Conflict(string message, string code) => new(409, ErrorCategory.InvalidRequest, message, null, code);

    /// <summary>403: only the master key may do this.</summary>
    public static ClientError MasterOnly(string what) =>
        new(403, ErrorCategory.PermissionDenied, $"Only the master key may {what}.", null, "master_key_required");
}

/// <summary>A key just created or rotated: the stored key and its secret, which is shown this once and kept nowhere.</summary>
public sealed record IssuedKey(VirtualKey Key, string Secret);
