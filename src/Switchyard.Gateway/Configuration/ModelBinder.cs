using System.Collections.Frozen;
using Switchyard.Routing.Strategies;
using YamlDotNet.RepresentationModel;

namespace Switchyard.Configuration;

/// <summary>A bound alias whose fallbacks are still names: they can only be resolved once every alias is known.</summary>
internal sealed record AliasDraft(
    string Name,
    string Path,
    IReadOnlyList<WeightedDeployment> Deployments,
    IReadOnlyList<(string Name, string Path)> Fallbacks,
    FallbackPolicy Policy)
{
    /// <summary><c>drop_unsupported_params</c>.</summary>
    public bool DropUnsupportedParams { get; init; }

    /// <summary><c>routing</c>: a strategy name from the catalog, or null for its default.</summary>
    public string? Strategy { get; init; }

    /// <summary><c>hedge</c>.</summary>
    public HedgePolicy? Hedge { get; init; }

    /// <summary><c>circuit_breaker</c>: the default breaker of the alias's own deployments.</summary>
    public CircuitBreakerSettings? CircuitBreaker { get; init; }

    /// <summary><c>cache</c>: the alias's exact cache.</summary>
    public CachePolicy? Cache { get; init; }

    /// <summary><c>guardrails</c>: the alias's guardrail policies.</summary>
    public IReadOnlyList<string> Guardrails { get; init; } = [];
}

/// <summary>What model binding resolves names against.</summary>
internal sealed record ModelScope(
    Dictionary<string, DeploymentConfig?> Deployments,
    IReadOnlyDictionary<string, ProviderDraft?> Providers,
    IReadOnlySet<string> AliasNames);

/// <summary>
/// Binds <c>models:</c>. A model is either a plain string (one deployment) or a mapping with weighted
/// deployments, a fallback chain and a policy. Deployment items may also be written inline
/// (<c>{provider, model}</c>) for quick setups; those become deployments named <c>ALIAS/INDEX</c>.
/// </summary>
internal static class ModelBinder
{
    /// <summary>Keeps weight sums far from overflow in the router, while allowing any practical ratio.</summary>
    public const int MaxWeight = 1_000_000;

    private static readonly FrozenSet<string> ModelKeys = FrozenSet.Create(StringComparer.Ordinal,
        "deployments", "fallbacks", "max_attempts", "retry", "timeout", "on", "drop_unsupported_params", "routing", "hedge", "circuit_breaker", "cache", "guardrails");

    private static readonly FrozenSet<string> HedgeKeys = FrozenSet.Create(StringComparer.Ordinal, "delay", "max_share");

    private static readonly FrozenSet<string> ItemKeys = FrozenSet.Create(StringComparer.Ordinal,
        "deployment", "weight", "provider", "model", "timeouts", "priority");

    /// <summary>
    /// Every alias by name in document order; null marks a model whose value had the wrong shape (it still
    /// counts as existing, so fallbacks to it are not reported a second time). Inline deployments are added
    /// to <paramref name="deployments"/>.
    /// </summary>
    public static List<(string Name, AliasDraft? Draft)> Bind(
        BindContext ctx,
        YamlNode? node,
        string path,
        Dictionary<string, DeploymentConfig?> deployments,
        IReadOnlyDictionary<string, ProviderDraft?> providers)
    {
        var result = new List<(string, AliasDraft?)>();
        var entries = ctx.Entries(node, path) ?? [];
        var scope = new ModelScope(deployments, providers, entries.Select(e => e.Key).ToHashSet(StringComparer.Ordinal));
        foreach (var (name, value) in entries)
        {
            var itemPath = BindContext.Child(path, name);
            if (!ctx.CheckName(name, itemPath, "model"))
            {
                continue;
            }

            result.Add((name, BindOne(ctx, name, value, itemPath, scope)));
        }

        return result;
    }

    /// <summary>
    /// Binds one model. The draft is returned even when parts of it are wrong, so its fallbacks are still
    /// checked and reported in the same run (the load fails anyway once any error exists).
    /// </summary>
    private static AliasDraft? BindOne(BindContext ctx, string name, YamlNode value, string path, ModelScope scope)
    {
        // Shorthand "models: { fast: groq-llama }": one deployment, default policy.
        if (value is YamlScalarNode && !BindContext.IsNull(value))
        {
            var target = ctx.String(value, path)?.Trim();
            var single = target is null ? null : Reference(ctx, target, path, scope);
            return new AliasDraft(name, path, single is null ? [] : [new WeightedDeployment(single, 1)], [], FallbackPolicy.Default);
        }

        var map = ctx.Map(value, path, ModelKeys);
        if (map is null)
        {
            if (BindContext.IsNull(value))
            {
                ctx.Error(path, "expected a deployment name or a mapping with 'deployments'");
            }

            return null;
        }

        var weighted = BindDeployments(ctx, name, map, scope);
        var fallbacks = BindFallbackNames(ctx, map["fallbacks"], map.PathOf("fallbacks"));
        var policy = PolicyBinder.Bind(ctx, map);
        return new AliasDraft(name, path, weighted, fallbacks, policy)
        {
            DropUnsupportedParams = ctx.Bool(map["drop_unsupported_params"], map.PathOf("drop_unsupported_params")) ?? false,
            Strategy = Strategy(ctx, map["routing"], map.PathOf("routing")),
            Hedge = Hedge(ctx, map),
            CircuitBreaker = BreakerBinder.Bind(ctx, map["circuit_breaker"], map.PathOf("circuit_breaker"), ctx.ServerBreaker),
            Cache = CacheBinder.BindPolicy(ctx, map),
            Guardrails = GuardrailsBinder.References(ctx, map, ctx.GuardrailNames) ?? [],
        };
    }

    private static HedgePolicy? Hedge(BindContext ctx, MapView map)
    {
        if (ctx.Map(map["hedge"], map.PathOf("hedge"), HedgeKeys) is not { } hedge)
        {
            return null;
        }

        var auto = ctx.String(hedge["delay"], hedge.PathOf("delay"))?.Trim() is null or "auto";
        var delay = auto ? TimeSpan.Zero : ctx.Duration(hedge["delay"], hedge.PathOf("delay")) ?? TimeSpan.FromSeconds(1);
        var share = 0.1;
        if (hedge.Has("max_share"))
        {
            var text = ctx.String(hedge["max_share"], hedge.PathOf("max_share"))?.Trim().TrimEnd('%');
            if (double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v) && v > 0)
            {
                share = v > 1 ? v / 100 : v;
            }
            else
            {
                ctx.Error(hedge.PathOf("max_share"), "must be a share of traffic such as 0.1 or 10%");
            }
        }

        return new HedgePolicy(delay, auto, share);
    }

    /// <summary>
    /// <c>routing:</c> a strategy name, checked against <see cref="StrategyCatalog.BuiltIn"/> (the catalog lists
    /// them, so a new strategy is accepted here without an edit); null when not set.
    /// </summary>
    private static string? Strategy(BindContext ctx, YamlNode? node, string path)
    {
        var text = ctx.String(node, path)?.Trim();
        if (text is null || StrategyCatalog.BuiltIn.Find(text) is not null)
        {
            return text;
        }

        var names = StrategyCatalog.BuiltIn.Names;
        ctx.Error(path, $"unknown routing strategy '{text}'{Suggestions.Hint(text, names)}; valid: {string.Join(", ", names)}");
        return null;
    }


    private static List<WeightedDeployment> BindDeployments(
        BindContext ctx,
        string alias,
        MapView map,
        ModelScope scope)
    {
        var path = map.PathOf("deployments");
        var result = new List<WeightedDeployment>();
        if (!map.Has("deployments") || BindContext.IsNull(map["deployments"]))
        {
            ctx.Error(path, "is required: list at least one deployment");
            return result;
        }

        var seq = ctx.Sequence(map["deployments"], path);
        if (seq is null)
        {
            return result;
        }

        if (seq.Children.Count == 0)
        {
            ctx.Error(path, "must list at least one deployment");
            return result;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < seq.Children.Count; i++)
        {
            var itemPath = BindContext.Index(path, i);
            var item = BindItem(ctx, alias, i, seq.Children[i], itemPath, scope);
            if (item is null)
            {
                continue;
            }

            if (!seen.Add(item.Deployment.Name))
            {
                ctx.Error(itemPath, $"deployment '{item.Deployment.Name}' is listed twice; use 'weight' to favour it");
                continue;
            }

            result.Add(item);
        }

        return result;
    }

    private static WeightedDeployment? BindItem(
        BindContext ctx,
        string alias,
        int index,
        YamlNode node,
        string path,
        ModelScope scope)
    {
        if (node is YamlScalarNode && !BindContext.IsNull(node))
        {
            var name = ctx.String(node, path)?.Trim();
            var d = name is null ? null : Reference(ctx, name, path, scope);
            return d is null ? null : new WeightedDeployment(d, 1);
        }

        var map = ctx.Map(node, path, ItemKeys);
        if (map is null)
        {
            if (BindContext.IsNull(node))
            {
                ctx.Error(path, "expected a deployment name, {deployment: NAME, weight: N} or {provider: P, model: M}");
            }

            return null;
        }

        var weight = map.Has("weight") ? ctx.Int(map["weight"], map.PathOf("weight"), min: 1, max: MaxWeight) : 1;
        var inline = map.Has("provider") || map.Has("model") || map.Has("timeouts");

        DeploymentConfig? deployment;
        if (map.Has("deployment"))
        {
            if (inline)
            {
                ctx.Error(path, "'deployment' names an existing deployment; 'provider', 'model' and 'timeouts' are only for inline deployments");
                return null;
            }

            var name = ctx.RequiredString(map, "deployment")?.Trim();
            deployment = name is null ? null : Reference(ctx, name, map.PathOf("deployment"), scope);
        }
        else if (inline)
        {
            deployment = Inline(ctx, alias, index, map, path, scope);
        }
        else
        {
            ctx.Error(path, "set 'deployment' (a name under 'deployments:') or 'provider' and 'model'");
            return null;
        }

        var priority = map.Has("priority") ? ctx.Int(map["priority"], map.PathOf("priority"), min: 0, max: 100) : 0;
        return deployment is null || weight is null || priority is null
            ? null
            : new WeightedDeployment(deployment, weight.Value) { Priority = priority.Value };
    }

    /// <summary>An inline deployment, registered as <c>ALIAS/INDEX</c> so it shows up in usage and fallbacks.</summary>
    private static DeploymentConfig? Inline(
        BindContext ctx,
        string alias,
        int index,
        MapView map,
        string path,
        ModelScope scope)
    {
        var name = $"{alias}/{index}";
        if (scope.Deployments.ContainsKey(name))
        {
            ctx.Error(path, $"this inline deployment would be named '{name}', which is already a deployment; define it under 'deployments:' instead");
            return null;
        }

        var deployment = DeploymentBinder.BindBody(ctx, name, map, scope.Providers);
        scope.Deployments[name] = deployment;
        return deployment;
    }

    private static DeploymentConfig? Reference(BindContext ctx, string name, string path, ModelScope scope)
    {
        if (scope.Deployments.TryGetValue(name, out var d))
        {
            return d; // null: the deployment's own errors are already reported
        }

        if (scope.AliasNames.Contains(name) || name == BuiltInEcho.AliasName)
        {
            ctx.Error(path, $"'{name}' is a model, not a deployment; list models under 'fallbacks' instead");
            return null;
        }

        ctx.Error(path, $"unknown deployment '{name}'{Suggestions.Hint(name, scope.Deployments.Keys)}");
        return null;
    }

    private static List<(string, string)> BindFallbackNames(BindContext ctx, YamlNode? node, string path)
    {
        var result = new List<(string, string)>();
        var seq = ctx.Sequence(node, path);
        if (seq is null)
        {
            return result;
        }

        for (var i = 0; i < seq.Children.Count; i++)
        {
            var itemPath = BindContext.Index(path, i);
            var item = seq.Children[i];
            if (item is not YamlScalarNode || BindContext.IsNull(item))
            {
                ctx.Error(itemPath, $"expected the name of a model or deployment, got {BindContext.Describe(item)}");
                continue;
            }

            var name = ctx.String(item, itemPath)?.Trim();
            if (name is not null)
            {
                result.Add((name, itemPath));
            }
        }

        return result;
    }
}
