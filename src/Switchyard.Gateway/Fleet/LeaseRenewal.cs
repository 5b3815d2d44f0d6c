namespace Switchyard.Fleet;

/// <summary>
/// Renews this replica's concurrency permits on Redis every third of <see cref="RedisSettings.LeaseTtl"/> (on the
/// gateway's clock), so a request that runs for an hour keeps its permit and a replica that dies stops renewing:
/// its permits lapse within one TTL and the acquire script reclaims them.
/// </summary>
public sealed class LeaseRenewal : IAsyncDisposable
{
    private readonly CancellationTokenSource stopping = new();
    private readonly Task loop;

    /// <summary>Starts renewing <paramref name="counters"/>' leases.</summary>
    public LeaseRenewal(SharedLimitCounters counters, RedisSettings settings, TimeProvider time)
    {
        loop = RunAsync(counters, settings.LeaseTtl / 3, time, stopping.Token);
    }

    private static async Task RunAsync(SharedLimitCounters counters, TimeSpan every, TimeProvider time, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(every, time);
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                await counters.RenewAsync().ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Stops renewing (held permits then lapse at their deadline, unless settled first).</summary>
    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync().ConfigureAwait(false);
        await loop.ConfigureAwait(false);
        stopping.Dispose();
    }
}
