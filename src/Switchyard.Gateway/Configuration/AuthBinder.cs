using System.Collections.Frozen;
using YamlDotNet.RepresentationModel;

namespace Switchyard.Configuration;

/// <summary>
/// Binds <c>auth:</c>. Keys only ever exist here as SHA-256 hashes: a file holds either a hash or the name
/// of an environment variable whose value is hashed at load, so a leaked config never leaks a key.
/// </summary>
internal static class AuthBinder
{
    /// <summary>Ids with a fixed meaning in usage records; a configured key may not impersonate them.</summary>
    private static readonly FrozenSet<string> ReservedIds = FrozenSet.Create(StringComparer.Ordinal, "master", "anonymous");

    private static readonly FrozenSet<string> AuthKeys = FrozenSet.Create(StringComparer.Ordinal, "master_key_env", "keys");
    private static readonly FrozenSet<string> KeyKeys = FrozenSet.Create(StringComparer.Ordinal, "id", "hash", "key_env", "allow_routing_overrides", "role",
        "team", "customer", "allowed_models", "allowed_routes", "metadata", "expires_at", "limits", "budget",
        "model_limits", "guardrails");

    /// <summary>Binds <c>auth:</c>.</summary>
    /// <param name="ctx">The binding context.</param>
    /// <param name="node">The <c>auth</c> node.</param>
    /// <param name="path">Its path.</param>
    /// <param name="teams">The ids of <c>teams:</c> (a key's <c>team</c> must name one).</param>
    /// <param name="routeRefs">Receives each <c>allowed_routes</c> entry with its path, checked once <c>routes:</c> is bound.</param>
    public static AuthSettings Bind(BindContext ctx, YamlNode? node, string path, IReadOnlySet<string> teams, List<(string Path, string Route)> routeRefs)
    {
        var map = ctx.Map(node, path, AuthKeys);
        var masterEnv = AuthSettings.DefaultMasterKeyEnv;
        var keys = new List<ClientKey>();

        if (map is not null)
        {
            if (map.Has("master_key_env"))
            {
                masterEnv = EnvVarName(ctx, map, "master_key_env") ?? masterEnv;
            }

            var seq = ctx.Sequence(map["keys"], map.PathOf("keys"));
            if (seq is not null)
            {
                BindKeys(ctx, seq, map.PathOf("keys"), keys, teams, routeRefs);
            }
        }

        var master = ctx.Env(masterEnv);
        var masterHash = string.IsNullOrEmpty(master) ? null : KeyHasher.Hash(master);
        return new AuthSettings(masterEnv, masterHash, keys);
    }

    private static void BindKeys(BindContext ctx, YamlSequenceNode seq, string path, List<ClientKey> keys, IReadOnlySet<string> teams, List<(string, string)> routeRefs)
    {
        var ids = new Dictionary<string, string>(StringComparer.Ordinal);      // id -> path
        var hashes = new Dictionary<string, string>(StringComparer.Ordinal);   // hex -> id
        for (var i = 0; i < seq.Children.Count; i++)
        {
            var itemPath = BindContext.Index(path, i);
            var map = ctx.Map(seq.Children[i], itemPath, KeyKeys);
            if (map is null)
            {
                if (BindContext.IsNull(seq.Children[i]))
                {
                    ctx.Error(itemPath, "expected a mapping with 'id' and 'hash' or 'key_env'");
                }

                continue;
            }

            var id = ctx.RequiredString(map, "id");
            if (id is not null)
            {
                if (ReservedIds.Contains(id))
                {
                    ctx.Error(map.PathOf("id"), $"'{id}' is reserved; choose another id");
                    id = null;
                }
                else if (!ids.TryAdd(id, itemPath))
                {
                    ctx.Error(map.PathOf("id"), $"duplicate key id '{id}' (also at {ids[id]})");
                    id = null;
                }
            }

            var hash = KeyHash(ctx, map);
            if (id is null || hash is null)
            {
                continue;
            }

            // Two ids sharing one secret would make attribution in usage records ambiguous.
            var hex = Convert.ToHexString(hash);
            if (!hashes.TryAdd(hex, id))
            {
                ctx.Error(itemPath, $"key '{id}' has the same secret as key '{hashes[hex]}'");
                continue;
            }

            var overrides = ctx.String(map["allow_routing_overrides"], map.PathOf("allow_routing_overrides"))?.Trim();
            if (overrides is not (null or "true" or "false"))
            {
                ctx.Error(map.PathOf("allow_routing_overrides"), "must be true or false");
            }

            var role = ctx.String(map["role"], map.PathOf("role"))?.Trim() switch
            {
                null or "client" => KeyRole.Client,
                "operator" => KeyRole.Operator,
                "admin" => KeyRole.Admin,
                var other => Invalid(ctx, map.PathOf("role"), other),
            };
            keys.Add(new ClientKey(id, hash) { AllowRoutingOverrides = overrides != "false", Role = role, Policy = Policy(ctx, map, teams, routeRefs) });
        }
    }

    /// <summary>A key's team, customer, allowed models and routes, metadata, expiry, limits (its own and per model) and budget.</summary>
    private static KeyPolicy Policy(BindContext ctx, MapView map, IReadOnlySet<string> teams, List<(string, string)> routeRefs)
    {
        var team = ctx.String(map["team"], map.PathOf("team"))?.Trim();
        if (team is not null && !teams.Contains(team))
        {
            ctx.Error(map.PathOf("team"), $"unknown team '{team}'{Suggestions.Hint(team, teams)}; declare it under teams:");
        }

        var customer = ctx.String(map["customer"], map.PathOf("customer"))?.Trim();
        if (customer is not null && GovernanceRules.CheckCustomerId(customer) is { } badCustomer)
        {
            ctx.Error(map.PathOf("customer"), badCustomer);
        }

        var routes = GovernanceBinder.Strings(ctx, map["allowed_routes"], map.PathOf("allowed_routes"));
        for (var i = 0; i < routes.Count; i++)
        {
            routeRefs.Add((BindContext.Index(map.PathOf("allowed_routes"), i), routes[i]));
        }

        return new KeyPolicy
        {
            TeamId = team,
            CustomerId = customer,
            AllowedModels = GovernanceBinder.Models(ctx, map["allowed_models"], map.PathOf("allowed_models")),
            AllowedRoutes = routes,
            Metadata = GovernanceBinder.Metadata(ctx, map["metadata"], map.PathOf("metadata")),
            ExpiresAt = GovernanceBinder.Instant(ctx, map["expires_at"], map.PathOf("expires_at")),
            Limits = GovernanceBinder.Limits(ctx, map["limits"], map.PathOf("limits")),
            ModelLimits = GovernanceBinder.ModelLimits(ctx, map["model_limits"], map.PathOf("model_limits")),
            Budget = GovernanceBinder.Budget(ctx, map["budget"], map.PathOf("budget")),
            Guardrails = GuardrailsBinder.References(ctx, map, ctx.GuardrailNames) ?? [],
        };
    }

    private static KeyRole Invalid(BindContext ctx, string path, string value)
    {
        ctx.Error(path, $"unknown role '{value}'{Suggestions.Hint(value, Roles)}; valid roles: {string.Join(", ", Roles)}");
        return KeyRole.Client;
    }

    private static readonly string[] Roles = ["client", "operator", "admin"];

    private static byte[]? KeyHash(BindContext ctx, MapView map)
    {
        var hasHash = map.Has("hash");
        var hasEnv = map.Has("key_env");
        if (hasHash == hasEnv)
        {
            ctx.Error(map.Path, hasHash
                ? "set either 'hash' or 'key_env', not both"
                : "set 'hash' (sha256:<64 hex digits>) or 'key_env' (an environment variable holding the key)");
            return null;
        }

        if (hasHash)
        {
            var text = ctx.String(map["hash"], map.PathOf("hash"));
            if (text is null)
            {
                ctx.Error(map.PathOf("hash"), "is required");
                return null;
            }

            if (!ValueParsers.TryParseSha256(text, out var hash, out var error))
            {
                ctx.Error(map.PathOf("hash"), error);
                return null;
            }

            return hash;
        }

        var envName = EnvVarName(ctx, map, "key_env");
        if (envName is null)
        {
            return null;
        }

        var key = ctx.Env(envName);
        if (string.IsNullOrEmpty(key))
        {
            ctx.Error(map.PathOf("key_env"), $"environment variable {envName} is not set");
            return null;
        }

        return KeyHasher.Hash(key);
    }

    /// <summary>Reads a value that names an environment variable and checks that it is a valid name.</summary>
    internal static string? EnvVarName(BindContext ctx, MapView map, string key)
    {
        var name = ctx.RequiredString(map, key);
        if (name is null)
        {
            return null;
        }

        name = name.Trim();
        if (!EnvSubstitution.IsValidVariableName(name))
        {
            ctx.Error(map.PathOf(key), $"'{name}' is not a valid environment variable name (letters, digits and '_')");
            return null;
        }

        return name;
    }
}
