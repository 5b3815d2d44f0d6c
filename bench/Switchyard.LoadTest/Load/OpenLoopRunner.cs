namespace Switchyard.LoadTest.Load;

/// <summary>
/// Open-loop (fixed-rate) run, the wrk2/olg model: request i is due at t0 + i/rate whatever happened to
/// earlier requests, and its latency is measured from that intended time. When every pooled connection is
/// busy, due requests wait in a FIFO backlog and the wait counts in their latency, so a stalling target
/// shows up in the tail instead of silently lowering the offered rate (coordinated omission).
/// </summary>
/// <remarks>
/// A dedicated scheduler thread sleeps until each due time (nanosleep) and starts the exchange inline: the
/// write happens on that thread, the response is handled by the socket completion, which also takes the
/// next queued request if there is one. One lock guards the pool, the backlog and the recorder; it is held
/// for a few hundred nanoseconds per request.
/// </remarks>
public sealed class OpenLoopRunner(RunPlan plan)
{
    private readonly object _gate = new();
    private readonly Stack<HttpConnection> _idle = new();
    private readonly List<HttpConnection> _all = [];
    private readonly Queue<long> _backlog = new();
    private readonly ManualResetEventSlim _drained = new(false);
    private readonly LatencyRecorder _rec = new(ExpectedSamples(plan));
    private long _measureStart, _measureEnd;
    private int _inflight;
    private bool _scheduling = true, _finished;

    private static int ExpectedSamples(RunPlan p) => (int)Math.Min(p.Rate * p.Duration * 1.02 + 1024, 50_000_000);

    /// <summary>Runs the schedule to the end, waits up to the grace period for stragglers, returns the record.</summary>
    public RunRecord Run()
    {
        RunRecord? result = null;
        // A thread of our own: the thread pool could delay the scheduler behind socket completions.
        var thread = new Thread(() => result = RunOnSchedulerThread()) { IsBackground = true, Name = "loadtest-scheduler" };
        thread.Start();
        thread.Join();
        return result!;
    }

    private RunRecord RunOnSchedulerThread()
    {
        Clock.TightenTimerSlack();
        var started = Clock.Now;
        var t0 = started + Clock.Ticks(0.005); // let the thread settle before the first send
        _measureStart = t0 + Clock.Ticks(plan.Warmup);
        _measureEnd = _measureStart + Clock.Ticks(plan.Duration);
        var deadline = _measureEnd + Clock.Ticks(plan.Grace);
        var interval = Clock.Ticks(1.0) / plan.Rate; // double: no drift from rounding the interval

        for (long i = 0; ; i++)
        {
            var due = t0 + (long)(i * interval);
            if (due >= _measureEnd) break;
            Clock.SleepUntil(due);
            Dispatch(due);
        }

        lock (_gate)
        {
            _scheduling = false;
            if (_inflight == 0 && _backlog.Count == 0) _drained.Set();
        }
        var left = deadline - Clock.Now;
        if (left > 0) _drained.Wait(TimeSpan.FromSeconds(Clock.Seconds(left)));

        int opened;
        lock (_gate)
        {
            _finished = true; // late completions are ignored from here on
            _rec.Timeouts = _inflight + _backlog.Count;
            opened = _all.Sum(c => c.Opened);
        }
        foreach (var c in _all) c.Dispose(); // aborts whatever is still pending
        return plan.ToRecord(_rec, _measureStart, opened, started);
    }

    /// <summary>Starts the request due at <paramref name="intended"/> on an idle (or new) connection, or queues it.</summary>
    private void Dispatch(long intended)
    {
        HttpConnection? conn = null;
        lock (_gate)
        {
            if (_idle.Count > 0) conn = _idle.Pop();
            else if (_all.Count < plan.Connections) { conn = new HttpConnection(plan.Target, plan.Request); _all.Add(conn); }
            else if (_backlog.Count < RunPlan.MaxBacklog) _backlog.Enqueue(intended);
            else { if (InWindow(intended)) _rec.Dropped++; return; }
            _rec.Sent++;
            if (conn is not null) _inflight++;
        }
        if (conn is not null) _ = RunRequestsAsync(conn, intended);
    }

    /// <summary>Runs one exchange, records it, then keeps the connection busy with queued requests if any.</summary>
    private async Task RunRequestsAsync(HttpConnection conn, long intended)
    {
        while (true)
        {
            var ex = await conn.ExchangeAsync().ConfigureAwait(false);
            var done = Clock.Now;
            lock (_gate)
            {
                if (_finished) return;
                if (InWindow(intended)) _rec.Add(ex, intended, done);
                if (_backlog.TryDequeue(out var next)) { intended = next; continue; }
                _idle.Push(conn);
                _inflight--;
                if (_inflight == 0 && !_scheduling) _drained.Set();
                return;
            }
        }
    }

    private bool InWindow(long intended) => intended >= _measureStart && intended < _measureEnd;
}
