
namespace Switchyard.Health;

/// <summary>Circuit states.</summary>
public enum CircuitState
{
    /// <summary>Traffic flows.</summary>
    Closed,

    /// <summary>No traffic until the break ends.</summary>
    Open,

    /// <summary>A limited number of trial requests decide whether to close again.</summary>
    HalfOpen,
}

/// <summary>
/// Live state of one deployment, fed by real traffic only (no billed probes): requests in flight, an
/// exponentially weighted moving average of latency and of time to first token, and a circuit breaker over
/// a sliding window of time buckets. Thread-safe; one instance per deployment name, kept across reloads.
/// </summary>
public sealed class DeploymentHealth
{
    private const int Buckets = 10;

    /// <summary>EWMA weight of a new sample: ~the last 10 samples dominate.</summary>
    private const double Alpha = 0.2;

    private readonly TimeProvider time;
    private readonly Lock gate = new();
    private readonly long[] bucketStart = new long[Buckets];
    private readonly int[] bucketTotal = new int[Buckets];
    private readonly int[] bucketFailed = new int[Buckets];
    private readonly int[] bucketRetries = new int[Buckets];
    private CircuitState state;
    private long openedAt;
    private int trialsInFlight;
    private int inFlight;
    private double latencyMs = double.NaN;
    private double ttftMs = double.NaN;
    private long lastFailureAt;
    private long minute = -1;
    private int minuteRequests;
    private long minuteTokens;

    /// <summary>Creates the state of deployment <paramref name="name"/>.</summary>
    public DeploymentHealth(string name, TimeProvider time)
    {
        Name = name;
        this.time = time;
    }

    /// <summary>Deployment name.</summary>
    public string Name { get; }

    /// <summary>Breaker thresholds (updated on config reload).</summary>
    public CircuitBreakerSettings Settings { get; set; } = CircuitBreakerSettings.Default;

    /// <summary>Requests currently in flight to this deployment.</summary>
    public int InFlight => Volatile.Read(ref inFlight);

    /// <summary>Latency EWMA in ms (NaN until the first success).</summary>
    public double LatencyMs
    {
        get
        {
            lock (gate)
            {
                return latencyMs;
            }
        }
    }

    /// <summary>Time-to-first-token EWMA in ms (NaN until the first success).</summary>
    public double TimeToFirstTokenMs
    {
        get
        {
            lock (gate)
            {
                return ttftMs;
            }
        }
    }

    /// <summary>The circuit's state now (an expired break reads as half-open).</summary>
    public CircuitState State
    {
        get
        {
            lock (gate)
            {
                return CurrentState();
            }
        }
    }

    /// <summary>How long until an open circuit lets a trial through (zero when not open).</summary>
    public TimeSpan OpenFor
    {
        get
        {
            lock (gate)
            {
                return state == CircuitState.Open && CurrentState() == CircuitState.Open
                    ? Settings.BreakFor - time.GetElapsedTime(openedAt)
                    : TimeSpan.Zero;
            }
        }
    }

    /// <summary>Attempts and failures in the current window.</summary>
    public (int Total, int Failed) WindowCounts
    {
        get
        {
            lock (gate)
            {
                return Count(time.GetTimestamp());
            }
        }
    }

    /// <summary>
    /// Asks to send a request. False while open, or when half-open and the trial slots are taken. A true
    /// answer must be followed by <see cref="Complete"/>.
    /// </summary>
    public bool TryAcquire()
    {
        lock (gate)
        {
            switch (CurrentState())
            {
                case CircuitState.Open:
                    return false;
                case CircuitState.HalfOpen when trialsInFlight >= Settings.HalfOpenTrials:
                    return false;
                case CircuitState.HalfOpen:
                    state = CircuitState.HalfOpen;
                    trialsInFlight++;
                    break;
            }

            inFlight++;
            RollMinute();
            minuteRequests++;
            return true;
        }
    }

    /// <summary>Adds the tokens a finished request used to this minute's count (for TPM limits).</summary>
    public void RecordTokens(long tokens)
    {
        lock (gate)
        {
            RollMinute();
            minuteTokens += tokens;
        }
    }

    /// <summary>
    /// Share of the deployment's per-minute limits still free (the smaller of RPM and TPM; 1 when it has none).
    /// The current calendar minute is the window: simple, and what providers' own quotas mostly reset on.
    /// </summary>
    public double Headroom(DeploymentLimits? limits)
    {
        if (limits is null)
        {
            return 1;
        }

        lock (gate)
        {
            RollMinute();
            var rpm = limits.Rpm is { } r ? 1 - ((double)minuteRequests / r) : 1;
            var tpm = limits.Tpm is { } t ? 1 - ((double)minuteTokens / t) : 1;
            return Math.Min(rpm, tpm);
        }
    }

    private void RollMinute()
    {
        var now = time.GetUtcNow().ToUnixTimeSeconds() / 60;
        if (now != minute)
        {
            minute = now;
            minuteRequests = 0;
            minuteTokens = 0;
        }
    }

    /// <summary>True when <see cref="TryAcquire"/> would (probably) succeed; used to order and explain plans.</summary>
    public bool IsAvailable
    {
        get
        {
            lock (gate)
            {
                var s = CurrentState();
                return s == CircuitState.Closed || (s == CircuitState.HalfOpen && trialsInFlight < Settings.HalfOpenTrials);
            }
        }
    }

    /// <summary>Records the outcome of an acquired request.</summary>
    /// <param name="failure">The failure, or <see cref="FailureKind.None"/>.</param>
    /// <param name="latency">Whole attempt duration (successes only feed the EWMA).</param>
    /// <param name="ttft">Time to first byte/token, if known.</param>
    public void Complete(FailureKind failure, TimeSpan latency, TimeSpan? ttft)
    {
        // A deployment that answers, but too slowly to be useful, is failing its users: optionally count it so
        // (its latency still feeds the estimates, which is how the lowest-latency strategy learns of it).
        var slow = failure == FailureKind.None && ttft is { } first && Settings.SlowTimeToFirstToken is { } limit && first > limit;
        var counts = slow || CountsAgainst(failure);
        bool opened;
        lock (gate)
        {
            opened = Record(failure, latency, ttft, counts, time.GetTimestamp());
        }

        if (opened)
        {
            Opened?.Invoke(this); // outside the lock: the fleet hears of it (Fleet/BreakerBroadcast)
        }
    }

    /// <summary>The outcome under the lock; true when it opened the circuit.</summary>
    private bool Record(FailureKind failure, TimeSpan latency, TimeSpan? ttft, bool counts, long now)
    {
        inFlight--;
        var wasTrial = state == CircuitState.HalfOpen && trialsInFlight > 0;
        if (wasTrial)
        {
            trialsInFlight--;
        }

        if (failure == FailureKind.None)
        {
            latencyMs = double.IsNaN(latencyMs) ? latency.TotalMilliseconds : latencyMs + (Alpha * (latency.TotalMilliseconds - latencyMs));
            if (ttft is { } t)
            {
                ttftMs = double.IsNaN(ttftMs) ? t.TotalMilliseconds : ttftMs + (Alpha * (t.TotalMilliseconds - ttftMs));
            }
        }

        if (!counts)
        {
            if (wasTrial)
            {
                Close(now);
            }

            Add(now, failed: false);
            return false;
        }

        lastFailureAt = now;
        Add(now, failed: true);
        if (wasTrial)
        {
            Open(now);
            return true;
        }

        var (total, failed) = Count(now);
        if (state == CircuitState.Closed && Settings.Enabled && total >= Settings.MinRequests && failed >= Settings.FailureRatio * total)
        {
            Open(now);
            return true;
        }

        return false;
    }

    /// <summary>Raised when this replica's own traffic opens the circuit (not a drill, not another replica's news).</summary>
    internal Action<DeploymentHealth>? Opened { get; set; }

    /// <summary>
    /// Another replica's traffic opened this deployment's circuit: open it here too until the same moment (at most one
    /// break of this replica's own settings), so this replica does not have to fail its own users to find out. Later the
    /// circuit half-opens as usual and this replica's own trial decides. A circuit already open longer is left alone.
    /// </summary>
    public void OpenFromFleet(TimeSpan remaining)
    {
        lock (gate)
        {
            if (!Settings.Enabled || remaining <= TimeSpan.Zero || (CurrentState() == CircuitState.Open && OpenForLocked() >= remaining))
            {
                return;
            }

            var elapsed = remaining >= Settings.BreakFor ? TimeSpan.Zero : Settings.BreakFor - remaining;
            Open(time.GetTimestamp() - (long)(elapsed.TotalSeconds * time.TimestampFrequency));
        }
    }

    private TimeSpan OpenForLocked() => Settings.BreakFor - time.GetElapsedTime(openedAt);

    /// <summary>
    /// Takes one retry from the deployment's retry budget: retries may be at most <paramref name="ratio"/> of
    /// the attempts in the current window (but always <paramref name="floor"/>, so a quiet deployment can
    /// still retry). During an outage this caps the extra load and spend retries add, instead of multiplying them.
    /// </summary>
    public bool TryTakeRetry(double ratio, int floor = 10) => TryTake(bucketRetries, ratio, floor);

    private bool TryTake(int[] buckets, double ratio, int floor)
    {
        var now = time.GetTimestamp();
        lock (gate)
        {
            var (total, _) = Count(now);
            var used = 0;
            var current = now / BucketTicks;
            for (var i = 0; i < Buckets; i++)
            {
                if (current - bucketStart[i] < Buckets)
                {
                    used += buckets[i];
                }
            }

            if (used >= Math.Max(floor, ratio * total))
            {
                return false;
            }

            buckets[Touch(now)]++;
            return true;
        }
    }

    /// <summary>Forces the circuit open (failover drills) or closed.</summary>
    public void Force(CircuitState target)
    {
        lock (gate)
        {
            if (target == CircuitState.Open)
            {
                Open(time.GetTimestamp());
            }
            else
            {
                Close(time.GetTimestamp());
            }
        }
    }

    /// <summary>Upstream faults count against a deployment; the client's own errors and cancellations do not.</summary>
    public static bool CountsAgainst(FailureKind kind) => kind is FailureKind.Connection or FailureKind.Timeout
        or FailureKind.RateLimited or FailureKind.ServerError or FailureKind.Transient or FailureKind.StreamCut or FailureKind.Auth;

    private CircuitState CurrentState()
    {
        if (!Settings.Enabled)
        {
            return CircuitState.Closed; // circuit_breaker: off, or turned off by a reload while open
        }

        if (state == CircuitState.Open && time.GetElapsedTime(openedAt) >= Settings.BreakFor)
        {
            return CircuitState.HalfOpen;
        }

        return state;
    }

    private void Open(long now)
    {
        state = CircuitState.Open;
        openedAt = now;
        trialsInFlight = 0;
    }

    private void Close(long now)
    {
        state = CircuitState.Closed;
        trialsInFlight = 0;
        Array.Clear(bucketTotal);
        Array.Clear(bucketFailed);
        Array.Clear(bucketRetries);
    }

    private long BucketTicks => Math.Max(1, (long)(Settings.Window.TotalSeconds * time.TimestampFrequency / Buckets));

    /// <summary>Makes the bucket of <paramref name="now"/> current (clearing a stale one) and returns its index.</summary>
    private int Touch(long now)
    {
        var slot = now / BucketTicks;
        var i = (int)(slot % Buckets);
        if (bucketStart[i] != slot)
        {
            bucketStart[i] = slot;
            bucketTotal[i] = 0;
            bucketFailed[i] = 0;
            bucketRetries[i] = 0;
        }

        return i;
    }

    private void Add(long now, bool failed)
    {
        var i = Touch(now);
        bucketTotal[i]++;
        if (failed)
        {
            bucketFailed[i]++;
        }
    }

    private (int Total, int Failed) Count(long now)
    {
        var current = now / BucketTicks;
        int total = 0, failed = 0;
        for (var i = 0; i < Buckets; i++)
        {
            if (current - bucketStart[i] < Buckets)
            {
                total += bucketTotal[i];
                failed += bucketFailed[i];
            }
        }

        return (total, failed);
    }
}
