using Microsoft.Extensions.Logging;
using Switchyard.Health;
using Switchyard.Providers;

namespace Switchyard.Dispatch;

/// <summary>
/// Walks a request's plan: for each step, pick the path (passthrough when client and deployment speak the
/// same protocol, translation otherwise), attempt it, and on failure ask the <see cref="RetryDecider"/>
/// whether to retry, switch or stop, until one attempt commits a response to the client. The commit
/// point is the first byte sent: before it any failure may still fall back; after it a failure can only
/// end the response honestly. The walk is one loop (<see cref="RunAsync"/>) over small decisions
/// (<see cref="After"/>), so one request costs one state machine.
/// </summary>
public sealed partial class Dispatcher(DrainSignal drain,
    ProviderRegistry providers, PassthroughAttempts passthrough, TranslatedAttempts translated, EmbeddingsAttempts embeddings, MediaAttempts media, HealthRegistry health,
    FaultInjector faults, TimeProvider time, Random random, ILogger<Dispatcher> logger)
{
    /// <summary>Where the walk is: the plan step, the retries made on it, and what to answer if it ends now.</summary>
    private struct Walk
    {
        public int Step;
        public int Retries;
        public TimeSpan Delay;
        public UpstreamFailure? Last;
    }

    /// <summary>Dispatches <paramref name="ctx"/> and writes the client's response.</summary>
    public async Task RunAsync(GatewayContext ctx)
    {
        var policy = ctx.Policy ?? ctx.Route!.Alias.Policy;
        var deadline = ctx.ClientDeadline is { } client && client < policy.RequestTimeout ? client : policy.RequestTimeout;
        var early = Unmeetable(ctx); // no deployment can meet the client's deadline: answer that now, without a call
        var walk = new Walk { Last = early, Step = early is null ? 0 : ctx.Plan.Length };
        var bodies = new AttemptBodies();
        try
        {
            while (walk.Step < ctx.Plan.Length)
            {
                var deployment = ctx.Plan[walk.Step].Deployment;
                if (walk.Retries == 0 && Prepare(ctx, deployment) is { } refusal)
                {
                    await ctx.RefuseAsync(refusal).ConfigureAwait(false); // the body cannot be translated: 400
                    return;
                }

                var remaining = deadline - time.GetElapsedTime(ctx.StartTimestamp);
                UpstreamFailure? failure;
                if (NoAttempt(ctx, deadline, remaining) is { } stop)
                {
                    failure = stop;
                }
                else if (HedgeStep(ctx, walk) is > 0 and var hedgeStep)
                {
                    (failure, walk.Step) = await HedgedAsync(ctx, hedgeStep, bodies, remaining).ConfigureAwait(false);
                }
                else
                {
                    failure = await RunOneAsync(ctx, deployment, bodies.Primary, remaining, ctx.Http.RequestAborted).ConfigureAwait(false);
                }

                var move = After(ctx, policy, deadline, ref walk, failure);
                if (move == NextMove.Retry)
                {
                    await BackoffAsync(walk.Delay, ctx.Http.RequestAborted).ConfigureAwait(false);
                }
                else if (move == NextMove.Stop)
                {
                    break;
                }
            }

            if (walk.Last is { } last)
            {
                await ClientResponses.WriteFailureAsync(ctx, last).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (ctx.Http.RequestAborted.IsCancellationRequested)
        {
            ctx.Error = FailureKind.ClientCancelled; // client left during a backoff delay
        }
        finally
        {
            bodies.Dispose();
        }
    }

    /// <summary>
    /// Why no attempt may start now: the request's deadline has passed, or the shutdown drain is over (nothing
    /// more is sent; the client gets a 503). Null when one may.
    /// </summary>
    private UpstreamFailure? NoAttempt(GatewayContext ctx, TimeSpan deadline, TimeSpan remaining) =>
        remaining <= TimeSpan.Zero ? DeadlinePassed(ctx, deadline)
        : drain.Expired.IsCancellationRequested ? new UpstreamFailure(FailureKind.ShuttingDown, "the gateway is shutting down: no further attempt is made", 503)
        : null;

    /// <summary>A retry's backoff; cut short (not failed) when the shutdown drain ends, so the next step says so at once.</summary>
    private async Task BackoffAsync(TimeSpan delay, CancellationToken clientAborted)
    {
        using var either = CancellationTokenSource.CreateLinkedTokenSource(clientAborted, drain.Expired);
        try
        {
            await Task.Delay(delay, time, either.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (drain.Expired.IsCancellationRequested && !clientAborted.IsCancellationRequested)
        {
        }
    }

    private static UpstreamFailure DeadlinePassed(GatewayContext ctx, TimeSpan deadline) => new(FailureKind.DeadlineExceeded,
        $"The request's deadline of {deadline.TotalSeconds:0.###} s passed after {ctx.Attempts} attempt(s).");

    /// <summary>
    /// What follows an attempt's outcome: stop (committed, or nothing more to try: <see cref="Walk.Last"/> is
    /// the answer), retry the same step after <see cref="Walk.Delay"/>, or switch (<see cref="Walk.Step"/> moved).
    /// Sets the fallback reason only when a retry or a switch really follows.
    /// </summary>
    private NextMove After(GatewayContext ctx, FallbackPolicy policy, TimeSpan deadline, ref Walk walk, UpstreamFailure? failure)
    {
        if (failure is null || failure.Kind == FailureKind.ClientCancelled)
        {
            walk.Last = null; // committed (the response is written), or nobody is left to answer
            ctx.Error = failure is null ? ctx.Error : FailureKind.ClientCancelled;
            return NextMove.Stop;
        }

        var deployment = ctx.Plan[walk.Step].Deployment;
        walk.Last = failure.Kind == FailureKind.CircuitOpen && walk.Last is { } before ? OpenedAfter(failure, before) : failure;
        var facts = new FailureFacts(failure.Kind, walk.Retries, ctx.Attempts, walk.Step + 1 < ctx.Plan.Length,
            failure.RetryAfter, deadline - time.GetElapsedTime(ctx.StartTimestamp));
        var decision = RetryDecider.Decide(policy, facts, random.NextDouble());
        if (decision.Move == NextMove.Retry && !health.For(deployment.Name).TryTakeRetry(policy.RetryBudget))
        {
            // The deployment's retry budget is spent (an outage, most likely): decide as if this step's
            // retries were used up, which switches or stops instead of piling on.
            decision = RetryDecider.Decide(policy, facts with { RetriesOnStep = int.MaxValue }, random.NextDouble());
        }

        var next = decision.Move == NextMove.Switch ? NextStep(ctx.Plan, walk.Step, decision.Scope, policy, failure.Kind) : -1;
        LogAttemptFailed(logger, ctx.RequestId, deployment.Name, FailureKinds.Name(failure.Kind), failure.Status,
            decision.Move == NextMove.Switch && next < 0 ? NextMove.Stop : decision.Move, decision.Delay.TotalMilliseconds);
        switch (decision.Move)
        {
            case NextMove.Retry:
                walk.Retries++;
                walk.Delay = decision.Delay;
                break;
            case NextMove.Switch when next > 0:
                walk.Step = next;
                walk.Retries = 0;
                break;
            default:
                walk.Last = NothingLeft(ctx, walk, decision, failure) ?? walk.Last;
                return NextMove.Stop;
        }

        if (ctx.FallbackReason == FailureKind.None)
        {
            ctx.FallbackReason = failure.Kind;
        }

        return decision.Move;
    }

    /// <summary>
    /// A switch that found no step in its scope. For a context overflow the client learns that no larger
    /// window is left (the skipped smaller ones are named); other scopes answer with the failure itself.
    /// </summary>
    private static UpstreamFailure? NothingLeft(GatewayContext ctx, in Walk walk, Decision decision, UpstreamFailure failure)
    {
        if (decision.Move != NextMove.Switch || failure.Kind != FailureKind.ContextWindow)
        {
            return null;
        }

        var overflowed = ctx.Plan[walk.Step].Deployment;
        var skipped = string.Join(", ", ctx.Plan.Skip(walk.Step + 1).Select(s => $"{s.Deployment.Name} ({Window(s.Deployment)})"));
        return failure with
        {
            ClientShaped = false, // our own words (with the upstream's), not the upstream's error relayed as is
            Message = $"{failure.Message}; no later deployment of the plan has a larger context window than '{overflowed.Name}' "
                      + $"({Window(overflowed)}): skipped {skipped}",
        };
    }

    private static string Window(DeploymentTarget d) =>
        d.Config.Capabilities.ContextWindow is { } w ? $"{w} tokens" : "window unknown";

    /// <summary>A retry (or switch) that met an open circuit: the error says so, and what came before.</summary>
    private static UpstreamFailure OpenedAfter(UpstreamFailure open, UpstreamFailure before) => open with
    {
        Message = $"{open.Message}; before that: {FailureKinds.Name(before.Kind)}: {before.Message}",
    };

    /// <summary>
    /// The next plan step after <paramref name="current"/> that <paramref name="scope"/> allows, or -1. Prices
    /// compare by <see cref="Price.Blended"/> (the file's <c>price:</c>, else the price book's); a deployment without
    /// a price is outside any price-based scope.
    /// After a context overflow, only a deployment whose window is larger than the one that overflowed may
    /// follow (an unknown window on either side cannot be compared, so it does not rule a step out).
    /// </summary>
    internal static int NextStep(PlanStep[] plan, int current, SwitchScope scope, FallbackPolicy policy, FailureKind kind = FailureKind.None)
    {
        var failed = plan[current].Deployment.Config;
        var intended = plan[0].Deployment.Config;
        for (var i = current + 1; i < plan.Length; i++)
        {
            var candidate = plan[i].Deployment.Config;
            var ok = scope switch
            {
                SwitchScope.SameTier => candidate.PriceTier == failed.PriceTier,
                SwitchScope.Cheaper => candidate.Price is { } p && failed.Price is { } f && p.Blended < f.Blended,
                SwitchScope.Pricier => candidate.Price is { } p && failed.Price is { } f && intended.Price is { } b
                    && p.Blended > f.Blended && policy.MaxCostMultiplier is { } m && (double)p.Blended <= m * (double)b.Blended,
                _ => true,
            };
            if (ok && (kind != FailureKind.ContextWindow || LargerWindow(candidate, failed)))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>True unless both windows are known and the candidate's is not larger.</summary>
    internal static bool LargerWindow(DeploymentConfig candidate, DeploymentConfig overflowed) =>
        candidate.Capabilities.ContextWindow is not { } c || overflowed.Capabilities.ContextWindow is not { } o || c > o;

    /// <summary>
    /// Every candidate's observed time to first token is beyond the client's deadline: say so now rather
    /// than spend an attempt that will time out anyway (a 504 before any call).
    /// </summary>
    private UpstreamFailure? Unmeetable(GatewayContext ctx)
    {
        if (ctx.ClientDeadline is not { } wanted || ctx.Plan.Length == 0)
        {
            return null;
        }

        var best = double.MaxValue;
        foreach (var step in ctx.Plan)
        {
            var ttft = health.For(step.Deployment.Name).TimeToFirstTokenMs;
            if (double.IsNaN(ttft) || ttft <= wanted.TotalMilliseconds)
            {
                return null; // unknown, or fast enough
            }

            best = Math.Min(best, ttft);
        }

        return new UpstreamFailure(FailureKind.DeadlineExceeded,
            $"The deadline of {wanted.TotalMilliseconds:0} ms cannot be met: the fastest deployment's time to first token is ~{best:0} ms.");
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information,
        Message = "Request {RequestId}: attempt on deployment {Deployment} failed ({Kind}, HTTP {Status}); next: {Move} after {DelayMs} ms")]
    private static partial void LogAttemptFailed(ILogger logger, string requestId, string deployment, string kind, int status, NextMove move, double delayMs);
}
