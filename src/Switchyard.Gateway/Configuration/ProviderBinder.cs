using System.Collections.Frozen;
using YamlDotNet.RepresentationModel;

namespace Switchyard.Configuration;

/// <summary>A bound provider plus what binding of its users needs to know.</summary>
/// <param name="MissingKeyEnv">
/// Set when the provider needs a key and the variable holding it is unset (for a key pool: every variable,
/// comma-separated). Not an error by itself: presets are often declared ahead of use. It becomes one when a
/// deployment uses the provider.
/// </param>
internal sealed record ProviderDraft(ProviderConfig Config, string? MissingKeyEnv)
{
    public string MissingKeyMessage => MissingKeyEnv is { } env && env.Contains(',', StringComparison.Ordinal)
        ? $"provider '{Config.Name}' has no API key: none of the environment variables {env} is set"
        : $"provider '{Config.Name}' has no API key: environment variable {MissingKeyEnv} is not set";
}

/// <summary>Binds <c>providers:</c>.</summary>
internal static class ProviderBinder
{
    private static readonly FrozenSet<string> Keys = FrozenSet.Create(StringComparer.Ordinal,
        "preset", "kind", "api_key_env", "api_key", "api_keys", "key_cooldown", "base_url", "headers", "timeouts", "settings");

    private static readonly FrozenSet<string> CooldownKeys = FrozenSet.Create(StringComparer.Ordinal, "rate_limited", "auth");

    /// <summary>The ways to give a key; at most one per provider.</summary>
    private static readonly string[] KeySources = ["api_key", "api_key_env", "api_keys"];

    /// <summary>Kinds a file may name, with the settings each accepts (validated here, used by its adapter).</summary>
    private static readonly FrozenDictionary<string, (ProviderKind Kind, string[] Settings)> Kinds =
        new Dictionary<string, (ProviderKind, string[])>
        {
            [ProviderPresets.OpenAICompatible] = (ProviderKind.OpenAICompatible, []),
            ["echo"] = (ProviderKind.Echo, []),
            ["anthropic"] = (ProviderKind.Anthropic, ["anthropic_version", "anthropic_beta"]),
            ["gemini"] = (ProviderKind.Gemini, []),
            ["bedrock"] = (ProviderKind.Bedrock, ["region", "access_key_id_env", "secret_access_key_env", "session_token_env"]),
            ["azure-openai"] = (ProviderKind.AzureOpenAI, ["api_version", "api_style"]),
            ["vertex"] = (ProviderKind.Vertex, ["project", "location", "credentials_file_env", "credentials_env", "token_url", "publisher"]),
        }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>Kinds that need an explicit base_url (no fixed public endpoint).</summary>
    private static readonly FrozenSet<ProviderKind> NeedsBaseUrl = FrozenSet.Create(ProviderKind.OpenAICompatible, ProviderKind.AzureOpenAI);

    private const string EchoKind = "echo";

    /// <summary>
    /// Every provider by name. A name whose definition had errors maps to null: it is known to exist, so
    /// its users do not get a second, misleading "unknown provider" error.
    /// </summary>
    public static Dictionary<string, ProviderDraft?> Bind(BindContext ctx, YamlNode? node, string path)
    {
        var result = new Dictionary<string, ProviderDraft?>(StringComparer.Ordinal);
        foreach (var (name, value) in ctx.Entries(node, path) ?? [])
        {
            var itemPath = BindContext.Child(path, name);
            if (!ctx.CheckName(name, itemPath, "provider"))
            {
                continue;
            }

            // "providers: { groq: }" is a complete declaration: the preset defaults to the provider's name.
            var map = BindContext.IsNull(value) ? new MapView(itemPath, []) : ctx.Map(value, itemPath, Keys);
            result[name] = map is null ? null : BindOne(ctx, name, map);
        }

        return result;
    }

    private static ProviderDraft? BindOne(BindContext ctx, string name, MapView map)
    {
        var errorsBefore = ctx.Errors.Count;
        var (kind, presetName, preset) = ResolveKind(ctx, name, map);

        var baseUrl = BaseUrl(ctx, map);
        var settings = Settings(ctx, map, presetName, kind);
        if (kind == ProviderKind.Bedrock && baseUrl is null)
        {
            // Bedrock's endpoint follows from its region (https://docs.aws.amazon.com/general/latest/gr/bedrock.html).
            if (settings.TryGetValue("region", out var region))
            {
                baseUrl = new Uri($"https://bedrock-runtime.{region}.amazonaws.com");
            }
            else
            {
                ctx.Error(map.PathOf("settings"), "bedrock providers need settings.region (or base_url)");
            }
        }

        if (kind == ProviderKind.Vertex)
        {
            // Vertex AI is served per location (https://cloud.google.com/vertex-ai/generative-ai/docs/learn/locations);
            // the project and location are also part of every request path, so both are required even with a base_url.
            settings.TryGetValue("location", out var location);
            if (!settings.ContainsKey("project") || location is null)
            {
                ctx.Error(map.PathOf("settings"), "vertex providers need settings.project and settings.location");
            }
            else if (location.Length == 0 || !location.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
            {
                ctx.Error(map.PathOf("settings"), "settings.location must be a Vertex AI location such as us-central1 or global");
            }
            else
            {
                baseUrl ??= new Uri(location == "global" ? "https://aiplatform.googleapis.com" : $"https://{location}-aiplatform.googleapis.com");
            }

            if (settings.TryGetValue("publisher", out var publisher) && publisher is not ("google" or "anthropic"))
            {
                ctx.Error(map.PathOf("settings"), "settings.publisher must be 'google' or 'anthropic' (or left out: inferred from the model name)");
            }
        }

        if (baseUrl is null && presetName is not null && preset is null && NeedsBaseUrl.Contains(kind) && BindContext.IsNull(map["base_url"]))
        {
            ctx.Error(map.PathOf("base_url"), $"is required for '{presetName}' providers");
        }

        baseUrl ??= kind == ProviderKind.Echo ? BuiltInEcho.BaseUrl : preset?.BaseUrl;

        var (apiKeys, missingKeyEnv) = ApiKeys(ctx, map, preset);
        var cooldowns = Cooldowns(ctx, map);
        var headers = Headers(ctx, map["headers"], map.PathOf("headers"));
        var timeouts = TimeoutsBinder.Bind(ctx, map["timeouts"], map.PathOf("timeouts"), Timeouts.Default);

        if (ctx.Errors.Count != errorsBefore || baseUrl is null || presetName is null)
        {
            return null;
        }

        var config = new ProviderConfig(name, kind, presetName, baseUrl, apiKeys.Count > 0 ? apiKeys[0] : null, headers, timeouts)
        {
            Settings = settings,
            ApiKeys = apiKeys,
            KeyCooldowns = cooldowns,
        };
        return new ProviderDraft(config, missingKeyEnv);
    }

    private static (ProviderKind Kind, string? PresetName, ProviderPreset? Preset) ResolveKind(
        BindContext ctx, string name, MapView map)
    {
        var presetName = ctx.String(map["preset"], map.PathOf("preset"))?.Trim();
        var kindName = ctx.String(map["kind"], map.PathOf("kind"))?.Trim();
        if (presetName is not null && kindName is not null)
        {
            ctx.Error(map.Path, "set either 'preset' or 'kind', not both");
            return (ProviderKind.OpenAICompatible, null, null);
        }

        if (presetName is not null)
        {
            if (presetName == ProviderPresets.OpenAICompatible)
            {
                return (ProviderKind.OpenAICompatible, presetName, null);
            }

            if (ProviderPresets.Find(presetName) is { } p)
            {
                return (p.Kind, p.Name, p);
            }

            ctx.Error(map.PathOf("preset"), $"unknown preset '{presetName}'"
                + Suggestions.Hint(presetName, ProviderPresets.Names)
                + $"; valid presets: {string.Join(", ", ProviderPresets.Names)}"
                + $" (or use 'kind: {ProviderPresets.OpenAICompatible}' with 'base_url')");
            return (ProviderKind.OpenAICompatible, null, null);
        }

        if (kindName is not null)
        {
            if (Kinds.TryGetValue(kindName, out var k))
            {
                // A native kind written as 'kind:' still gets its preset's base URL and key variable.
                var kindPreset = ProviderPresets.Find(kindName) is { } kp && kp.Kind == k.Kind ? kp : null;
                return (k.Kind, kindName == EchoKind ? ProviderPresets.Echo : kindName, kindPreset);
            }

            ctx.Error(map.PathOf("kind"),
                $"unknown kind '{kindName}'{Suggestions.Hint(kindName, [.. Kinds.Keys])}; valid kinds: {string.Join(", ", Kinds.Keys.Order(StringComparer.Ordinal))}");
            return (ProviderKind.OpenAICompatible, null, null);
        }

        if (ProviderPresets.Find(name) is { } implied)
        {
            return (implied.Kind, implied.Name, implied);
        }

        ctx.Error(map.Path, $"set 'preset' (one of: {string.Join(", ", ProviderPresets.Names)}) "
            + $"or 'kind: {ProviderPresets.OpenAICompatible}' with 'base_url'");
        return (ProviderKind.OpenAICompatible, null, null);
    }

    private static Uri? BaseUrl(BindContext ctx, MapView map)
    {
        var path = map.PathOf("base_url");
        var text = ctx.String(map["base_url"], path)?.Trim();
        if (text is null)
        {
            return null;
        }

        // The value is not echoed: URLs can carry credentials (user:password@host).
        if (!Uri.TryCreate(text.TrimEnd('/'), UriKind.Absolute, out var uri)
            || uri.Scheme is not ("http" or "https")
            || string.IsNullOrEmpty(uri.Host))
        {
            ctx.Error(path, "must be an absolute http:// or https:// URL, e.g. https://api.example.com/v1");
            return null;
        }

        if (!string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment))
        {
            ctx.Error(path, "must not contain a query string or fragment (operation paths are appended to it)");
            return null;
        }

        return uri;
    }

    /// <summary>
    /// Resolves the keys. A key is only ever named, never written: <c>api_key</c> (and each entry of
    /// <c>api_keys</c>) must be a single <c>${VAR}</c> reference, <c>api_key_env</c> a variable name or a list
    /// of them. The point is that a config file can be committed, shared and pasted into bug reports without
    /// ever holding a key. In a pool, unset variables are skipped; the provider lacks a key only when all are.
    /// </summary>
    private static (List<string> Keys, string? MissingKeyEnv) ApiKeys(BindContext ctx, MapView map, ProviderPreset? preset)
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
    private static KeyCooldowns Cooldowns(BindContext ctx, MapView map)
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

    private static Dictionary<string, string> Settings(BindContext ctx, MapView map, string? kindName, ProviderKind kind)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var path = map.PathOf("settings");
        var entries = ctx.Entries(map["settings"], path);
        if (entries is null)
        {
            return result;
        }

        var allowed = Kinds.Values.FirstOrDefault(k => k.Kind == kind).Settings ?? [];
        foreach (var (key, valueNode) in entries)
        {
            var keyPath = BindContext.Child(path, key);
            if (Array.IndexOf(allowed, key) < 0)
            {
                ctx.Error(keyPath, allowed.Length == 0
                    ? $"'{kindName}' providers take no settings"
                    : $"unknown setting '{key}'{Suggestions.Hint(key, allowed)}; valid settings: {string.Join(", ", allowed)}");
                continue;
            }

            if (ctx.String(valueNode, keyPath) is { } value)
            {
                result[key] = value.Trim();
            }
        }

        return result;
    }

    private static IReadOnlyList<KeyValuePair<string, string>> Headers(BindContext ctx, YamlNode? node, string path)
    {
        var entries = ctx.Entries(node, path);
        if (entries is null)
        {
            return [];
        }

        var headers = new List<KeyValuePair<string, string>>(entries.Count);
        foreach (var (name, valueNode) in entries)
        {
            var headerPath = BindContext.Child(path, name);
            if (!IsToken(name))
            {
                ctx.Error(headerPath, "invalid header name");
                continue;
            }

            var value = ctx.String(valueNode, headerPath);
            if (value is null)
            {
                if (BindContext.IsNull(valueNode))
                {
                    ctx.Error(headerPath, "header value is required");
                }

                continue;
            }

            // Header values may carry secrets (${VAR}); report the problem, never the value.
            if (value.AsSpan().IndexOfAny('\r', '\n', '\0') >= 0)
            {
                ctx.Error(headerPath, "header value must not contain line breaks");
                continue;
            }

            headers.Add(new KeyValuePair<string, string>(name, value));
        }

        return headers;
    }

    /// <summary>RFC 9110 token characters.</summary>
    private static bool IsToken(string s)
    {
        foreach (var c in s)
        {
            if (!char.IsAsciiLetterOrDigit(c) && "!#$%&'*+-.^_`|~".IndexOf(c) < 0)
            {
                return false;
            }
        }

        return s.Length > 0;
    }
}
