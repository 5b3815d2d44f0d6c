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

/// <summary>The kind a provider resolved to: its descriptor, the preset name recorded, and the preset when one applies.</summary>
internal readonly record struct KindChoice(ProviderDescriptor Descriptor, string PresetName, ProviderPreset? Preset);

/// <summary>
/// Binds <c>providers:</c>. Everything kind-specific (which kinds and presets exist, their settings and the rules
/// between them) comes from the <see cref="Providers.ProviderCatalog"/> in <see cref="BindContext.Providers"/>.
/// </summary>
internal static class ProviderBinder
{
    private static readonly FrozenSet<string> Keys = FrozenSet.Create(StringComparer.Ordinal,
        "preset", "kind", "api_key_env", "api_key", "api_keys", "key_cooldown", "base_url", "headers", "timeouts", "settings");

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
        var choice = ResolveKind(ctx, name, map);
        var baseUrl = BaseUrl(ctx, map);
        Dictionary<string, string> settings = [];
        if (choice is { } chosen)
        {
            settings = Settings(ctx, map, chosen);
            var implied = CheckSettings(ctx, map, chosen.Descriptor, settings, baseUrl); // runs even with a base_url (Vertex needs its project)
            baseUrl ??= implied;
            if (baseUrl is null && chosen.Preset is null && chosen.Descriptor.RequiresBaseUrl && BindContext.IsNull(map["base_url"]))
            {
                ctx.Error(map.PathOf("base_url"), $"is required for '{chosen.PresetName}' providers");
            }

            baseUrl ??= chosen.Preset?.BaseUrl ?? chosen.Descriptor.DefaultBaseUrl;
        }

        var (apiKeys, missingKeyEnv) = ProviderKeyBinder.ApiKeys(ctx, map, choice?.Preset);
        var cooldowns = ProviderKeyBinder.Cooldowns(ctx, map);
        var headers = Headers(ctx, map["headers"], map.PathOf("headers"));
        var timeouts = TimeoutsBinder.Bind(ctx, map["timeouts"], map.PathOf("timeouts"), Timeouts.Default);

        if (ctx.Errors.Count != errorsBefore || baseUrl is null || choice is not { } kind)
        {
            return null;
        }

        var config = new ProviderConfig(name, kind.Descriptor.Kind, kind.PresetName, baseUrl, apiKeys.Count > 0 ? apiKeys[0] : null, headers, timeouts)
        {
            Settings = settings,
            ApiKeys = apiKeys,
            KeyCooldowns = cooldowns,
        };
        return new ProviderDraft(config, missingKeyEnv);
    }

    /// <summary>The descriptor's own rules over its settings, reported at <c>providers.NAME.settings</c>; the base URL they imply.</summary>
    private static Uri? CheckSettings(BindContext ctx, MapView map, ProviderDescriptor descriptor, Dictionary<string, string> settings, Uri? baseUrl)
    {
        var check = new ProviderSettingsContext(map.PathOf("settings"), settings, baseUrl);
        var implied = descriptor.CheckSettings(check);
        foreach (var message in check.Errors)
        {
            ctx.Error(check.Path, message);
        }

        return implied;
    }

    /// <summary>
    /// <c>preset:</c> (a known host), <c>kind:</c> (a protocol, at a <c>base_url</c>), or neither (the provider's
    /// name is a preset). Null, reported, when none of them names something the catalog knows.
    /// </summary>
    private static KindChoice? ResolveKind(BindContext ctx, string name, MapView map)
    {
        var catalog = ctx.Providers;
        var presetName = ctx.String(map["preset"], map.PathOf("preset"))?.Trim();
        var kindName = ctx.String(map["kind"], map.PathOf("kind"))?.Trim();
        if (presetName is not null && kindName is not null)
        {
            ctx.Error(map.Path, "set either 'preset' or 'kind', not both");
            return null;
        }

        if (presetName is not null)
        {
            if (catalog.Generic is { } generic && presetName == generic.Kind)
            {
                return new KindChoice(generic, presetName, null);
            }

            if (catalog.TryGetPreset(presetName, out var owner, out var preset))
            {
                return new KindChoice(owner, preset.Name, preset);
            }

            ctx.Error(map.PathOf("preset"), $"unknown preset '{presetName}'"
                + Suggestions.Hint(presetName, catalog.PresetNames)
                + $"; valid presets: {string.Join(", ", catalog.PresetNames)}"
                + (catalog.Generic is { } g ? $" (or use 'kind: {g.Kind}' with 'base_url')" : ""));
            return null;
        }

        if (kindName is not null)
        {
            if (catalog.Find(kindName) is { } descriptor)
            {
                // A native kind written as 'kind:' still gets its preset's base URL and key variable.
                var kindPreset = catalog.TryGetPreset(kindName, out var owner, out var kp) && owner == descriptor ? kp : null;
                return new KindChoice(descriptor, kindName, kindPreset);
            }

            ctx.Error(map.PathOf("kind"),
                $"unknown kind '{kindName}'{Suggestions.Hint(kindName, catalog.KindNames)}; valid kinds: {string.Join(", ", catalog.KindNames)}");
            return null;
        }

        if (catalog.TryGetPreset(name, out var impliedOwner, out var implied))
        {
            return new KindChoice(impliedOwner, implied.Name, implied);
        }

        ctx.Error(map.Path, $"set 'preset' (one of: {string.Join(", ", catalog.PresetNames)}) "
            + (catalog.Generic is { } fallback
                ? $"or 'kind: {fallback.Kind}' with 'base_url'"
                : $"or 'kind' (one of: {string.Join(", ", catalog.KindNames)}) with 'base_url'"));
        return null;
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

    /// <summary><c>settings:</c>, each name checked against the kind's list (with a spelling hint), each value a string.</summary>
    private static Dictionary<string, string> Settings(BindContext ctx, MapView map, KindChoice kind)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var path = map.PathOf("settings");
        var entries = ctx.Entries(map["settings"], path);
        if (entries is null)
        {
            return result;
        }

        var allowed = kind.Descriptor.Settings;
        foreach (var (key, valueNode) in entries)
        {
            var keyPath = BindContext.Child(path, key);
            if (!allowed.Contains(key, StringComparer.Ordinal))
            {
                ctx.Error(keyPath, allowed.Count == 0
                    ? $"'{kind.PresetName}' providers take no settings"
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
