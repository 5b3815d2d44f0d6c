using System.Collections.Frozen;
using YamlDotNet.RepresentationModel;

namespace Switchyard.Configuration;

/// <summary>Binds <c>deployments:</c> (and the inline deployments written inside a model).</summary>
internal static class DeploymentBinder
{
    private static readonly FrozenSet<string> Keys = FrozenSet.Create(StringComparer.Ordinal, "provider", "model", "timeouts", "capabilities", "context_window", "max_output_tokens", "price", "price_tier", "limits", "circuit_breaker", "catalog", "operations");

    private static readonly FrozenSet<string> LimitKeys = FrozenSet.Create(StringComparer.Ordinal, "rpm", "tpm");

    private static readonly FrozenSet<string> PriceKeys = FrozenSet.Create(StringComparer.Ordinal,
        ["input", "output", "cached_input", "cache_write", "cache_write_1h", "reasoning", "batch", .. MediaBinder.RateKeys]);

    private static readonly string[] CapabilityNames = ["tools", "vision", "json_schema", "thinking"];

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
        var capabilities = Capabilities(ctx, map, out var declared);
        var price = PriceOf(ctx, map) ?? BookPrice(ctx, provider, model);
        var operations = MediaBinder.Operations(ctx, map, provider, model);
        var tier = ctx.String(map["price_tier"], map.PathOf("price_tier"))?.Trim();
        DeploymentLimits? limits = null;
        if (ctx.Map(map["limits"], map.PathOf("limits"), LimitKeys) is { } lm)
        {
            limits = new DeploymentLimits(
                lm.Has("rpm") ? ctx.Int(lm["rpm"], lm.PathOf("rpm"), min: 1) : null,
                lm.Has("tpm") ? ctx.Int(lm["tpm"], lm.PathOf("tpm"), min: 1) : null);
        }

        var breaker = BreakerBinder.Bind(ctx, map["circuit_breaker"], map.PathOf("circuit_breaker"), ctx.ServerBreaker);
        if (provider is null || model is null || ctx.Errors.Count != errorsBefore)
        {
            return null;
        }

        var profile = CatalogBinder.Profile(ctx, map, provider, model);
        return new DeploymentConfig(name, provider, model, timeouts)
        {
            Capabilities = profile.Capabilities(capabilities, declared),
            Profile = profile,
            Price = price,
            PriceTier = tier,
            Operations = operations,
            Limits = limits,
            CircuitBreaker = breaker,
        };
    }

    /// <summary>
    /// <c>price: { input, output, cached_input, cache_write, cache_write_1h, reasoning }</c> in USD per million tokens:
    /// the deployment's own price, which wins over the price book whole (a rate it leaves out is billed at the input
    /// or output rate it refines, not taken from the book, so the price a record says it used is the one written here).
    /// Input and output are required; every rate must be a non-negative number.
    /// </summary>
    private static Price? PriceOf(BindContext ctx, MapView map)
    {
        var price = ctx.Map(map["price"], map.PathOf("price"), PriceKeys);
        if (price is null)
        {
            return null;
        }

        decimal? Read(string key, bool required)
        {
            var text = ctx.String(price[key], price.PathOf(key));
            if (text is null)
            {
                if (required)
                {
                    ctx.Error(price.PathOf(key), "is required (USD per million tokens)");
                }

                return null;
            }

            if (!decimal.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v) || v < 0)
            {
                ctx.Error(price.PathOf(key), "must be a non-negative number (USD per million tokens)");
                return null;
            }

            return v;
        }

        var media = MediaBinder.HasRates(price); // an image, audio or rerank model may be priced by its own units alone
        var input = Read("input", required: !media) ?? (media ? 0 : null);
        var output = Read("output", required: !media) ?? (media ? 0 : null);
        var rates = new Price(0, 0)
        {
            CachedInput = Read("cached_input", required: false),
            CacheWrite = Read("cache_write", required: false),
            CacheWrite1h = Read("cache_write_1h", required: false),
            Reasoning = Read("reasoning", required: false),
        };
        return input is null || output is null ? null : MediaBinder.Rates(ctx, price, rates with { Input = input.Value, Output = output.Value });
    }

    /// <summary>
    /// The provider's price book entry for the model (docs/adr/0008-price-book.md), when the file gives no price:
    /// the entry in effect today (UTC) is what routing compares; each record is costed at the entry of its own date.
    /// </summary>
    private static Price? BookPrice(BindContext ctx, ProviderConfig? provider, string? model) =>
        provider is null || model is null
            ? null
            : ctx.Providers.BookPrice(provider, model, DateOnly.FromDateTime(TimeProvider.System.GetUtcNow().UtcDateTime));

    /// <summary><c>capabilities: { tools, vision, json_schema, thinking }</c> (booleans), <c>context_window</c>, <c>max_output_tokens</c>.</summary>
    private static ModelCapabilities Capabilities(BindContext ctx, MapView map, out HashSet<string> declared)
    {
        var caps = ModelCapabilities.Default;
        declared = new HashSet<string>(StringComparer.Ordinal);
        var path = map.PathOf("capabilities");
        foreach (var (key, node) in ctx.Entries(map["capabilities"], path) ?? [])
        {
            var keyPath = BindContext.Child(path, key);
            var text = ctx.String(node, keyPath)?.Trim();
            bool? value = text switch { "true" => true, "false" => false, _ => null };
            if (Array.IndexOf(CapabilityNames, key) < 0)
            {
                ctx.Error(keyPath, $"unknown capability '{key}'{Suggestions.Hint(key, CapabilityNames)}; valid: {string.Join(", ", CapabilityNames)}");
                continue;
            }

            if (value is null)
            {
                ctx.Error(keyPath, "must be true or false");
                continue;
            }

            declared.Add(key);
            caps = key switch
            {
                "tools" => caps with { Tools = value.Value },
                "vision" => caps with { Vision = value.Value },
                "json_schema" => caps with { JsonSchema = value.Value },
                _ => caps with { Thinking = value.Value },
            };
        }

        if (map.Has("context_window"))
        {
            caps = caps with { ContextWindow = ctx.Int(map["context_window"], map.PathOf("context_window"), min: 1) };
        }

        if (map.Has("max_output_tokens"))
        {
            caps = caps with { MaxOutputTokens = ctx.Int(map["max_output_tokens"], map.PathOf("max_output_tokens"), min: 1) };
        }

        return caps;
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
            var presetHint = hint.Length == 0 && ctx.Providers.TryGetPreset(name, out _, out _)
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
