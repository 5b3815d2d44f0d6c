
namespace Switchyard.Dispatch;

/// <summary>What the dispatcher does after a failed attempt.</summary>
public enum NextMove
{
    /// <summary>Try the same deployment again after <see cref="Decision.Delay"/>.</summary>
    Retry,

    /// <summary>Go to the next step of the plan now.</summary>
    Switch,

    /// <summary>Stop and answer the client with the failure.</summary>
    Stop,
}

/// <summary>Which later plan steps a switch may go to, relative to the deployment that failed.</summary>
public enum SwitchScope
{
    /// <summary>The next step, whatever it is.</summary>
    Any,

    /// <summary>The next step in the same price tier.</summary>
    SameTier,

    /// <summary>The next step that is cheaper.</summary>
    Cheaper,

    /// <summary>The next step that costs more, within the policy's cost multiplier of the intended deployment.</summary>
    Pricier,
}

/// <summary>A decision and, for retries, how long to wait first; for switches, where to.</summary>
public readonly record struct Decision(NextMove Move, TimeSpan Delay, string Why)
{
    /// <summary>Where a switch may go.</summary>
    public SwitchScope Scope { get; init; }
}

/// <summary>The facts about one failed attempt that the decision depends on.</summary>
/// <param name="Kind">The failure class.</param>
/// <param name="RetriesOnStep">Retries already made on this plan step.</param>
/// <param name="AttemptsMade">Attempts already made for the request, this one included.</param>
/// <param name="HasNextStep">Whether the plan has a further step.</param>
/// <param name="RetryAfter">The upstream's <c>Retry-After</c>, if it sent one.</param>
/// <param name="Remaining">Time left before the request's deadline.</param>
public readonly record struct FailureFacts(
    FailureKind Kind, int RetriesOnStep, int AttemptsMade, bool HasNextStep, TimeSpan? RetryAfter, TimeSpan Remaining);

/// <summary>
/// The fallback policy as a pure function: (policy, failure facts, a random number) → retry / switch /
/// stop. No clock, no I/O, so every branch is unit-tested with exact numbers.
/// </summary>
public static class RetryDecider
{
    /// <summary>Decides what follows a failed attempt. <paramref name="jitter"/> is uniform in [0, 1).</summary>
    public static Decision Decide(FallbackPolicy policy, in FailureFacts facts, double jitter)
    {
        if (facts.Kind is FailureKind.ClientCancelled or FailureKind.DeadlineExceeded or FailureKind.ShuttingDown)
        {
            return new Decision(NextMove.Stop, TimeSpan.Zero, "not retryable");
        }

        if (facts.AttemptsMade >= policy.MaxAttempts)
        {
            return new Decision(NextMove.Stop, TimeSpan.Zero, "max_attempts reached");
        }

        var action = policy.ActionFor(facts.Kind);
        if (action == FallbackAction.Fail)
        {
            return new Decision(NextMove.Stop, TimeSpan.Zero, "policy: fail");
        }

        if (action is FallbackAction.Retry or FallbackAction.RetryThenSwitch or FallbackAction.RetryThenSwitchSameTier
            && facts.RetriesOnStep < policy.RetriesFor(facts.Kind))
        {
            var delay = Backoff(policy, facts.RetriesOnStep, jitter);
            if (facts.RetryAfter is { } ra)
            {
                // The upstream said when it will take us again: never earlier; and if that is beyond what
                // one delay may be, or beyond the deadline, waiting is pointless.
                delay = ra > delay ? ra : delay;
            }

            if (delay <= policy.MaxDelay && delay < facts.Remaining)
            {
                return new Decision(NextMove.Retry, delay, "retry");
            }
        }

        if (action != FallbackAction.Retry && facts.HasNextStep)
        {
            var scope = action switch
            {
                FallbackAction.SwitchSameTier or FallbackAction.RetryThenSwitchSameTier => SwitchScope.SameTier,
                FallbackAction.Downgrade => SwitchScope.Cheaper,
                FallbackAction.Upgrade => SwitchScope.Pricier,
                _ => SwitchScope.Any,
            };
            return new Decision(NextMove.Switch, TimeSpan.Zero, "switch") { Scope = scope };
        }

        return new Decision(NextMove.Stop, TimeSpan.Zero, facts.HasNextStep ? "policy: no switch" : "plan exhausted");
    }

    /// <summary>
    /// Exponential backoff with full jitter: uniform in [0, min(max, base·2^retry)] — spreads a burst of
    /// retries from many clients instead of synchronising them (the AWS "full jitter" result).
    /// </summary>
    public static TimeSpan Backoff(FallbackPolicy policy, int retry, double jitter)
    {
        var ceiling = policy.BaseDelay.Ticks * Math.Pow(2, Math.Min(retry, 30));
        var capped = Math.Min(ceiling, policy.MaxDelay.Ticks);
        return TimeSpan.FromTicks((long)(capped * jitter));
    }
}
