using System.Buffers;
using Microsoft.Extensions.Logging;
using Switchyard.Canonical;
using Switchyard.Configuration;
using Switchyard.Ingress;
using Switchyard.Pipeline;
using Switchyard.Providers;
using Switchyard.Routing;
using Switchyard.Health;

namespace Switchyard.Dispatch;

/// <summary>
/// Walks a request's plan: for each step, pick the path (passthrough when client and deployment speak the
/// same protocol, translation otherwise), attempt it, and on failure ask the <see cref="RetryDecider"/>
/// whether to retry, switch or stop, until one attempt commits a response to the client. The commit
/// point is the first byte sent: before it any failure may still fall back; after it a failure can only
/// end the response honestly.
/// </summary>
public sealed partial class Dispatcher(
    ProviderRegistry providers, PassthroughAttempts passthrough, TranslatedAttempts translated, EmbeddingsAttempts embeddings, HealthRegistry health,
    FaultInjector faults, TimeProvider time, Random random, ILogger<Dispatcher> logger)
{
    /// <summary>Dispatches <paramref name="ctx"/> and writes the client's response.</summary>
    public async Task RunAsync(GatewayContext ctx)
    {
        var policy = ctx.Policy ?? ctx.Route!.Alias.Policy;
        var plan = ctx.Plan;
        var deadline = ctx.ClientDeadline is { } client && client < policy.RequestTimeout ? client : policy.RequestTimeout;
        if (ctx.ClientDeadline is { } wanted && CannotMeet(plan, wanted) is { } estimate)
        {
            // Every candidate's observed time to first token is beyond the client's deadline: say so now
            // rather than spend an attempt that will time out anyway.
            await ClientResponses.WriteFailureAsync(ctx, new UpstreamFailure(FailureKind.DeadlineExceeded,
                $"The deadline of {wanted.TotalMilliseconds:0} ms cannot be met: the fastest deployment's time to first token is ~{estimate:0} ms.")).ConfigureAwait(false);
            return;
        }

        UpstreamFailure? last = null;
        var body = new RewrittenBody();
        RewrittenBody? hedgeBody = null;
        try
        {
            for (var step = 0; step < plan.Length; step++)
            {
                var deployment = plan[step].Deployment;
                if (!await PrepareAsync(ctx, deployment).ConfigureAwait(false))
                {
                    return; // the client's body cannot be translated: already answered with a 400
                }

                for (var retries = 0; ; retries++)
                {
                    var remaining = deadline - time.GetElapsedTime(ctx.StartTimestamp);
                    if (remaining <= TimeSpan.Zero)
                    {
                        await ClientResponses.WriteFailureAsync(ctx, new UpstreamFailure(FailureKind.DeadlineExceeded,
                            $"The request's deadline of {deadline.TotalSeconds:0.###} s passed after {ctx.Attempts} attempt(s).")).ConfigureAwait(false);
                        return;
                    }

                    UpstreamFailure? failure;
                    var hedge = step == 0 && retries == 0 ? ctx.Route!.Alias.Hedge : null;
                    var hedgeStep = hedge is null || plan.Length < 2 ? -1 : 1;
                    if (hedge is not null && hedgeStep > 0 && await PrepareAsync(ctx, plan[hedgeStep].Deployment).ConfigureAwait(false))
                    {
                        hedgeBody ??= new RewrittenBody();
                        (failure, var failedStep) = await HedgedAsync(ctx, plan, hedgeStep, hedge, body, hedgeBody, remaining).ConfigureAwait(false);
                        if (failedStep != 0)
                        {
                            step = failedStep; // both raced and failed: go on from the hedge's step
                            deployment = plan[step].Deployment;
                        }
                    }
                    else
                    {
                        failure = await RunOneAsync(ctx, deployment, body, remaining, ctx.Http.RequestAborted).ConfigureAwait(false);
                    }

                    if (failure is null)
                    {
                        return; // committed: the response (or an honest end of it) has been written
                    }

                    if (failure.Kind == FailureKind.HedgeLost)
                    {
                        // Unavailable (circuit opened since planning): not an attempt, just move on.
                        last ??= new UpstreamFailure(FailureKind.ServerError, $"deployment '{deployment.Name}' is unavailable: its circuit is open", 503);
                        break;
                    }

                    last = failure;
                    if (failure.Kind == FailureKind.ClientCancelled)
                    {
                        ctx.Error = FailureKind.ClientCancelled;
                        return;
                    }

                    if (ctx.FallbackReason == FailureKind.None)
                    {
                        ctx.FallbackReason = failure.Kind;
                    }

                    var facts = new FailureFacts(failure.Kind, retries, ctx.Attempts, step + 1 < plan.Length,
                        failure.RetryAfter, deadline - time.GetElapsedTime(ctx.StartTimestamp));
                    var decision = RetryDecider.Decide(policy, facts, random.NextDouble());
                    if (decision.Move == NextMove.Retry && !health.For(deployment.Name).TryTakeRetry(policy.RetryBudget))
                    {
                        // The deployment's retry budget is spent (an outage, most likely): decide as if this
                        // step's retries were used up, which switches or stops instead of piling on.
                        decision = RetryDecider.Decide(policy, facts with { RetriesOnStep = int.MaxValue }, random.NextDouble());
                    }

                    LogAttemptFailed(logger, ctx.RequestId, deployment.Name, FailureKinds.Name(failure.Kind), failure.Status, decision.Move, decision.Delay.TotalMilliseconds);
                    if (decision.Move == NextMove.Retry)
                    {
                        await Task.Delay(decision.Delay, time, ctx.Http.RequestAborted).ConfigureAwait(false);
                        continue;
                    }

                    if (decision.Move == NextMove.Switch)
                    {
                        var next = NextStep(plan, step, decision.Scope, policy);
                        if (next < 0)
                        {
                            await ClientResponses.WriteFailureAsync(ctx, failure).ConfigureAwait(false);
                            return; // nothing left in the allowed scope: fail closed rather than wander
                        }

                        step = next - 1; // the for loop's increment lands on it
                        break;
                    }

                    await ClientResponses.WriteFailureAsync(ctx, failure).ConfigureAwait(false);
                    return;
                }
            }

            // Every step switched away (or was unavailable): answer with the last failure.
            await ClientResponses.WriteFailureAsync(ctx, last ?? new UpstreamFailure(FailureKind.ServerError,
                "No deployment of this model is available right now (all circuits open).", 503)).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ctx.Http.RequestAborted.IsCancellationRequested)
        {
            ctx.Error = FailureKind.ClientCancelled; // client left during a backoff delay
        }
        finally
        {
            body.Dispose();
            hedgeBody?.Dispose();
        }
    }

    /// <summary>
    /// Races the intended deployment against <paramref name="hedgeStep"/>: the second attempt starts only if the
    /// first has not finished within the hedge delay and the hedge budget allows; the first to commit wins and
    /// the other is cancelled (its cancellation reaches the upstream). Returns null when one committed, else the
    /// failure to act on and the step it belongs to (0, or the hedge step when both failed).
    /// </summary>
    private async Task<(UpstreamFailure? Failure, int Step)> HedgedAsync(GatewayContext ctx, PlanStep[] plan, int hedgeStep,
        HedgePolicy hedge, RewrittenBody body, RewrittenBody hedgeBody, TimeSpan remaining)
    {
        using var cancelFirst = CancellationTokenSource.CreateLinkedTokenSource(ctx.Http.RequestAborted);
        using var cancelSecond = CancellationTokenSource.CreateLinkedTokenSource(ctx.Http.RequestAborted);
        using var stopTimer = new CancellationTokenSource();
        var first = RunOneAsync(ctx, plan[0].Deployment, body, remaining, cancelFirst.Token);
        var delay = HedgeDelay(hedge, plan[0].Deployment);
        var timer = Task.Delay(delay, time, stopTimer.Token);
        if (await Task.WhenAny(first, timer).ConfigureAwait(false) == first
            || !health.For(plan[hedgeStep].Deployment.Name).TryTakeHedge(hedge.MaxShare))
        {
            await stopTimer.CancelAsync().ConfigureAwait(false);
            return (await first.ConfigureAwait(false), 0);
        }

        ctx.Hedged = true;
        var second = RunOneAsync(ctx, plan[hedgeStep].Deployment, hedgeBody, remaining - delay, cancelSecond.Token);
        var winner = await Task.WhenAny(first, second).ConfigureAwait(false);
        var winnerResult = await winner.ConfigureAwait(false);
        var (other, cancelOther) = winner == first ? (second, cancelSecond) : (first, cancelFirst);
        if (winnerResult is null)
        {
            await cancelOther.CancelAsync().ConfigureAwait(false);
            await other.ConfigureAwait(false); // the loser unwinds; its attempt is counted and its health updated
            return (null, 0);
        }

        var otherResult = await other.ConfigureAwait(false);
        if (otherResult is null)
        {
            return (null, 0);
        }

        // Both failed: act on the hedge's failure (the later step), keeping the first as the fallback reason.
        var firstResult = winner == first ? winnerResult : otherResult;
        var secondResult = winner == first ? otherResult : winnerResult;
        if (ctx.FallbackReason == FailureKind.None && firstResult.Kind != FailureKind.HedgeLost)
        {
            ctx.FallbackReason = firstResult.Kind;
        }

        return (secondResult, hedgeStep);
    }

    /// <summary>Fixed, or (auto) twice the deployment's time-to-first-token estimate within [25 ms, 10 s]; 1 s before any estimate.</summary>
    private TimeSpan HedgeDelay(HedgePolicy hedge, DeploymentTarget primary)
    {
        if (!hedge.Auto)
        {
            return hedge.Delay;
        }

        var ttft = health.For(primary.Name).TimeToFirstTokenMs;
        return double.IsNaN(ttft) ? TimeSpan.FromSeconds(1) : TimeSpan.FromMilliseconds(Math.Clamp(2 * ttft, 25, 10_000));
    }

    /// <summary>
    /// One attempt on <paramref name="deployment"/>, through its circuit breaker: counted, timed, and its outcome
    /// fed back to the deployment's health. <see cref="FailureKind.HedgeLost"/> without an attempt means the
    /// circuit refused it.
    /// </summary>
    private async Task<UpstreamFailure?> RunOneAsync(GatewayContext ctx, DeploymentTarget deployment, RewrittenBody body, TimeSpan remaining, CancellationToken abort)
    {
        var state = health.For(deployment.Name);
        if (!state.TryAcquire())
        {
            return new UpstreamFailure(FailureKind.HedgeLost, $"deployment '{deployment.Name}' is unavailable: its circuit is open");
        }

        var adapter = providers.Adapter(deployment.Config.Provider.Kind);
        var protocol = PassthroughFor(ctx, adapter);
        Interlocked.Increment(ref ctx.AttemptCount);
        if (!ctx.Hedged)
        {
            ctx.Final = deployment;
        }

        var attemptStart = time.GetTimestamp();
        UpstreamFailure? failure = null;
        try
        {
            // A failover drill's injected fault stands in for the upstream call (one check when no drill runs).
            failure = faults.Active ? faults.FailureFor(deployment.Name) : null;
            if (failure is null)
            {
                var bytes = protocol is null ? default : body.For(protocol, ctx, deployment);
                failure = await AttemptAsync(ctx, protocol, adapter, deployment, bytes, remaining, abort).ConfigureAwait(false);
            }
        }
        finally
        {
            var first = failure is null ? ctx.FirstByteTimestamp : 0;
            var outcome = failure?.Kind ?? ctx.Error;
            if (failure is not null && abort.IsCancellationRequested && !ctx.Http.RequestAborted.IsCancellationRequested)
            {
                outcome = FailureKind.HedgeLost; // cancelled because the other hedged attempt won
            }

            var elapsed = time.GetElapsedTime(attemptStart);
            state.Complete(outcome, elapsed, first == 0 ? null : time.GetElapsedTime(attemptStart, first));
            if (failure is null)
            {
                state.RecordTokens(ctx.Usage.TotalTokens);
            }

            ctx.LogAttempt(deployment.Name, outcome, elapsed);
        }

        return failure;
    }

    private IPassthroughProtocol? PassthroughFor(GatewayContext ctx, IProviderAdapter? adapter)
    {
        var protocol = providers.Passthrough(ctx.Format.PassthroughProtocol);
        return protocol is not null && protocol.Protocol == adapter?.Protocol ? protocol : null;
    }

    /// <summary>Parses the canonical request if <paramref name="deployment"/> needs translation. False when refused (answered).</summary>
    private Task<bool> PrepareAsync(GatewayContext ctx, DeploymentTarget deployment)
    {
        var adapter = providers.Adapter(deployment.Config.Provider.Kind);
        return PassthroughFor(ctx, adapter) is null && adapter is not null && ctx.Operation != Operation.Embeddings
            ? EnsureCanonicalAsync(ctx)
            : Task.FromResult(true);
    }

    /// <summary>Picks the attempt kind. Not async: it only forwards, so it costs no state machine per request.</summary>
    private Task<UpstreamFailure?> AttemptAsync(GatewayContext ctx, IPassthroughProtocol? protocol, IProviderAdapter? adapter,
        DeploymentTarget deployment, ReadOnlyMemory<byte> body, TimeSpan remaining, CancellationToken abort)
    {
        if (protocol is not null)
        {
            return passthrough.RunAsync(ctx, protocol, adapter!, deployment, body, remaining, abort);
        }

        if (adapter is null)
        {
            return Task.FromResult<UpstreamFailure?>(new UpstreamFailure(FailureKind.UnsupportedCapability,
                $"deployment '{deployment.Name}' uses provider kind {deployment.Config.Provider.Kind}, which this build cannot call"));
        }

        if (ctx.Operation == Operation.Embeddings)
        {
            return providers.Embeddings(deployment.Config.Provider.Kind) is { } native
                ? embeddings.RunAsync(ctx, native, adapter, deployment, remaining, abort)
                : Task.FromResult<UpstreamFailure?>(new UpstreamFailure(FailureKind.UnsupportedCapability,
                    $"deployment '{deployment.Name}' does not serve embeddings") { Param = "model" });
        }

        return translated.RunAsync(ctx, adapter, deployment, remaining, abort);
    }

    /// <summary>
    /// The next plan step after <paramref name="current"/> that <paramref name="scope"/> allows, or -1. Prices
    /// compare by <see cref="Price.Blended"/>; a deployment without a price is outside any price-based scope.
    /// </summary>
    internal static int NextStep(PlanStep[] plan, int current, SwitchScope scope, FallbackPolicy policy)
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
            if (ok)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>The smallest TTFT estimate when every step's estimate exceeds <paramref name="deadline"/>; null when it may be met.</summary>
    private double? CannotMeet(PlanStep[] plan, TimeSpan deadline)
    {
        var best = double.MaxValue;
        foreach (var step in plan)
        {
            var ttft = health.For(step.Deployment.Name).TimeToFirstTokenMs;
            if (double.IsNaN(ttft) || ttft <= deadline.TotalMilliseconds)
            {
                return null; // unknown, or fast enough
            }

            best = Math.Min(best, ttft);
        }

        return plan.Length == 0 ? null : best;
    }

    /// <summary>Parses the canonical request once, on the first translated attempt. False when it was refused.</summary>
    private static async Task<bool> EnsureCanonicalAsync(GatewayContext ctx)
    {
        if (ctx.Canonical is not null)
        {
            return true;
        }

        if (ctx.Format.Parse(ctx.Body!.Span, ctx.Http, out var request) is { } error)
        {
            ctx.RefusalCode = error.Code;
            await ClientResponses.WriteErrorAsync(ctx.Http, ctx.Format, error).ConfigureAwait(false);
            return false;
        }

        ctx.Canonical = request;
        return true;
    }

    /// <summary>The passthrough body for the current deployment, rebuilt only when the upstream model changes.</summary>
    private sealed class RewrittenBody : IDisposable
    {
        private byte[]? buffer;
        private int length;
        private DeploymentTarget? builtFor;

        public ReadOnlyMemory<byte> For(IPassthroughProtocol protocol, GatewayContext ctx, DeploymentTarget deployment)
        {
            if (builtFor is null || !builtFor.EncodedModel.AsSpan().SequenceEqual(deployment.EncodedModel))
            {
                Dispose();
                buffer = protocol.RewriteBody(ctx.Body!.Span, ctx.Request, deployment, out length);
                builtFor = deployment;
            }

            return buffer.AsMemory(0, length);
        }

        public void Dispose()
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = null;
            }
        }
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information,
        Message = "Request {RequestId}: attempt on deployment {Deployment} failed ({Kind}, HTTP {Status}); next: {Move} after {DelayMs} ms")]
    private static partial void LogAttemptFailed(ILogger logger, string requestId, string deployment, string kind, int status, NextMove move, double delayMs);
}
