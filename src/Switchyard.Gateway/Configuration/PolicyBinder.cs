using System.Collections.Frozen;
using Switchyard.Dispatch;

namespace Switchyard.Configuration;

/// <summary>
/// Binds the fallback policy keys of one model (<c>max_attempts</c>, <c>retry</c>, <c>timeout</c>, <c>on</c>).
/// Unset fields keep <see cref="FallbackPolicy.Default"/>; a model that sets none shares the default instance.
/// </summary>
internal static class PolicyBinder
{
    private static readonly FrozenSet<string> RetryKeys =
        FrozenSet.Create(StringComparer.Ordinal, "max_retries", "base_delay", "max_delay");

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

    private static readonly FrozenDictionary<string, FallbackAction> Actions =
        new Dictionary<string, FallbackAction>(StringComparer.Ordinal)
        {
            ["retry_then_switch"] = FallbackAction.RetryThenSwitch,
            ["switch"] = FallbackAction.Switch,
            ["retry"] = FallbackAction.Retry,
            ["fail"] = FallbackAction.Fail,
        }.ToFrozenDictionary(StringComparer.Ordinal);

    private const string ValidActions = "retry_then_switch, switch, retry, fail";

    public static FallbackPolicy Bind(BindContext ctx, MapView model)
    {
        var d = FallbackPolicy.Default;
        if (!model.Has("max_attempts") && !model.Has("retry") && !model.Has("timeout") && !model.Has("on"))
        {
            return d;
        }

        var maxAttempts = ctx.Int(model["max_attempts"], model.PathOf("max_attempts"), min: 1) ?? d.MaxAttempts;
        var timeout = ctx.Duration(model["timeout"], model.PathOf("timeout")) ?? d.RequestTimeout;

        var (maxRetries, baseDelay, maxDelay) = (d.MaxRetries, d.BaseDelay, d.MaxDelay);
        var retry = ctx.Map(model["retry"], model.PathOf("retry"), RetryKeys);
        if (retry is not null)
        {
            maxRetries = ctx.Int(retry["max_retries"], retry.PathOf("max_retries"), min: 0) ?? maxRetries;
            baseDelay = ctx.Duration(retry["base_delay"], retry.PathOf("base_delay")) ?? baseDelay;
            maxDelay = ctx.Duration(retry["max_delay"], retry.PathOf("max_delay")) ?? maxDelay;
            if (maxDelay < baseDelay)
            {
                ctx.Error(retry.Has("max_delay") ? retry.PathOf("max_delay") : retry.PathOf("base_delay"),
                    $"max_delay ({maxDelay.TotalMilliseconds}ms) must not be less than base_delay ({baseDelay.TotalMilliseconds}ms)");
            }
        }

        var actions = BindActions(ctx, model);
        return new FallbackPolicy(maxAttempts, maxRetries, baseDelay, maxDelay, timeout, actions);
    }

    private static FrozenDictionary<FailureKind, FallbackAction> BindActions(BindContext ctx, MapView model)
    {
        var path = model.PathOf("on");
        var entries = ctx.Entries(model["on"], path);
        if (entries is null || entries.Count == 0)
        {
            return FallbackPolicy.DefaultActions;
        }

        // Listed triggers override; the rest keep their defaults, so "on: { rate_limited: switch }" is enough.
        var merged = new Dictionary<FailureKind, FallbackAction>(FallbackPolicy.DefaultActions);
        foreach (var (trigger, value) in entries)
        {
            var triggerPath = BindContext.Child(path, trigger);
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

            if (!Actions.TryGetValue(actionName, out var action))
            {
                ctx.Error(triggerPath, $"unknown action '{actionName}'{Suggestions.Hint(actionName, Actions.Keys)}; valid actions: {ValidActions}");
                continue;
            }

            merged[kind] = action;
        }

        return merged.ToFrozenDictionary();
    }
}
