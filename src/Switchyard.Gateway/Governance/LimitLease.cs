using System.Threading.RateLimiting;

namespace Switchyard.Governance;

/// <summary>
/// What one request took from the limits: settled once with its real token counts (the estimate given back or
/// the excess charged) and its concurrency permits returned. Settling twice, or cancelling after settling,
/// does nothing, so no path can return a permit twice or leak one.
/// </summary>
public sealed class LimitLease : ILimitLease
{
    private readonly LimitBook book;
    private readonly List<(char Kind, MinuteBucket Bucket, long Amount)> taken = [];
    private readonly List<RateLimitLease> permits = [];
    private int done;

    internal LimitLease(LimitBook book, long input, long output)
    {
        this.book = book;
        Input = input;
        Output = output;
    }

    /// <summary>Input tokens reserved (the estimate).</summary>
    public long Input { get; }

    /// <summary>Output tokens reserved (the cap or the default reservation).</summary>
    public long Output { get; }

    internal void Took(char kind, MinuteBucket bucket, long amount) => taken.Add((kind, bucket, amount));

    internal void Holds(RateLimitLease permit) => permits.Add(permit);

    /// <summary>The request ran: charges its real tokens in place of the reservation, returns its permits.</summary>
    public void Settle(long inputTokens, long outputTokens)
    {
        if (Interlocked.Exchange(ref done, 1) != 0)
        {
            return;
        }

        var now = book.Time.GetTimestamp();
        foreach (var (kind, bucket, amount) in taken)
        {
            var used = kind switch
            {
                'r' => amount,
                't' => inputTokens + outputTokens,
                'i' => inputTokens,
                _ => outputTokens,
            };
            if (used != amount)
            {
                bucket.Adjust(amount - used, now, book.Time);
            }
        }

        ReleasePermits();
    }

    /// <summary>The request was refused by a later limit, or was a dry run: everything taken goes back.</summary>
    public void Cancel()
    {
        if (Interlocked.Exchange(ref done, 1) != 0)
        {
            return;
        }

        var now = book.Time.GetTimestamp();
        foreach (var (_, bucket, amount) in taken)
        {
            bucket.Adjust(amount, now, book.Time);
        }

        ReleasePermits();
    }

    private void ReleasePermits()
    {
        foreach (var permit in permits)
        {
            permit.Dispose();
        }
    }
}
