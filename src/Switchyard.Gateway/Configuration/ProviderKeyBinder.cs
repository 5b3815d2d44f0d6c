using System.Collections.Frozen;
using YamlDotNet.RepresentationModel;

namespace Switchyard.Configuration;

/// <summary>
/// Binds a provider's keys (<c>api_key</c>, <c>api_key_env</c>, <c>api_keys</c>) and their cooldowns
/// (<c>key_cooldown</c>); split from <see cref="ProviderBinder"/> because key handling is its own set of rules.
/// </summary>
internal static class ProviderKeyBinder
{
    private static readonly FrozenSet<string> CooldownKeys = FrozenSet.Create(StringComparer.Ordinal, "rate_limited", "auth");

    /// <summary>The ways to give a key; at most one per provider.</summary>
    private static readonly string[] KeySources = ["api_key", "api_key_env", "api_keys"];

    /// <summary>
    /// Resolves the keys. A key is only ever named, never written: <c>api_key</c> (and each entry of
    /// <c>api_keys</c>) must be a single <c>${VAR}</c> reference, <c>api_key_env</c> a variable name or a list
    /// of them. The point is that a config file can be committed, shared and pasted into bug reports without
    /// ever holding a key. In a pool, unset variables are skipped; the provider lacks a key only when all are.
    /// </summary>
    public static (List<string> Keys, string? MissingKeyEnv) ApiKeys(BindContext ctx, MapView map, ProviderPreset? preset)
    {
        var given = KeySources.Where(map.Has).ToList();
        if (given.Count > 1)
        {
            ctx.Error(map.Path, given is ["api_key", "api_key_env"]
                ? "set either 'api_key' or 'api_key_env', not both"
                : $"set only one of {string.Join(", ", KeySources.Select(k => $"'{k}'"))}, not {string.Join(" and ", given.Select(k => $"'{k}'"))}");
            return ([], null);
        }

        var example = preset?.KeyEnv ?? "OPENAI_API_KEY";
        var refs = new List<(string Name, bool Required)>();
        switch (given.FirstOrDefault())
        {
            case "api_key":
                if (KeyReference(ctx, map["api_key"], map.PathOf("api_key"), example, "api_key") is not { } single)
                {
                    return ([], null);
                }

                refs.Add(single);
                break;

            case "api_key_env" when map["api_key_env"] is YamlSequenceNode:
                // Naming variables says keys are expected, even for a local server.
                if (!ReferenceList(ctx, map, "api_key_env", refs, (node, path) => VariableName(ctx, node, path) is { } n ? (n, true) : null))
                {
                    return ([], null);
                }

                break;

            case "api_key_env":
                if (AuthBinder.EnvVarName(ctx, map, "api_key_env") is not { } keyEnv)
                {
                    return ([], null);
                }

                refs.Add((keyEnv, true));
                break;

            case "api_keys":
                if (!ReferenceList(ctx, map, "api_keys", refs, (node, path) => KeyReference(ctx, node, path, example, "api_keys entries")))
                {
                    return ([], null);
                }

                break;

            default:
                if (preset?.KeyEnv is { } presetEnv)
                {
                    refs.Add((presetEnv, preset.KeyRequired));
                }

                break;
        }

        var keys = new List<string>(refs.Count);
        foreach (var (name, _) in refs)
        {
            // Two variables holding the same key would only weigh it double in the rotation.
            if (ctx.Env(name) is { Length: > 0 } key && !keys.Contains(key, StringComparer.Ordinal))
            {
                keys.Add(key);
            }
        }

        if (keys.Count == 0 && refs.Any(r => r.Required))
        {
            return (keys, string.Join(", ", refs.Select(r => r.Name)));
        }

        return (keys, null);
    }

    /// <summary>
    /// Reads a list of key sources (<c>api_keys</c>, <c>api_key_env</c>), each entry checked by
    /// <paramref name="read"/> at its own path (<c>providers.NAME.api_keys[1]</c>). False when anything was wrong.
    /// </summary>
    private static bool ReferenceList(BindContext ctx, MapView map, string key, List<(string Name, bool Required)> refs,
        Func<YamlNode, string, (string Name, bool Required)?> read)
    {
        var path = map.PathOf(key);
        var seq = ctx.Sequence(map[key], path);
        if (seq is null)
        {
            if (BindContext.IsNull(map[key]))
            {
                ctx.Error(path, "must list at least one environment variable");
            }

            return false;
        }

        if (seq.Children.Count == 0)
        {
            ctx.Error(path, "must list at least one environment variable");
            return false;
        }

        var ok = true;
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < seq.Children.Count; i++)
        {
            var itemPath = BindContext.Index(path, i);
            if (read(seq.Children[i], itemPath) is not { } entry)
            {
                ok = false;
                continue;
            }

            if (!seen.TryAdd(entry.Name, i))
            {
                ctx.Error(itemPath, $"{entry.Name} is already listed at {BindContext.Index(key, seen[entry.Name])}");
                ok = false;
                continue;
            }

            refs.Add(entry);
        }

        return ok;
    }

    /// <summary>A <c>${VAR}</c> reference (<c>${VAR:-}</c>: optional); anything else is refused without echoing it.</summary>
    private static (string Name, bool Required)? KeyReference(BindContext ctx, YamlNode? node, string path, string example, string what)
    {
        var raw = ctx.RawScalar(node, path);
        if (raw is null)
        {
            if (BindContext.IsNull(node))
            {
                ctx.Error(path, $"must reference an environment variable, e.g. ${{{example}}}");
            }

            return null;
        }

        // A non-empty default would put a key in the file after all; ${VAR:-} (optional key) is fine.
        if (!EnvSubstitution.TryParseSingleReference(raw, out var name, out var fallback) || fallback is { Length: > 0 })
        {
            ctx.Error(path, $"{what} must reference an environment variable, e.g. ${{{example}}}; keys are never stored in the file");
            return null;
        }

        return (name, fallback is null);
    }

    /// <summary>
    /// An entry of an <c>api_key_env</c> list: a variable name, taken as written (no <c>${VAR}</c> substitution).
    /// An invalid one is not echoed: a key pasted here by mistake must not end up in the log.
    /// </summary>
    private static string? VariableName(BindContext ctx, YamlNode node, string path)
    {
        var name = ctx.RawScalar(node, path)?.Trim();
        if (string.IsNullOrEmpty(name))
        {
            if (name is not null || BindContext.IsNull(node))
            {
                ctx.Error(path, "must name an environment variable");
            }

            return null;
        }

        if (!EnvSubstitution.IsValidVariableName(name))
        {
            ctx.Error(path, "is not a valid environment variable name (letters, digits and '_'); name the variable that holds the key, not the key");
            return null;
        }

        return name;
    }

    /// <summary><c>key_cooldown: { rate_limited: 60s, auth: 5m }</c>.</summary>
    public static KeyCooldowns Cooldowns(BindContext ctx, MapView map)
    {
        var cooldown = ctx.Map(map["key_cooldown"], map.PathOf("key_cooldown"), CooldownKeys);
        if (cooldown is null)
        {
            return KeyCooldowns.Default;
        }

        return new KeyCooldowns(
            ctx.Duration(cooldown["rate_limited"], cooldown.PathOf("rate_limited")) ?? KeyCooldowns.Default.RateLimited,
            ctx.Duration(cooldown["auth"], cooldown.PathOf("auth")) ?? KeyCooldowns.Default.Auth);
    }
}
