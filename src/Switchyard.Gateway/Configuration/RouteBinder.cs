using System.Collections.Frozen;
using YamlDotNet.RepresentationModel;

namespace Switchyard.Configuration;

/// <summary>
/// Binds <c>routes:</c>, written so the policy template teams already use reads almost word for word:
/// <code>
/// routes:
///   support_draft:
///     match: { header: { x-switchyard-route: support_draft } }
///     primary_model: low_cost_chat
///     fallback:
///       on_provider_5xx: retry_once_then_switch_same_price_tier
///       on_rate_limit: switch_same_price_tier
///       on_budget_exceeded: fail_closed
///       max_attempts: 2
///     billing: { owner: customer_api_key, record_primary_and_final_model: true }
/// </code>
/// </summary>
internal static class RouteBinder
{
    private static readonly FrozenSet<string> RouteKeys = FrozenSet.Create(StringComparer.Ordinal, "match", "primary_model", "fallback", "billing", "split", "sticky", "shadow", "cache", "guardrails");
    private static readonly FrozenSet<string> ArmKeys = FrozenSet.Create(StringComparer.Ordinal, "model", "percent");
    private static readonly FrozenSet<string> MatchKeys = FrozenSet.Create(StringComparer.Ordinal,
        "header", "key", "metadata", "model", "has_tools", "has_images", "min_prompt_tokens", "max_prompt_tokens");
    private static readonly FrozenSet<string> BillingKeys = FrozenSet.Create(StringComparer.Ordinal, "owner", "record_primary_and_final_model");
    private static readonly string[] Owners = ["customer_api_key", "team", "customer", "gateway"];

    /// <summary>Binds the routes; <paramref name="aliases"/> are the model names a route may target.</summary>
    public static List<RouteRule> Bind(BindContext ctx, YamlNode? node, string path, IReadOnlySet<string> aliases, FallbackPolicy defaults)
    {
        var result = new List<RouteRule>();
        foreach (var (name, value) in ctx.Entries(node, path) ?? [])
        {
            var itemPath = BindContext.Child(path, name);
            if (!ctx.CheckName(name, itemPath, "route"))
            {
                continue;
            }

            var map = ctx.Map(value, itemPath, RouteKeys);
            if (map is null)
            {
                continue;
            }

            var split = Split(ctx, map, aliases);
            var primary = split.Count > 0 && !map.Has("primary_model") ? split[0].Model : ctx.RequiredString(map, "primary_model")?.Trim();
            if (primary is not null && !aliases.Contains(primary))
            {
                ctx.Error(map.PathOf("primary_model"), $"unknown model '{primary}'{Suggestions.Hint(primary, aliases)}");
            }

            var sticky = ctx.String(map["sticky"], map.PathOf("sticky"))?.Trim() ?? "key";
            if (sticky is not ("key" or "user" or "none"))
            {
                ctx.Error(map.PathOf("sticky"), "must be key, user or none");
            }

            ShadowTarget? shadow = null;
            if (ctx.Map(map["shadow"], map.PathOf("shadow"), ArmKeys) is { } shadowMap)
            {
                var model = ctx.RequiredString(shadowMap, "model")?.Trim();
                var percent = ctx.Int(shadowMap["percent"], shadowMap.PathOf("percent"), min: 1, max: 100);
                if (model is not null && !aliases.Contains(model))
                {
                    ctx.Error(shadowMap.PathOf("model"), $"unknown model '{model}'");
                }
                else if (model is not null && percent is not null)
                {
                    shadow = new ShadowTarget(model, percent.Value);
                }
            }

            var match = map.Has("match") ? Match(ctx, map["match"], map.PathOf("match")) : null;
            var policy = map.Has("fallback") ? Fallback(ctx, map["fallback"], map.PathOf("fallback"), defaults) : null;
            string? owner = null;
            if (ctx.Map(map["billing"], map.PathOf("billing"), BillingKeys) is { } billing)
            {
                owner = ctx.String(billing["owner"], billing.PathOf("owner"))?.Trim();
                if (owner is not null && Array.IndexOf(Owners, owner) < 0)
                {
                    ctx.Error(billing.PathOf("owner"), $"unknown owner '{owner}'; valid: {string.Join(", ", Owners)}");
                }

                // Primary and final deployment are always recorded; the key is accepted so the template loads as written.
                if (billing.Has("record_primary_and_final_model") && ctx.String(billing["record_primary_and_final_model"], billing.PathOf("record_primary_and_final_model")) is not ("true" or "false"))
                {
                    ctx.Error(billing.PathOf("record_primary_and_final_model"), "must be true or false");
                }
            }

            if (primary is not null)
            {
                result.Add(new RouteRule(name, match, primary, policy) { BillingOwner = owner, Split = split, Sticky = sticky, Shadow = shadow, Cache = CacheBinder.BindPolicy(ctx, map), Guardrails = GuardrailsBinder.References(ctx, map, ctx.GuardrailNames) });
            }
        }

        return result;
    }

    private static List<SplitArm> Split(BindContext ctx, MapView map, IReadOnlySet<string> aliases)
    {
        var result = new List<SplitArm>();
        if (!map.Has("split"))
        {
            return result;
        }

        var path = map.PathOf("split");
        var seq = ctx.Sequence(map["split"], path);
        for (var i = 0; seq is not null && i < seq.Children.Count; i++)
        {
            var armPath = BindContext.Index(path, i);
            if (ctx.Map(seq.Children[i], armPath, ArmKeys) is not { } arm)
            {
                continue;
            }

            var model = ctx.RequiredString(arm, "model")?.Trim();
            var percent = ctx.Int(arm["percent"], arm.PathOf("percent"), min: 0, max: 100);
            if (model is not null && !aliases.Contains(model))
            {
                ctx.Error(arm.PathOf("model"), $"unknown model '{model}'{Suggestions.Hint(model, aliases)}");
            }
            else if (model is not null && percent is not null)
            {
                result.Add(new SplitArm(model, percent.Value));
            }
        }

        if (result.Count > 0 && result.Sum(a => a.Percent) != 100)
        {
            ctx.Error(path, $"percentages must add up to 100, not {result.Sum(a => a.Percent)}");
        }

        return result;
    }

    /// <summary>A route's <c>fallback:</c>: <c>max_attempts</c>, <c>max_retries</c>, <c>max_cost_multiplier</c>, <c>timeout</c> and <c>on_TRIGGER: ACTION</c> entries.</summary>
    private static FallbackPolicy? Fallback(BindContext ctx, YamlNode? node, string path, FallbackPolicy defaults)
    {
        var entries = ctx.Entries(node, path);
        if (entries is null)
        {
            return null;
        }

        var policy = defaults;
        foreach (var (key, value) in entries)
        {
            var keyPath = BindContext.Child(path, key);
            switch (key)
            {
                case "max_attempts":
                    policy = policy with { MaxAttempts = ctx.Int(value, keyPath, min: 1) ?? policy.MaxAttempts };
                    break;
                case "max_retries":
                    policy = policy with { MaxRetries = ctx.Int(value, keyPath, min: 0) ?? policy.MaxRetries };
                    break;
                case "timeout":
                    policy = policy with { RequestTimeout = ctx.Duration(value, keyPath) ?? policy.RequestTimeout };
                    break;
                case "max_cost_multiplier":
                    var text = ctx.String(value, keyPath);
                    if (!double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var m) || m < 1)
                    {
                        ctx.Error(keyPath, "must be a number >= 1, e.g. 1.5");
                    }
                    else
                    {
                        policy = policy with { MaxCostMultiplier = m };
                    }

                    break;
                default:
                    if (!key.StartsWith("on_", StringComparison.Ordinal))
                    {
                        ctx.Error(keyPath, "unknown key; expected max_attempts, max_retries, max_cost_multiplier, timeout or on_<trigger>");
                    }

                    break;
            }
        }

        var caps = new Dictionary<FailureKind, int>();
        var actions = PolicyBinder.BindActions(ctx, path, entries, caps, prefix: "on_");
        return policy with { Actions = actions, RetryCaps = caps.Count > 0 ? caps.ToFrozenDictionary() : null };
    }

    private static RouteMatch? Match(BindContext ctx, YamlNode? node, string path)
    {
        var map = ctx.Map(node, path, MatchKeys);
        if (map is null)
        {
            return null;
        }

        return new RouteMatch(
            Pairs(ctx, map["header"], map.PathOf("header"), lowerKeys: true),
            Strings(ctx, map["key"], map.PathOf("key")),
            Pairs(ctx, map["metadata"], map.PathOf("metadata"), lowerKeys: false),
            Strings(ctx, map["model"], map.PathOf("model")),
            ctx.Bool(map["has_tools"], map.PathOf("has_tools")),
            ctx.Bool(map["has_images"], map.PathOf("has_images")),
            map.Has("min_prompt_tokens") ? ctx.Int(map["min_prompt_tokens"], map.PathOf("min_prompt_tokens"), min: 0) : null,
            map.Has("max_prompt_tokens") ? ctx.Int(map["max_prompt_tokens"], map.PathOf("max_prompt_tokens"), min: 0) : null);
    }

    private static List<KeyValuePair<string, string>> Pairs(BindContext ctx, YamlNode? node, string path, bool lowerKeys)
    {
        var result = new List<KeyValuePair<string, string>>();
        foreach (var (key, value) in ctx.Entries(node, path) ?? [])
        {
            if (ctx.String(value, BindContext.Child(path, key)) is { } v)
            {
                result.Add(new(lowerKeys ? key.ToLowerInvariant() : key, v));
            }
        }

        return result;
    }

    /// <summary>A string or a list of strings.</summary>
    private static List<string> Strings(BindContext ctx, YamlNode? node, string path)
    {
        if (node is null || BindContext.IsNull(node))
        {
            return [];
        }

        if (node is YamlScalarNode && ctx.String(node, path) is { } single)
        {
            return [single];
        }

        var result = new List<string>();
        var seq = ctx.Sequence(node, path);
        for (var i = 0; seq is not null && i < seq.Children.Count; i++)
        {
            if (ctx.String(seq.Children[i], BindContext.Index(path, i)) is { } s)
            {
                result.Add(s);
            }
        }

        return result;
    }

}
