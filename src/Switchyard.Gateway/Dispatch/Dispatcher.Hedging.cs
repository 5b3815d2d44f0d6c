namespace Switchyard.Dispatch;

/// <summary>Hedging: a second deployment races a slow first; the first to commit wins, the other is cancelled.</summary>
public sealed partial class Dispatcher
{
    /// <summary>The plan step a hedge would race against the intended one, or -1 (only the first try of step 0 hedges).</summary>
    private static int HedgeStep(GatewayContext ctx, in Walk walk) =>
        walk.Step == 0 && walk.Retries == 0 && ctx.Route!.Alias.Hedge is not null && ctx.Plan.Length >= 2
        && !MediaOperations.IsMedia(ctx.Operation) ? 1 : -1; // a second image or voice is billed in full: media never hedges

    /// <summary>
    /// Races the intended deployment against <paramref name="hedgeStep"/>: the second attempt starts only if the
    /// first has not finished within the hedge delay and the alias's hedge budget allows (a share of the alias's
    /// requests that waited that long); the first to commit wins and the other is cancelled (its cancellation
    /// reaches the upstream). Returns null when one committed, else the failure to act on and the step it
    /// belongs to (0, or the hedge step when both failed).
    /// </summary>
    private async Task<(UpstreamFailure? Failure, int Step)> HedgedAsync(GatewayContext ctx, int hedgeStep, AttemptBodies bodies, TimeSpan remaining)
    {
        var plan = ctx.Plan;
        var hedge = ctx.Route!.Alias.Hedge!;
        using var cancelFirst = CancellationTokenSource.CreateLinkedTokenSource(ctx.Http.RequestAborted);
        using var cancelSecond = CancellationTokenSource.CreateLinkedTokenSource(ctx.Http.RequestAborted);
        using var stopTimer = new CancellationTokenSource();
        var first = RunOneAsync(ctx, plan[0].Deployment, bodies.Primary, remaining, cancelFirst.Token, hedged: true);
        var delay = HedgeDelay(hedge, plan[0].Deployment);
        var timer = Task.Delay(delay, time, stopTimer.Token);
        if (await Task.WhenAny(first, timer).ConfigureAwait(false) == first
            || Prepare(ctx, plan[hedgeStep].Deployment) is not null // the hedge would need a translation the body cannot take
            || !health.Hedges(ctx.Route.Alias.Name).TryTake(hedge.MaxShare))
        {
            await stopTimer.CancelAsync().ConfigureAwait(false);
            return (await first.ConfigureAwait(false), 0);
        }

        ctx.Hedged = true;
        var second = RunOneAsync(ctx, plan[hedgeStep].Deployment, bodies.Hedge, remaining - delay, cancelSecond.Token, hedged: true);
        var winner = await Task.WhenAny(first, second).ConfigureAwait(false);
        var winnerResult = await winner.ConfigureAwait(false);
        var (other, cancelOther) = winner == first ? (second, cancelSecond) : (first, cancelFirst);
        if (winnerResult is null)
        {
            await cancelOther.CancelAsync().ConfigureAwait(false);
            await other.ConfigureAwait(false); // the loser unwinds; its attempt is counted, its health updated, its cost kept (ctx.HedgeLoser)
            return (null, 0);
        }

        var otherResult = await other.ConfigureAwait(false);
        if (otherResult is null)
        {
            return (null, 0);
        }

        // Both failed: the hedge was a fallback that happened; act on its failure (the later step).
        var firstResult = winner == first ? winnerResult : otherResult;
        if (ctx.FallbackReason == FailureKind.None)
        {
            ctx.FallbackReason = firstResult.Kind;
        }

        return (winner == first ? otherResult : winnerResult, hedgeStep);
    }

    /// <summary>Fixed, or (auto) twice the deployment's time-to-first-token estimate within [25 ms, 10 s]; 1 s before any estimate.</summary>
    internal TimeSpan HedgeDelay(HedgePolicy hedge, DeploymentTarget primary)
    {
        if (!hedge.Auto)
        {
            return hedge.Delay;
        }

        var ttft = health.For(primary.Name).TimeToFirstTokenMs;
        return double.IsNaN(ttft) ? TimeSpan.FromSeconds(1) : TimeSpan.FromMilliseconds(Math.Clamp(2 * ttft, 25, 10_000));
    }
}
