namespace Switchyard.Usage;

/// <summary>
/// What seeing a stored polled job's state does, wherever it was seen (a provider's webhook, the background poller): the
/// store learns its status, and when it ended, its usage is counted once (<see cref="IUpstreamObjectStore.TrySettle"/>)
/// in a record of its own (<see cref="JobUsageRecord"/>). The request that followed a job to its end settles it in its
/// own record instead (Dispatch/PolledAttempts); whoever is first wins, the others only update. Throws the store's
/// exceptions.
/// </summary>
public sealed class JobSettlement(IUpstreamObjectStore store, UsageWriter usage, TimeProvider time)
{
    /// <summary>Records <paramref name="job"/> as the state of <paramref name="stored"/>; true when this call counted its usage.</summary>
    public bool Observe(UpstreamObject stored, PolledJob job, DeploymentConfig deployment, IPolledMediaProvider provider)
    {
        ArgumentNullException.ThrowIfNull(stored);
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(provider);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        store.Update(stored.Id, job.Status, stored.Detail, now);
        if (!job.IsFinal || !store.TrySettle(stored.Id, now))
        {
            return false;
        }

        usage.Enqueue(JobUsageRecord.For(stored, deployment, job, provider.Used(job, PolledJobDetail.Parse(stored.Detail)?.Ask), time));
        return true;
    }
}
