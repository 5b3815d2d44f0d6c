using System.Globalization;

namespace Switchyard.Configuration;

/// <summary>
/// Binds what a deployment says about operations beyond chat (docs/adr/0017-beyond-chat.md): <c>operations:</c>, the
/// list of what it serves, and the media rates of its <c>price:</c> (<c>per_image</c>, <c>per_image_by</c>,
/// <c>per_second</c>, <c>per_million_characters</c>, <c>per_search_unit</c>, in USD).
/// </summary>
internal static class MediaBinder
{
    /// <summary>The price keys this binder reads.</summary>
    public static readonly string[] RateKeys = ["per_image", "per_image_by", "per_second", "per_million_characters", "per_search_unit"];

    /// <summary>
    /// The deployment's operations: those listed (each must be one its provider kind serves), else what the model id
    /// implies (<see cref="MediaOperations.Infer"/>) within the kind's.
    /// </summary>
    public static OperationKinds Operations(BindContext ctx, MapView map, ProviderConfig? provider, string? model)
    {
        var served = provider is null ? OperationKinds.ChatDefault : ctx.Providers.Find(provider.Kind)?.Serves ?? OperationKinds.ChatDefault;
        var path = map.PathOf("operations");
        if (ctx.Sequence(map["operations"], path) is not { } list)
        {
            var inferred = model is null ? OperationKinds.ChatDefault : MediaOperations.Infer(model) & served;
            return inferred == OperationKinds.None ? served : inferred; // a rerank-only kind serving "my-model": what the kind does
        }

        var declared = OperationKinds.None;
        for (var i = 0; i < list.Children.Count; i++)
        {
            var itemPath = $"{path}[{i}]";
            var name = ctx.String(list.Children[i], itemPath)?.Trim() ?? "";
            var kind = MediaOperations.Parse(name);
            if (kind == OperationKinds.None)
            {
                ctx.Error(itemPath, $"unknown operation '{name}'{Suggestions.Hint(name, MediaOperations.Names)}; valid: {string.Join(", ", MediaOperations.Names)}");
            }
            else if (provider is not null && (served & kind) == 0) // an unknown provider is reported on its own
            {
                ctx.Error(itemPath, $"provider kind '{provider!.Kind}' does not serve '{name}'");
            }

            declared |= kind;
        }

        return declared & served;
    }

    /// <summary>The media rates of a <c>price:</c> mapping onto <paramref name="price"/>; every rate a non-negative number.</summary>
    public static Price Rates(BindContext ctx, MapView price, Price rates) => rates with
    {
        PerImage = Rate(ctx, price, "per_image"),
        PerImageBy = ImageRates(ctx, price),
        PerSecond = Rate(ctx, price, "per_second"),
        PerMillionCharacters = Rate(ctx, price, "per_million_characters"),
        PerSearchUnit = Rate(ctx, price, "per_search_unit"),
        BatchRate = BatchShare(ctx, price),
    };

    /// <summary><c>price: { batch }</c>: the share of the token rates a batch is billed at, from 0 to 1 (OpenAI's is 0.5).</summary>
    private static decimal? BatchShare(BindContext ctx, MapView price)
    {
        var share = Rate(ctx, price, "batch");
        if (share > 1)
        {
            ctx.Error(price.PathOf("batch"), "must be a share of the standard rates, from 0 to 1 (0.5 is half price)");
            return null;
        }

        return share;
    }

    /// <summary>True when the mapping names a media rate (then <c>input</c> and <c>output</c> may be left out: they are 0).</summary>
    public static bool HasRates(MapView price) => RateKeys.Any(price.Has);

    private static Dictionary<string, decimal>? ImageRates(BindContext ctx, MapView price)
    {
        var path = price.PathOf("per_image_by");
        if (ctx.Entries(price["per_image_by"], path) is not { } entries)
        {
            return null;
        }

        var rates = new Dictionary<string, decimal>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, node) in entries)
        {
            if (Number(ctx, ctx.String(node, BindContext.Child(path, key)), BindContext.Child(path, key)) is { } usd)
            {
                rates[key] = usd;
            }
        }

        return rates;
    }

    private static decimal? Rate(BindContext ctx, MapView price, string key) =>
        Number(ctx, ctx.String(price[key], price.PathOf(key)), price.PathOf(key));

    private static decimal? Number(BindContext ctx, string? text, string path)
    {
        if (text is null)
        {
            return null;
        }

        if (!decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || v < 0)
        {
            ctx.Error(path, "must be a non-negative number (USD)");
            return null;
        }

        return v;
    }
}
