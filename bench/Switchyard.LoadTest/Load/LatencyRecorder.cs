namespace Switchyard.LoadTest.Load;

/// <summary>
/// Counts and raw samples of one run. Every sample is kept (exact percentiles, no histogram buckets); the
/// lists are preallocated from the expected count so steady-state recording does not allocate. Not
/// thread-safe: the runners call it under their own lock.
/// </summary>
public sealed class LatencyRecorder(int expected)
{
    private readonly List<long> _latency = new(expected);
    private readonly List<long> _service = new(expected);
    private readonly List<long> _ttfb = new(expected);

    /// <summary>Requests started (all, warm-up included).</summary>
    public long Sent { get; set; }

    /// <summary>Non-2xx responses inside the measured window.</summary>
    public long BadStatus { get; private set; }

    /// <summary>One status code seen among the non-2xx responses, to make a misconfiguration obvious.</summary>
    public int BadStatusExample { get; private set; }

    /// <summary>Socket/protocol errors inside the measured window.</summary>
    public long SocketErrors { get; private set; }

    /// <summary>Requests that could not even be queued (backlog full).</summary>
    public long Dropped { get; set; }

    /// <summary>Requests still in flight or queued when the grace period ended.</summary>
    public long Timeouts { get; set; }

    /// <summary>Completion time of the last successful measured response.</summary>
    public long LastDone { get; private set; }

    /// <summary>Successful responses in the measured window.</summary>
    public int Ok => _latency.Count;

    /// <summary>Records one finished exchange whose intended send time lies in the measured window.</summary>
    /// <param name="e">The exchange.</param>
    /// <param name="intended">When the schedule wanted it sent (latency origin).</param>
    /// <param name="done">When the response completed.</param>
    public void Add(in Exchange e, long intended, long done)
    {
        if (e.Outcome != ExchangeOutcome.Response) { SocketErrors++; return; }
        if (e.Status is < 200 or > 299) { BadStatus++; BadStatusExample = e.Status; return; }
        _latency.Add(done - intended);
        _service.Add(done - e.SentAt);
        _ttfb.Add((e.FirstByteAt != 0 ? e.FirstByteAt : done) - intended);
        LastDone = done;
    }

    /// <summary>Sorts the samples and computes the summary.</summary>
    /// <param name="measureStart">Start of the measured window (ticks).</param>
    /// <param name="duration">Length of the measured window in seconds.</param>
    public Summary Summarize(long measureStart, double duration)
    {
        _latency.Sort();
        _service.Sort();
        _ttfb.Sort();
        double mean = 0;
        foreach (var l in _latency) mean += Clock.Micros(l);
        mean = _latency.Count > 0 ? mean / _latency.Count : -1;
        // Throughput window = the scheduled window, stretched when completions trail it (saturation). The
        // median service time is subtracted so a slow-but-keeping-up target is not penalised (as olg does).
        var svc50 = _service.Count > 0 ? _service[_service.Count / 2] : 0;
        var span = Math.Max(duration, Clock.Seconds(LastDone - svc50 - measureStart));
        return new Summary(
            AchievedRps: _latency.Count / span,
            Latency: new LatencySummary(mean, P(_latency, 50), P(_latency, 90), P(_latency, 99), P(_latency, 99.9), P(_latency, 100)),
            Service: new ServiceSummary(P(_service, 50), P(_service, 99), P(_service, 99.9)),
            Ttfb: new TtfbSummary(P(_ttfb, 50), P(_ttfb, 99)));
    }

    /// <summary>Nearest-rank percentile in microseconds (-1 when there are no samples).</summary>
    private static double P(List<long> sorted, double p)
    {
        if (sorted.Count == 0) return -1;
        var k = (int)Math.Ceiling(p / 100.0 * sorted.Count);
        k = Math.Clamp(k, 1, sorted.Count);
        return Math.Round(Clock.Micros(sorted[k - 1]), 1);
    }
}

/// <summary>Sorted-sample summary of a run.</summary>
public sealed record Summary(double AchievedRps, LatencySummary Latency, ServiceSummary Service, TtfbSummary Ttfb);
