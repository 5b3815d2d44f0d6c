namespace Switchyard.Dispatch;

/// <summary>
/// One attempt's timeouts on a single <see cref="CancellationTokenSource"/>: the source is re-armed per
/// phase with min(phase limit, time left of the attempt's total), and remembers which limit it was armed
/// for so a cancellation can be reported as "first byte", "idle" or "total". Runs on the injected
/// <see cref="TimeProvider"/>, so tests drive it with a fake clock. The client's disconnect cancels it too, and so
/// does the end of a shutdown's drain (<see cref="DrainSignal.Expired"/>).
/// </summary>
public sealed class AttemptTimer : IDisposable
{
    private readonly CancellationTokenSource cts;
    private readonly CancellationTokenRegistration clientRegistration;
    private readonly CancellationTokenRegistration drainRegistration;
    private readonly TimeProvider time;
    private readonly long startTimestamp;
    private readonly TimeSpan total;
    private readonly CancellationToken clientAborted;
    private readonly CancellationToken drained;

    /// <summary>Starts the attempt's clock.</summary>
    /// <param name="drained">The end of a shutdown's drain (<see cref="DrainSignal.Expired"/>), or none.</param>
    public AttemptTimer(TimeProvider time, TimeSpan total, CancellationToken clientAborted, CancellationToken drained = default)
    {
        this.time = time;
        this.total = total;
        this.clientAborted = clientAborted;
        this.drained = drained;
        startTimestamp = time.GetTimestamp();
        cts = new CancellationTokenSource(Timeout.InfiniteTimeSpan, time);
        clientRegistration = clientAborted.UnsafeRegister(static s => ((CancellationTokenSource)s!).Cancel(), cts);
        drainRegistration = drained.UnsafeRegister(static s => ((CancellationTokenSource)s!).Cancel(), cts);
    }

    /// <summary>Cancelled by a timeout, by the client leaving, or by the end of a shutdown's drain.</summary>
    public CancellationToken Token => cts.Token;

    /// <summary>The phase the timer was last armed for.</summary>
    public string Phase { get; private set; } = "first_byte";

    /// <summary>True when the client went away (as opposed to a timeout).</summary>
    public bool ClientGone => clientAborted.IsCancellationRequested;

    /// <summary>True when the gateway's shutdown drain is over (and the client is still there to be told).</summary>
    public bool ShuttingDown => drained.IsCancellationRequested && !clientAborted.IsCancellationRequested;

    /// <summary>True when a timeout (not the client, not shutdown) cancelled the token.</summary>
    public bool TimedOut => cts.IsCancellationRequested && !clientAborted.IsCancellationRequested && !drained.IsCancellationRequested;

    /// <summary>Arms the timer for a phase allowed <paramref name="limit"/>, capped by what is left of the total.</summary>
    public void Arm(string phase, TimeSpan limit)
    {
        var left = total - time.GetElapsedTime(startTimestamp);
        if (left <= limit)
        {
            Phase = "total";
            limit = left > TimeSpan.Zero ? left : TimeSpan.FromTicks(1);
        }
        else
        {
            Phase = phase;
        }

        cts.CancelAfter(limit);
    }

    /// <summary>Describes the timeout that fired.</summary>
    public string Describe(string deployment) => Phase switch
    {
        "first_byte" => $"deployment '{deployment}' sent no response within its first-byte timeout",
        "idle" => $"deployment '{deployment}' stalled: no data within its stream idle timeout",
        _ => $"deployment '{deployment}' exceeded its total timeout of {total.TotalSeconds:0.###} s",
    };

    /// <inheritdoc />
    public void Dispose()
    {
        clientRegistration.Dispose();
        drainRegistration.Dispose();
        cts.Dispose();
    }
}
