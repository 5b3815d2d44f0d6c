using System.Collections.Frozen;
using YamlDotNet.RepresentationModel;

namespace Switchyard.Configuration;

/// <summary>
/// A deployment's model profile: its provider's catalog entry for the upstream model, overridden by the
/// deployment's <c>catalog:</c> — <c>off</c> (no rules), or a mapping that may name the <c>entry</c> to start from
/// (for ids no pattern matches, such as a Bedrock application inference profile ARN) and set any entry field.
/// </summary>
internal static class CatalogBinder
{
    private static readonly FrozenSet<string> Keys = FrozenSet.Create(StringComparer.Ordinal, [.. ModelEntryBinder.FieldNames, "entry"]);

    public static ModelProfile Profile(BindContext ctx, MapView map, ProviderConfig provider, string upstreamModel)
    {
        var catalog = ModelCatalog.For(ctx.Providers.Find(provider.Kind));
        var path = map.PathOf("catalog");
        var node = map["catalog"];
        if (node is YamlScalarNode && !BindContext.IsNull(node))
        {
            var text = ctx.String(node, path)?.Trim();
            if (text != "off")
            {
                ctx.Error(path, $"must be 'off' or a mapping of catalog fields ({string.Join(", ", Keys.Order(StringComparer.Ordinal))}), not '{text}'");
            }

            return ModelProfile.Unknown;
        }

        if (ctx.Map(node, path, Keys) is not { } overrides)
        {
            return catalog.Resolve(upstreamModel);
        }

        var basis = catalog.Resolve(upstreamModel);
        if (ctx.String(overrides["entry"], overrides.PathOf("entry"))?.Trim() is { } id)
        {
            basis = catalog.Find(id) ?? Unknown(ctx, overrides.PathOf("entry"), id, catalog);
        }

        // An override of an unknown model still needs a name: the rules only run for profiles with an id.
        return ModelEntryBinder.Apply(ctx, overrides, basis.Id is null ? basis with { Id = upstreamModel } : basis);
    }

    private static ModelProfile Unknown(BindContext ctx, string path, string id, ModelCatalog catalog)
    {
        var ids = catalog.Profiles.Select(p => p.Id!).ToList();
        ctx.Error(path, ids.Count == 0
            ? "this provider kind has no model catalog"
            : $"no catalog entry '{id}'{Suggestions.Hint(id, ids)}; entries: {string.Join(", ", ids)}");
        return ModelProfile.Unknown;
    }
}
