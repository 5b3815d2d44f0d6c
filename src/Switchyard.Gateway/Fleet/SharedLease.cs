using StackExchange.Redis;
using Switchyard.Governance;

namespace Switchyard.Fleet;

/// <summary>
/// What one request took from the shared counters: settled once (the real tokens in place of the reservation, the
/// permits released) or cancelled once (everything back). Like <see cref="LimitLease"/>, a second call does nothing.
/// The script is sent without waiting; if Redis is unreachable then, buckets refill by themselves and the permits
/// lapse at their deadline.
/// </summary>
internal sealed class SharedLease(SharedLimitCounters owner, AllowancePlan plan, string id, long number) : ILimitLease
{
    private int done;

    public AllowancePlan Plan => plan;

    public string Id => id;

    public long Number => number;

    /// <inheritdoc />
    public void Settle(long inputTokens, long outputTokens) => Finish(inputTokens, outputTokens, cancel: false);

    /// <inheritdoc />
    public void Cancel() => Finish(0, 0, cancel: true);

    /// <summary>The acquire got no answer in time: give back whatever it took if it still arrives (ordered after it).</summary>
    public void Undo() => Finish(0, 0, cancel: true, undo: true);

    /// <summary>The keys of this lease's concurrency permits, with their index.</summary>
    public IEnumerable<(RedisKey Key, int Index)> ConcurrencyKeys()
    {
        for (var i = 0; i < plan.Allowances.Count; i++)
        {
            if (plan.Allowances[i].Kind == 'c')
            {
                yield return (plan.Keys[i], i);
            }
        }
    }

    private void Finish(long inputTokens, long outputTokens, bool cancel, bool undo = false)
    {
        if (Interlocked.Exchange(ref done, 1) != 0)
        {
            return;
        }

        var values = new RedisValue[3 + plan.Allowances.Count * 3];
        values[^1] = undo ? "undo" : "settle";
        values[0] = owner.Now();
        values[1] = id;
        for (var i = 0; i < plan.Allowances.Count; i++)
        {
            var a = plan.Allowances[i];
            var used = cancel ? 0 : a.Kind switch
            {
                'r' => a.Amount,
                't' => inputTokens + outputTokens,
                'i' => inputTokens,
                'o' => outputTokens,
                _ => 0,
            };
            values[2 + 3 * i] = a.Kind == 'c' ? "c" : "b";
            values[3 + 3 * i] = a.Capacity;
            values[4 + 3 * i] = a.Kind == 'c' ? 0 : a.Amount - used;
        }

        owner.Send(this, values, undo);
    }
}
