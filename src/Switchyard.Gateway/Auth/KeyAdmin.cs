using Microsoft.Extensions.Logging;

namespace Switchyard.Auth;

/// <summary>
/// Creates, updates, rotates and revokes virtual keys: the rules of the admin API, checked under the
/// directory's lock and written through it. Keys of the config file are read-only here (409). Only the master
/// key may mint an admin secret (create an admin key, grant the role, rotate an admin key). Every change is
/// logged with who made it and the key's id; never a secret.
/// </summary>
public sealed partial class KeyAdmin(GovernanceDirectory directory, TimeProvider time, ILogger<KeyAdmin> logger)
{
    /// <summary>The longest grace a rotation may give the previous secret.</summary>
    public static readonly TimeSpan MaxGrace = TimeSpan.FromDays(7);

    /// <summary>Creates a key; its secret is in the result, and nowhere else.</summary>
    public AdminResult<IssuedKey> Create(Caller actor, KeyChanges changes)
    {
        lock (directory.Sync)
        {
            var view = directory.Current;
            if (view.IsOpen)
            {
                return AdminErrors.Conflict("This gateway has no master key: a key created now would close it with no admin left. "
                    + "Set SWITCHYARD_MASTER_KEY (or an admin key in auth.keys), restart, and create keys with it.", "gateway_open");
            }

            if (!changes.Name.IsSet)
            {
                return AdminErrors.Invalid("name", "is required", "missing_field");
            }

            var now = time.GetUtcNow();
            var secret = VirtualKeySecrets.NewSecret();
            var id = VirtualKeySecrets.NewId();
            while (view.HasKeyId(id))
            {
                id = VirtualKeySecrets.NewId();
            }

            var blank = new VirtualKey(id, "", KeyHasher.Hash(secret), VirtualKeySecrets.Shown(secret)) { CreatedAt = now, CreatedBy = actor.KeyId };
            var key = Apply(blank, changes, now);
            if (Check(actor, view, blank, key, changes, now) is { } error)
            {
                return error;
            }

            directory.Save(key);
            LogCreated(logger, actor.KeyId, key.Id, GovernanceRules.RoleName(key.Role), key.Policy.TeamId ?? "-");
            return new IssuedKey(key, secret);
        }
    }

    /// <summary>Changes what <paramref name="changes"/> sets; the secret stays.</summary>
    public AdminResult<VirtualKey> Update(Caller actor, string id, KeyChanges changes)
    {
        lock (directory.Sync)
        {
            var view = directory.Current;
            if (Changeable(view, id) is { } refused)
            {
                return refused;
            }

            var key = view.StoredKeys[id];
            var now = time.GetUtcNow();
            var next = Apply(key, changes, now);
            if (Check(actor, view, key, next, changes, now) is { } error)
            {
                return error;
            }

            directory.Save(next);
            LogUpdated(logger, actor.KeyId, id, changes.FieldNames());
            return next;
        }
    }

    /// <summary>
    /// A new secret for the key (same id, policy and usage history). The previous secret stops at once, or
    /// after <paramref name="grace"/> when it is positive, so clients can move over without an outage.
    /// </summary>
    public AdminResult<IssuedKey> Rotate(Caller actor, string id, TimeSpan grace)
    {
        if (grace < TimeSpan.Zero || grace > MaxGrace)
        {
            return AdminErrors.Invalid("grace", $"must be between 0 and {MaxGrace.TotalSeconds:0} seconds");
        }

        lock (directory.Sync)
        {
            var view = directory.Current;
            if (Changeable(view, id) is { } refused)
            {
                return refused;
            }

            var key = view.StoredKeys[id];
            if (key.Role == KeyRole.Admin && actor.KeyId != Caller.MasterId)
            {
                return AdminErrors.MasterOnly("rotate an admin key (it would mint an admin secret)");
            }

            var now = time.GetUtcNow();
            var secret = VirtualKeySecrets.NewSecret();
            var next = key with
            {
                Hash = KeyHasher.Hash(secret),
                Prefix = VirtualKeySecrets.Shown(secret),
                PreviousHash = grace > TimeSpan.Zero ? key.Hash : null,
                PreviousValidUntil = grace > TimeSpan.Zero ? now + grace : null,
                UpdatedAt = now,
            };
            directory.Save(next);
            LogRotated(logger, actor.KeyId, id, (long)grace.TotalSeconds);
            return new IssuedKey(next, secret);
        }
    }

    /// <summary>Revokes the key: it fails from the next request on, for good. Revoking a revoked key changes nothing.</summary>
    public AdminResult<VirtualKey> Revoke(Caller actor, string id)
    {
        lock (directory.Sync)
        {
            var view = directory.Current;
            if (view.StoredKeys.GetValueOrDefault(id) is { RevokedAt: not null } revoked)
            {
                return revoked;
            }

            if (Changeable(view, id) is { } refused)
            {
                return refused;
            }

            var now = time.GetUtcNow();
            var next = view.StoredKeys[id] with { RevokedAt = now, UpdatedAt = now, PreviousHash = null, PreviousValidUntil = null };
            directory.Save(next);
            LogRevoked(logger, actor.KeyId, id);
            return next;
        }
    }

    /// <summary>Null when <paramref name="id"/> is a stored key that is not revoked; else why it cannot change.</summary>
    private static ClientError? Changeable(GovernanceView view, string id)
    {
        if (view.ConfigKeys.ContainsKey(id))
        {
            return AdminErrors.Conflict($"The key '{id}' is declared in the config file (auth.keys): it is read-only through the API. "
                + "Change or remove it in the file; the gateway reloads it.", "key_read_only");
        }

        if (!view.StoredKeys.TryGetValue(id, out var key))
        {
            return AdminErrors.NotFound("key", id);
        }

        return key.RevokedAt is not null
            ? AdminErrors.Conflict($"The key '{id}' is revoked; a revoked key cannot be changed or rotated (create a new one).", "key_revoked")
            : null;
    }

    /// <summary><paramref name="key"/> with what <paramref name="changes"/> sets.</summary>
    private static VirtualKey Apply(VirtualKey key, KeyChanges changes, DateTimeOffset now)
    {
        var p = key.Policy;
        return key with
        {
            Name = changes.Name.Or(key.Name).Trim(),
            Role = changes.Role.Or(key.Role),
            AllowRoutingOverrides = changes.AllowRoutingOverrides.Or(key.AllowRoutingOverrides),
            UpdatedAt = now,
            Policy = p with
            {
                TeamId = changes.Team.Or(p.TeamId),
                CustomerId = changes.Customer.Or(p.CustomerId),
                AllowedModels = changes.AllowedModels.Or(p.AllowedModels),
                AllowedRoutes = changes.AllowedRoutes.Or(p.AllowedRoutes),
                Metadata = changes.Metadata.Or(p.Metadata),
                ExpiresAt = changes.ExpiresIn.IsSet ? now + changes.ExpiresIn.Value : changes.ExpiresAt.Or(p.ExpiresAt),
                Limits = changes.Limits.Or(p.Limits) is { IsEmpty: false } limits ? limits : null,
                ModelLimits = changes.ModelLimits.Or(p.ModelLimits),
                Budget = changes.Budget.Or(p.Budget),
                Guardrails = changes.Guardrails.Or(p.Guardrails),
            },
        };
    }

    /// <summary>The first rule the changed fields break, or null. Fields left as they were are not judged again.</summary>
    private static ClientError? Check(Caller actor, GovernanceView view, VirtualKey before, VirtualKey key, KeyChanges changes, DateTimeOffset now)
    {
        var p = key.Policy;
        if (changes.Role.IsSet && key.Role == KeyRole.Admin && before.Role != KeyRole.Admin && actor.KeyId != Caller.MasterId)
        {
            return AdminErrors.MasterOnly("create an admin key or give a key the admin role");
        }

        if (changes.ExpiresIn.IsSet && changes.ExpiresAt.IsSet)
        {
            return AdminErrors.Invalid("expires_in", "set either expires_at or expires_in, not both");
        }

        return (changes.Name.IsSet ? Field("name", GovernanceRules.CheckName(key.Name)) : null)
            ?? (changes.Team.IsSet && p.TeamId is { } team && view.Team(team) is null
                ? AdminErrors.Invalid("team", $"no team '{team}' exists (create it with POST /v1/admin/teams, or declare it under teams: in the config file)", "unknown_team")
                : (ClientError?)null)
            ?? (changes.Customer.IsSet && p.CustomerId is { } customer ? Field("customer", GovernanceRules.CheckCustomerId(customer)) : null)
            ?? (changes.AllowedModels.IsSet ? CheckModels(p.AllowedModels) : null)
            ?? (changes.AllowedRoutes.IsSet ? CheckRoutes(view, p.AllowedRoutes) : null)
            ?? (changes.Metadata.IsSet ? CheckMetadata(p.Metadata) : null)
            ?? ((changes.ExpiresAt.IsSet || changes.ExpiresIn.IsSet) && p.ExpiresAt <= now
                ? AdminErrors.Invalid(changes.ExpiresIn.IsSet ? "expires_in" : "expires_at", "must be in the future")
                : (ClientError?)null)
            ?? (changes.Limits.IsSet ? CheckLimits("limits", p.Limits) : null)
            ?? (changes.ModelLimits.IsSet ? CheckModelLimits(p.ModelLimits) : null)
            ?? (changes.Budget.IsSet ? CheckBudget("budget", p.Budget) : null)
            ?? (changes.Guardrails.IsSet ? CheckGuardrails(view, p.Guardrails) : null);
    }

    /// <summary>Each name a policy of the config file's <c>guardrails:</c> (docs/adr/0016-guardrails.md).</summary>
    private static ClientError? CheckGuardrails(GovernanceView view, IReadOnlyList<string> names)
    {
        for (var i = 0; i < names.Count; i++)
        {
            if (!view.GuardrailNames.Contains(names[i]))
            {
                return AdminErrors.Invalid($"guardrails[{i}]", $"no policy '{names[i]}' in the config file (guardrails:)", "unknown_guardrail");
            }
        }

        return names.Count > GovernanceRules.MaxListEntries ? AdminErrors.Invalid("guardrails", $"at most {GovernanceRules.MaxListEntries} entries") : null;
    }

    internal static ClientError? Field(string field, string? error) => error is null ? null : AdminErrors.Invalid(field, error);

    internal static ClientError? CheckModels(IReadOnlyList<string> models)
    {
        if (models.Count > GovernanceRules.MaxListEntries)
        {
            return AdminErrors.Invalid("allowed_models", $"at most {GovernanceRules.MaxListEntries} entries");
        }

        for (var i = 0; i < models.Count; i++)
        {
            if (GovernanceRules.CheckModelPattern(models[i]) is { } error)
            {
                return AdminErrors.Invalid($"allowed_models[{i}]", error);
            }
        }

        return null;
    }

    internal static ClientError? CheckLimits(string field, LimitSet? limits) =>
        limits is not null && GovernanceRules.CheckLimits(limits) is { } e ? AdminErrors.Invalid($"{field}.{e.Field}", e.Message) : null;

    /// <summary>Each model an exact name (a pattern would never match: see <see cref="GovernanceRules.CheckModelName"/>), each limit set valid.</summary>
    internal static ClientError? CheckModelLimits(IReadOnlyDictionary<string, LimitSet> modelLimits)
    {
        if (modelLimits.Count > GovernanceRules.MaxListEntries)
        {
            return AdminErrors.Invalid("model_limits", $"at most {GovernanceRules.MaxListEntries} models");
        }

        foreach (var (model, limits) in modelLimits)
        {
            if ((Field($"model_limits.{model}", GovernanceRules.CheckModelName(model)) ?? CheckLimits($"model_limits.{model}", limits)) is { } error)
            {
                return error;
            }
        }

        return null;
    }

    internal static ClientError? CheckBudget(string field, BudgetRule? budget) =>
        budget is not null && GovernanceRules.CheckBudget(budget) is { } e ? AdminErrors.Invalid($"{field}.{e.Field}", e.Message) : null;

    private static ClientError? CheckRoutes(GovernanceView view, IReadOnlyList<string> routes)
    {
        for (var i = 0; i < routes.Count; i++)
        {
            if (!view.RouteNames.Contains(routes[i]))
            {
                return AdminErrors.Invalid($"allowed_routes[{i}]", $"no route '{routes[i]}' in the config file (routes:)", "unknown_route");
            }
        }

        return routes.Count > GovernanceRules.MaxListEntries ? AdminErrors.Invalid("allowed_routes", $"at most {GovernanceRules.MaxListEntries} entries") : null;
    }

    private static ClientError? CheckMetadata(IReadOnlyDictionary<string, string> metadata)
    {
        if (metadata.Count > GovernanceRules.MaxListEntries)
        {
            return AdminErrors.Invalid("metadata", $"at most {GovernanceRules.MaxListEntries} entries");
        }

        foreach (var (k, v) in metadata)
        {
            if (k.Length is 0 or > GovernanceRules.MaxMetadataLength || v.Length > GovernanceRules.MaxMetadataLength)
            {
                return AdminErrors.Invalid("metadata", $"keys must be 1 to {GovernanceRules.MaxMetadataLength} characters and values at most {GovernanceRules.MaxMetadataLength}");
            }
        }

        return null;
    }

    [LoggerMessage(EventId = 4101, Level = LogLevel.Information, Message = "Admin {Actor} created key {KeyId} (role {Role}, team {TeamId})")]
    private static partial void LogCreated(ILogger logger, string actor, string keyId, string role, string teamId);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Information, Message = "Admin {Actor} updated key {KeyId}: {Fields}")]
    private static partial void LogUpdated(ILogger logger, string actor, string keyId, string fields);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Information, Message = "Admin {Actor} rotated key {KeyId}; the previous secret works {GraceSeconds} s more")]
    private static partial void LogRotated(ILogger logger, string actor, string keyId, long graceSeconds);

    [LoggerMessage(EventId = 4104, Level = LogLevel.Information, Message = "Admin {Actor} revoked key {KeyId}")]
    private static partial void LogRevoked(ILogger logger, string actor, string keyId);
}
