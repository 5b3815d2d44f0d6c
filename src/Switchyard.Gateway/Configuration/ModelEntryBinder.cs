using System.Collections.Frozen;
using YamlDotNet.RepresentationModel;

namespace Switchyard.Configuration;

/// <summary>
/// Binds the fields of a model catalog entry onto a profile. The same reader serves the shipped catalog files
/// (<c>Providers/NAME/models.yaml</c>: families and models) and a deployment's <c>catalog:</c> overrides, so an
/// override takes exactly the keys the catalog documents, and every mistake is reported at its path.
/// </summary>
internal static class ModelEntryBinder
{
    /// <summary>The keys an entry (or an override) may set.</summary>
    public static readonly string[] FieldNames =
    [
        "context_window", "max_output_tokens", "tools", "vision", "documents", "structured_output", "thinking",
        "cache_checkpoints", "max_cache_checkpoints", "temperature", "top_p", "temperature_with_top_p", "while_thinking", "source", "checked",
    ];

    public static readonly FrozenSet<string> Fields = FrozenSet.Create(StringComparer.Ordinal, FieldNames);

    private static readonly FrozenSet<string> ThinkingRuleKeys = FrozenSet.Create(StringComparer.Ordinal,
        "temperature", "top_k", "top_p_min", "forced_tool_choice", "signed_tool_turns");

    /// <summary><paramref name="profile"/> with every field <paramref name="map"/> sets laid over it.</summary>
    public static ModelProfile Apply(BindContext ctx, MapView map, ModelProfile profile)
    {
        profile = Limits(ctx, map, profile);
        profile = profile with
        {
            Tools = ctx.Bool(map["tools"], map.PathOf("tools")) ?? profile.Tools,
            Vision = ctx.Bool(map["vision"], map.PathOf("vision")) ?? profile.Vision,
            Documents = ctx.Bool(map["documents"], map.PathOf("documents")) ?? profile.Documents,
            StructuredOutput = ctx.Bool(map["structured_output"], map.PathOf("structured_output")) ?? profile.StructuredOutput,
            Thinking = Thinking(ctx, map) ?? profile.Thinking,
            CacheCheckpoints = Placement(ctx, map) ?? profile.CacheCheckpoints,
            Temperature = Range(ctx, map, "temperature", 0, 2) ?? profile.Temperature,
            TopP = Range(ctx, map, "top_p", 0, 1) ?? profile.TopP,
            TemperatureWithTopP = ctx.Bool(map["temperature_with_top_p"], map.PathOf("temperature_with_top_p")) ?? profile.TemperatureWithTopP,
            WhileThinking = WhileThinking(ctx, map, profile.WhileThinking),
            Source = ctx.String(map["source"], map.PathOf("source")) ?? profile.Source,
            Checked = ctx.String(map["checked"], map.PathOf("checked")) ?? profile.Checked,
        };
        return profile;
    }

    private static ModelProfile Limits(BindContext ctx, MapView map, ModelProfile profile) => profile with
    {
        ContextWindow = map.Has("context_window") ? ctx.Int(map["context_window"], map.PathOf("context_window"), min: 1) : profile.ContextWindow,
        MaxOutputTokens = map.Has("max_output_tokens") ? ctx.Int(map["max_output_tokens"], map.PathOf("max_output_tokens"), min: 1) : profile.MaxOutputTokens,
        MaxCacheCheckpoints = map.Has("max_cache_checkpoints")
            ? ctx.Int(map["max_cache_checkpoints"], map.PathOf("max_cache_checkpoints"), min: 0)
            : profile.MaxCacheCheckpoints,
    };

    private static ThinkingSupport? Thinking(BindContext ctx, MapView map)
    {
        var path = map.PathOf("thinking");
        switch (ctx.String(map["thinking"], path)?.Trim())
        {
            case null:
                return null;
            case "none":
                return ThinkingSupport.None;
            case "optional":
                return ThinkingSupport.Optional;
            case "always":
                return ThinkingSupport.Always;
            case var other:
                ctx.Error(path, $"must be none, optional or always, not '{other}'");
                return null;
        }
    }

    /// <summary><c>cache_checkpoints: [system, messages, tools]</c>; an empty list means the model takes none.</summary>
    private static CachePlacement? Placement(BindContext ctx, MapView map)
    {
        var path = map.PathOf("cache_checkpoints");
        if (ctx.Sequence(map["cache_checkpoints"], path) is not { } list)
        {
            return BindContext.IsNull(map["cache_checkpoints"]) && map.Has("cache_checkpoints") ? CachePlacement.None : null;
        }

        var placement = CachePlacement.None;
        for (var i = 0; i < list.Children.Count; i++)
        {
            var at = BindContext.Index(path, i);
            placement |= ctx.String(list.Children[i], at)?.Trim() switch
            {
                "system" => CachePlacement.System,
                "messages" => CachePlacement.Messages,
                "tools" => CachePlacement.Tools,
                var other => Invalid(ctx, at, other),
            };
        }

        return placement;
    }

    private static CachePlacement Invalid(BindContext ctx, string path, string? value)
    {
        ctx.Error(path, $"must be system, messages or tools, not '{value}'");
        return CachePlacement.None;
    }

    /// <summary><c>[min, max]</c>, each within the parameter's widest sensible range.</summary>
    private static NumberRange? Range(BindContext ctx, MapView map, string key, double floor, double ceiling)
    {
        var path = map.PathOf(key);
        if (ctx.Sequence(map[key], path) is not { } list)
        {
            return null;
        }

        if (list.Children.Count != 2)
        {
            ctx.Error(path, "must be a list of two numbers: [min, max]");
            return null;
        }

        var min = ctx.Number(list.Children[0], BindContext.Index(path, 0), floor, ceiling);
        var max = ctx.Number(list.Children[1], BindContext.Index(path, 1), floor, ceiling);
        if (min is null || max is null)
        {
            return null;
        }

        if (min > max)
        {
            ctx.Error(path, "min must not exceed max");
            return null;
        }

        return new NumberRange(min.Value, max.Value);
    }

    /// <summary><c>while_thinking: { temperature, top_k, top_p_min, forced_tool_choice, signed_tool_turns }</c>, over <paramref name="inherited"/>.</summary>
    private static ThinkingRules? WhileThinking(BindContext ctx, MapView map, ThinkingRules? inherited)
    {
        var path = map.PathOf("while_thinking");
        if (ctx.Map(map["while_thinking"], path, ThinkingRuleKeys) is not { } rules)
        {
            return inherited;
        }

        var from = inherited ?? ThinkingRules.Free;
        return new ThinkingRules(
            rules.Has("temperature") ? ctx.Number(rules["temperature"], rules.PathOf("temperature"), 0, 2) : from.Temperature,
            ctx.Bool(rules["top_k"], rules.PathOf("top_k")) ?? from.TopK,
            rules.Has("top_p_min") ? ctx.Number(rules["top_p_min"], rules.PathOf("top_p_min"), 0, 1) : from.TopPMin,
            ctx.Bool(rules["forced_tool_choice"], rules.PathOf("forced_tool_choice")) ?? from.ForcedToolChoice,
            ctx.Bool(rules["signed_tool_turns"], rules.PathOf("signed_tool_turns")) ?? from.SignedToolTurns);
    }

    /// <summary>The value of <paramref name="node"/> when it is a key list (<c>match: [a*, b*]</c>) or one key.</summary>
    public static List<string> Patterns(BindContext ctx, YamlNode? node, string path)
    {
        if (node is YamlScalarNode)
        {
            return ctx.String(node, path) is { Length: > 0 } one ? [one] : [];
        }

        var result = new List<string>();
        var list = ctx.Sequence(node, path);
        for (var i = 0; list is not null && i < list.Children.Count; i++)
        {
            if (ctx.String(list.Children[i], BindContext.Index(path, i)) is { Length: > 0 } pattern)
            {
                result.Add(pattern);
            }
        }

        return result;
    }
}
