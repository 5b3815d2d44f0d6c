using System.Collections.Frozen;
using YamlDotNet.RepresentationModel;

namespace Switchyard.Configuration;

/// <summary>Binds <c>deployments:</c> (and the inline deployments written inside a model).</summary>
internal static class DeploymentBinder
{
    private static readonly FrozenSet<string> Keys = FrozenSet.Create(StringComparer.Ordinal, "provider", "model", "timeouts");

    /// <summary>Every deployment by name; null marks a deployment whose definition had errors.</summary>
    public static Dictionary<string, DeploymentConfig?> Bind(
        BindContext ctx, YamlNode? node, string path, IReadOnlyDictionary<string, ProviderDraft?> providers)
    {
        var result = new Dictionary<string, DeploymentConfig?>(StringComparer.Ordinal);
        foreach (var (name, value) in ctx.Entries(node, path) ?? [])
        {
            var itemPath = BindContext.Child(path, name);
            if (!ctx.CheckName(name, itemPath, "deployment"))
            {
                continue;
            }

            var map = ctx.Map(value, itemPath, Keys);
            if (map is null && BindContext.IsNull(value))
            {
                ctx.Error(itemPath, "expected a mapping with 'provider' and 'model'");
            }

            result[name] = map is null ? null : BindBody(ctx, name, map, providers);
        }

        return result;
    }

    /// <summary>
    /// Binds <c>provider</c>, <c>model</c> and <c>timeouts</c> from <paramref name="map"/> (which may hold other
    /// keys the caller handles, such as <c>weight</c>). Null when anything is wrong (already reported).
    /// </summary>
    public static DeploymentConfig? BindBody(
        BindContext ctx, string name, MapView map, IReadOnlyDictionary<string, ProviderDraft?> providers)
    {
        var errorsBefore = ctx.Errors.Count;
        var provider = ResolveProvider(ctx, map, providers);
        var model = ctx.RequiredString(map, "model")?.Trim();
        var timeouts = TimeoutsBinder.Bind(ctx, map["timeouts"], map.PathOf("timeouts"), provider?.Timeouts ?? Timeouts.Default);

        if (provider is null || model is null || ctx.Errors.Count != errorsBefore)
        {
            return null;
        }

        return new DeploymentConfig(name, provider, model, timeouts);
    }

    private static ProviderConfig? ResolveProvider(
        BindContext ctx, MapView map, IReadOnlyDictionary<string, ProviderDraft?> providers)
    {
        var path = map.PathOf("provider");
        var name = ctx.RequiredString(map, "provider")?.Trim();
        if (name is null)
        {
            return null;
        }

        if (!providers.TryGetValue(name, out var draft))
        {
            var hint = Suggestions.Hint(name, providers.Keys);
            var presetHint = hint.Length == 0 && ProviderPresets.Find(name) is not null
                ? $" (declare it under 'providers:', e.g. 'providers: {{ {name}: {{ preset: {name} }} }}')"
                : "";
            ctx.Error(path, $"unknown provider '{name}'{hint}{presetHint}");
            return null;
        }

        if (draft is null)
        {
            return null; // the provider's own errors are already reported
        }

        if (draft.MissingKeyEnv is not null)
        {
            ctx.Error(path, draft.MissingKeyMessage);
            return null;
        }

        return draft.Config;
    }
}
