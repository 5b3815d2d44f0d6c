namespace Switchyard.Governance;

/// <summary>
/// One per-minute allowance (requests or tokens) as a bucket of a minute's capacity refilled continuously:
/// a key with <c>rpm: 60</c> may burst 60 requests, then gets one more each second. Tokens are taken before the
/// call (an estimate) and given back or charged after it (the real count), so the balance may go below zero:
/// a debt the next requests wait out. Time comes from <see cref="TimeProvider"/> timestamps, so tests drive it.
/// </summary>
internal sealed class MinuteBucket(long capacity, long now)
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    private readonly Lock gate = new();
    private double available = capacity;
    private long stamp = now;

    /// <summary>The limit: what one minute allows.</summary>
    public long Capacity { get; } = capacity;

    /// <summary>Takes <paramref name="amount"/> if it is there; otherwise says how long until it would be.</summary>
    public bool TryTake(long amount, long now, TimeProvider time, out TimeSpan wait)
    {
        lock (gate)
        {
            Refill(now, time);
            if (available >= amount)
            {
                available -= amount;
                wait = TimeSpan.Zero;
                return true;
            }

            wait = Until(amount - available);
            return false;
        }
    }

    /// <summary>Gives back (positive) or charges (negative) after the real count is known.</summary>
    public void Adjust(long amount, long now, TimeProvider time)
    {
        lock (gate)
        {
            Refill(now, time);
            available = Math.Min(Capacity, available + amount);
        }
    }

    /// <summary>What is left now (never below zero) and how long until the bucket is full again.</summary>
    public (long Remaining, TimeSpan Reset) Peek(long now, TimeProvider time)
    {
        lock (gate)
        {
            Refill(now, time);
            return ((long)Math.Max(0, Math.Floor(available)), Until(Capacity - available));
        }
    }

    /// <summary>True when the bucket is full: it holds no state a new bucket would not, so it may be forgotten.</summary>
    public bool IsIdle(long now, TimeProvider time)
    {
        lock (gate)
        {
            Refill(now, time);
            return available >= Capacity;
        }
    }

    private void Refill(long now, TimeProvider time)
    {
        var elapsed = time.GetElapsedTime(stamp, now);
        if (elapsed > TimeSpan.Zero)
        {
            available = Math.Min(Capacity, available + Capacity * (elapsed / Minute));
            stamp = now;
        }
    }

    /// <summary>The time the refill takes to add <paramref name="missing"/> (rounded up to whole milliseconds).</summary>
    private TimeSpan Until(double missing) =>
        missing <= 0 ? TimeSpan.Zero : TimeSpan.FromMilliseconds(Math.Ceiling(missing / Capacity * Minute.TotalMilliseconds));
}
