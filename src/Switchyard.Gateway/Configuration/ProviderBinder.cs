using System.Collections.Frozen;
using YamlDotNet.RepresentationModel;

namespace Switchyard.Configuration;

/// <summary>A bound provider plus what binding of its users needs to know.</summary>
/// <param name="MissingKeyEnv">
/// Set when the provider needs a key and the variable holding it is unset. Not an error by itself:
/// presets are often declared ahead of use. It becomes one when a deployment uses the provider.
/// </param>
internal sealed record ProviderDraft(ProviderConfig Config, string? MissingKeyEnv)
{
    public string MissingKeyMessage =>
        $"provider '{Config.Name}' has no API key: environment variable {MissingKeyEnv} is not set";
}

/// <summary>Binds <c>providers:</c>.</summary>
internal static class ProviderBinder
{
    private static readonly FrozenSet<string> Keys = FrozenSet.Create(StringComparer.Ordinal,
        "preset", "kind", "api_key_env", "api_key", "base_url", "headers", "timeouts", "settings");

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

        if (baseUrl is null && presetName is not null && preset is null && NeedsBaseUrl.Contains(kind) && BindContext.IsNull(map["base_url"]))
        {
            ctx.Error(map.PathOf("base_url"), $"is required for '{presetName}' providers");
        }

        baseUrl ??= kind == ProviderKind.Echo ? BuiltInEcho.BaseUrl : preset?.BaseUrl;

        var (apiKey, missingKeyEnv) = ApiKey(ctx, map, preset);
        var headers = Headers(ctx, map["headers"], map.PathOf("headers"));
        var timeouts = TimeoutsBinder.Bind(ctx, map["timeouts"], map.PathOf("timeouts"), Timeouts.Default);

        if (ctx.Errors.Count != errorsBefore || baseUrl is null || presetName is null)
        {
            return null;
        }

        var config = new ProviderConfig(name, kind, presetName, baseUrl, apiKey, headers, timeouts) { Settings = settings };
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
    /// Resolves the key. <c>api_key</c> is accepted only as a single <c>${VAR}</c> reference: the point is
    /// that a config file can be committed, shared and pasted into bug reports without ever holding a key.
    /// </summary>
    private static (string? Key, string? MissingKeyEnv) ApiKey(BindContext ctx, MapView map, ProviderPreset? preset)
    {
        string? keyEnv;
        bool required;
        string? fallback = null;

        if (map.Has("api_key") && map.Has("api_key_env"))
        {
            ctx.Error(map.Path, "set either 'api_key' or 'api_key_env', not both");
            return (null, null);
        }

        if (map.Has("api_key"))
        {
            var path = map.PathOf("api_key");
            var raw = ctx.RawScalar(map["api_key"], path);
            if (raw is null)
            {
                if (BindContext.IsNull(map["api_key"]))
                {
                    ctx.Error(path, $"must reference an environment variable, e.g. ${{{preset?.KeyEnv ?? "OPENAI_API_KEY"}}}");
                }

                return (null, null);
            }

            // A non-empty default would put a key in the file after all; ${VAR:-} (optional key) is fine.
            if (!EnvSubstitution.TryParseSingleReference(raw, out var name, out fallback) || fallback is { Length: > 0 })
            {
                var example = preset?.KeyEnv ?? "OPENAI_API_KEY";
                ctx.Error(path, $"api_key must reference an environment variable, e.g. ${{{example}}}; keys are never stored in the file");
                return (null, null);
            }

            keyEnv = name;
            required = fallback is null;
        }
        else if (map.Has("api_key_env"))
        {
            keyEnv = AuthBinder.EnvVarName(ctx, map, "api_key_env");
            required = true; // naming a variable says a key is expected, even for a local server
            if (keyEnv is null)
            {
                return (null, null);
            }
        }
        else
        {
            keyEnv = preset?.KeyEnv;
            required = preset?.KeyRequired ?? false;
        }

        var key = keyEnv is null ? null : ctx.Env(keyEnv);
        if (string.IsNullOrEmpty(key))
        {
            return (null, required ? keyEnv : null);
        }

        return (key, null);
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
