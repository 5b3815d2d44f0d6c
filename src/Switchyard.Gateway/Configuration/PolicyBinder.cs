using System.Collections.Frozen;

namespace Switchyard.Configuration;

/// <summary>
/// Binds the fallback policy keys of one model (<c>max_attempts</c>, <c>retry</c>, <c>timeout</c>, <c>on</c>).
/// Unset fields keep <see cref="FallbackPolicy.Default"/>; a model that sets none shares the default instance.
/// </summary>
internal static class PolicyBinder
{
    private static readonly FrozenSet<string> RetryKeys =
        FrozenSet.Create(StringComparer.Ordinal, "max_retries", "base_delay", "max_delay", "budget");

    /// <summary>
    /// Triggers a file may configure, in the order they are listed in messages. <see cref="FailureKind.ClientError"/>
    /// is excluded on purpose: a bad request fails the same way everywhere, so retrying or switching only
    /// multiplies cost. The remaining kinds (client gone, deadline passed) leave nothing to decide.
    /// </summary>
    private static readonly FailureKind[] Configurable =
    [
        FailureKind.Connection, FailureKind.Timeout, FailureKind.RateLimited, FailureKind.ServerError,
        FailureKind.Transient, FailureKind.Auth, FailureKind.StreamCut, FailureKind.ContextWindow,
        FailureKind.ContentPolicy, FailureKind.BudgetExceeded, FailureKind.UnsupportedCapability,
    ];

    private static readonly string[] TriggerNames = [.. Configurable.Select(FailureKinds.Name)];

    private static readonly string ValidTriggers = string.Join(", ", TriggerNames);

    private const string ValidActions =
        "retry_then_switch, switch, retry, fail, switch_same_price_tier, retry_then_switch_same_price_tier, downgrade, upgrade, fail_closed "
        + "(retry_* may say how often: retry_once_then_switch, retry_twice)";

    private static readonly string[] ActionExamples =
    [
        "retry_then_switch", "switch", "retry", "fail", "fail_closed", "switch_same_price_tier", "retry_then_switch_same_price_tier",
        "retry_once_then_switch", "retry_once_then_switch_same_price_tier", "retry_once", "retry_twice", "downgrade", "upgrade",
    ];

    /// <summary>
    /// Parses an action name: <c>fail</c>/<c>fail_closed</c>, <c>downgrade</c>, <c>upgrade</c>,
    /// <c>[retry[_once|_twice]_then_]switch[_same_price_tier|_same_tier]</c> and <c>retry[_once|_twice]</c>.
    /// The seed policy template's vocabulary ("retry_once_then_switch_same_price_tier") is the grammar's reason to be.
    /// </summary>
    internal static bool TryParseAction(string name, out FallbackAction action, out int? retries)
    {
        retries = null;
        action = FallbackAction.Fail;
        switch (name)
        {
            case "fail" or "fail_closed":
                return true;
            case "downgrade":
                action = FallbackAction.Downgrade;
                return true;
            case "upgrade":
                action = FallbackAction.Upgrade;
                return true;
        }

        var rest = name;
        var retry = false;
        if (rest.StartsWith("retry", StringComparison.Ordinal))
        {
            retry = true;
            rest = rest[5..];
            foreach (var (word, n) in new[] { ("_once", 1), ("_twice", 2), ("_thrice", 3) })
            {
                if (rest.StartsWith(word, StringComparison.Ordinal))
                {
                    retries = n;
                    rest = rest[word.Length..];
                    break;
                }
            }

            if (rest.Length == 0)
            {
                action = FallbackAction.Retry;
                return true;
            }

            if (!rest.StartsWith("_then_", StringComparison.Ordinal))
            {
                return false;
            }

            rest = rest[6..];
        }

        var sameTier = rest is "switch_same_price_tier" or "switch_same_tier";
        if (rest != "switch" && !sameTier)
        {
            return false;
        }

        action = (retry, sameTier) switch
        {
            (true, true) => FallbackAction.RetryThenSwitchSameTier,
            (true, false) => FallbackAction.RetryThenSwitch,
            (false, true) => FallbackAction.SwitchSameTier,
            _ => FallbackAction.Switch,
        };
        return true;
    }

    public static FallbackPolicy Bind(BindContext ctx, MapView model)
    {
        var d = FallbackPolicy.Default;
        if (!model.Has("max_attempts") && !model.Has("retry") && !model.Has("timeout") && !model.Has("on"))
        {
            return d;
        }

        var maxAttempts = ctx.Int(model["max_attempts"], model.PathOf("max_attempts"), min: 1) ?? d.MaxAttempts;
        var timeout = ctx.Duration(model["timeout"], model.PathOf("timeout")) ?? d.RequestTimeout;

        var (maxRetries, baseDelay, maxDelay, budget) = (d.MaxRetries, d.BaseDelay, d.MaxDelay, d.RetryBudget);
        var retry = ctx.Map(model["retry"], model.PathOf("retry"), RetryKeys);
        if (retry is not null)
        {
            maxRetries = ctx.Int(retry["max_retries"], retry.PathOf("max_retries"), min: 0) ?? maxRetries;
            baseDelay = ctx.Duration(retry["base_delay"], retry.PathOf("base_delay")) ?? baseDelay;
            maxDelay = ctx.Duration(retry["max_delay"], retry.PathOf("max_delay")) ?? maxDelay;
            if (retry.Has("budget"))
            {
                var text = ctx.String(retry["budget"], retry.PathOf("budget"))?.Trim().TrimEnd('%');
                if (double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var b) && b >= 0)
                {
                    budget = b > 1 ? b / 100 : b; // "20%", "20" and "0.2" all mean a fifth
                }
                else
                {
                    ctx.Error(retry.PathOf("budget"), "must be a share of traffic such as 0.2 or 20%");
                }
            }
            if (maxDelay < baseDelay)
            {
                ctx.Error(retry.Has("max_delay") ? retry.PathOf("max_delay") : retry.PathOf("base_delay"),
                    $"max_delay ({maxDelay.TotalMilliseconds}ms) must not be less than base_delay ({baseDelay.TotalMilliseconds}ms)");
            }
        }

        var caps = new Dictionary<FailureKind, int>();
        var actions = BindActions(ctx, model.PathOf("on"), ctx.Entries(model["on"], model.PathOf("on")), caps, prefix: null);
        return new FallbackPolicy(maxAttempts, maxRetries, baseDelay, maxDelay, timeout, actions)
        {
            RetryCaps = caps.Count > 0 ? caps.ToFrozenDictionary() : null,
            RetryBudget = budget,
        };
    }

    /// <summary>Binds trigger → action entries. With <paramref name="prefix"/> ("on_"), entries are read from a
    /// route's <c>fallback:</c> block in the seed template's style, where other keys are handled by the caller.</summary>
    internal static FrozenDictionary<FailureKind, FallbackAction> BindActions(BindContext ctx, string path,
        List<(string Key, YamlDotNet.RepresentationModel.YamlNode Value)>? entries, Dictionary<FailureKind, int> caps, string? prefix)
    {
        if (entries is null || entries.Count == 0)
        {
            return FallbackPolicy.DefaultActions;
        }

        // Listed triggers override; the rest keep their defaults, so "on: { rate_limited: switch }" is enough.
        var merged = new Dictionary<FailureKind, FallbackAction>(FallbackPolicy.DefaultActions);
        foreach (var (key, value) in entries)
        {
            if (prefix is not null && !key.StartsWith(prefix, StringComparison.Ordinal))
            {
                continue;
            }

            var triggerPath = BindContext.Child(path, key);
            var trigger = prefix is null ? key : TriggerAlias(key[prefix.Length..]);
            if (trigger == FailureKinds.Name(FailureKind.ClientError))
            {
                ctx.Error(triggerPath, "client_error cannot be configured: client errors are always returned to the client as they are");
                continue;
            }

            if (!FailureKinds.TryParse(trigger, out var kind) || Array.IndexOf(Configurable, kind) < 0)
            {
                ctx.Error(triggerPath, $"unknown trigger '{trigger}'{Suggestions.Hint(trigger, TriggerNames)}; valid triggers: {ValidTriggers}");
                continue;
            }

            var actionName = ctx.String(value, triggerPath)?.Trim();
            if (actionName is null)
            {
                if (BindContext.IsNull(value))
                {
                    ctx.Error(triggerPath, $"an action is required; valid actions: {ValidActions}");
                }

                continue;
            }

            if (!TryParseAction(actionName, out var action, out var retries))
            {
                ctx.Error(triggerPath, $"unknown action '{actionName}'{Suggestions.Hint(actionName, ActionExamples)}; valid actions: {ValidActions}");
                continue;
            }

            merged[kind] = action;
            if (retries is { } n)
            {
                caps[kind] = n;
            }
        }

        return merged.ToFrozenDictionary();
    }

    /// <summary>The seed template's trigger words (<c>on_provider_5xx</c>, <c>on_rate_limit</c>) beside our own names.</summary>
    private static string TriggerAlias(string name) => name switch
    {
        "provider_5xx" or "5xx" => "server_error",
        "rate_limit" or "429" => "rate_limited",
        "connection_error" => "connection",
        "context_overflow" or "context_length" => "context_window",
        _ => name,
    };
}
