namespace Switchyard.Health;

/// <summary>
/// "At most this share of recent events may be X" over a sliding window of ten buckets: each eligible event
/// is counted, and a take succeeds while takes stay within <c>share × eligible</c> in the window. With
/// 100% every eligible event may take; with 10%, one in ten (the first, the eleventh, ...). Used for
/// hedging, where the cap is a share of the hedging alias's own requests (not of the hedge target's
/// traffic, which consists of hedges only). Thread-safe.
/// </summary>
public sealed class ShareBudget(TimeProvider time, TimeSpan window)
{
    private const int Buckets = 10;
    private readonly Lock gate = new();
    private readonly long[] start = new long[Buckets];
    private readonly int[] eligible = new int[Buckets];
    private readonly int[] taken = new int[Buckets];

    /// <summary>Counts one eligible event and takes from the budget if <paramref name="share"/> allows.</summary>
    public bool TryTake(double share)
    {
        var now = time.GetTimestamp() / BucketTicks;
        lock (gate)
        {
            eligible[Touch(now)]++;
            var (e, t) = Sum(now);
            if (t >= share * e)
            {
                return false;
            }

            taken[Touch(now)]++;
            return true;
        }
    }

    /// <summary>Would the next eligible event be allowed to take (explain; changes nothing)?</summary>
    public bool WouldAllow(double share)
    {
        var now = time.GetTimestamp() / BucketTicks;
        lock (gate)
        {
            var (e, t) = Sum(now);
            return t < share * (e + 1);
        }
    }

    /// <summary>Eligible events and takes in the window.</summary>
    public (int Eligible, int Taken) Counts
    {
        get
        {
            lock (gate)
            {
                return Sum(time.GetTimestamp() / BucketTicks);
            }
        }
    }

    private long BucketTicks => Math.Max(1, (long)(window.TotalSeconds * time.TimestampFrequency / Buckets));

    private int Touch(long slot)
    {
        var i = (int)(slot % Buckets);
        if (start[i] != slot)
        {
            start[i] = slot;
            eligible[i] = 0;
            taken[i] = 0;
        }

        return i;
    }

    private (int Eligible, int Taken) Sum(long slot)
    {
        int e = 0, t = 0;
        for (var i = 0; i < Buckets; i++)
        {
            if (slot - start[i] < Buckets)
            {
                e += eligible[i];
                t += taken[i];
            }
        }

        return (e, t);
    }
}
