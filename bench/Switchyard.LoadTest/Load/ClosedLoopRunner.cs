namespace Switchyard.LoadTest.Load;

/// <summary>
/// Closed-loop ("max throughput") run: each of the plan's connections sends its next request as soon as the
/// previous response is complete, until the measured window ends. Latency here is queueing at saturation,
/// not overhead; the useful number is the achieved rate.
/// </summary>
public static class ClosedLoopRunner
{
    /// <summary>Runs the plan with <see cref="RunPlan.Connections"/> back-to-back senders.</summary>
    public static RunRecord Run(RunPlan plan)
    {
        var gate = new object();
        var rec = new LatencyRecorder(1 << 20);
        var started = Clock.Now;
        var measureStart = started + Clock.Ticks(plan.Warmup);
        var measureEnd = measureStart + Clock.Ticks(plan.Duration);
        var deadline = measureEnd + Clock.Ticks(plan.Grace);
        var conns = Enumerable.Range(0, plan.Connections).Select(_ => new HttpConnection(plan.Target, plan.Request)).ToList();
        var finished = false;
        var inflight = 0;

        async Task Loop(HttpConnection conn)
        {
            await Task.Yield(); // start every loop on the pool, not inline in the caller
            while (Clock.Now < measureEnd)
            {
                var intended = Clock.Now;
                lock (gate) { if (finished) return; rec.Sent++; inflight++; }
                var ex = await conn.ExchangeAsync().ConfigureAwait(false);
                var done = Clock.Now;
                lock (gate)
                {
                    if (finished) return;
                    inflight--;
                    if (intended >= measureStart) rec.Add(ex, intended, done);
                }
                // A refused connect fails in microseconds; without a pause this would spin CPU 0 flat out.
                if (ex.Outcome == ExchangeOutcome.SocketError) await Task.Delay(10).ConfigureAwait(false);
            }
        }

        var all = Task.WhenAll(conns.Select(Loop));
        var left = deadline - Clock.Now;
        if (left > 0) all.Wait(TimeSpan.FromSeconds(Clock.Seconds(left)));
        int opened;
        lock (gate)
        {
            finished = true;
            rec.Timeouts = inflight;
            opened = conns.Sum(c => c.Opened);
        }
        foreach (var c in conns) c.Dispose();
        return plan.ToRecord(rec, measureStart, opened, started);
    }
}
