using Microsoft.Extensions.Hosting;

namespace Switchyard.Usage;

/// <summary>
/// The background round every kind of provider-side job shares (video jobs, batches, predictions): every interval on the
/// gateway's clock, the oldest objects of one kind whose usage is not recorded yet (<see cref="IUpstreamObjectStore.Unsettled"/>)
/// are followed one by one at their provider, so a job no client asks about again is still recorded when it ends. Every
/// replica may run one: the store's settle-once mark keeps the record single. Nothing here answers a client; a failed
/// poll is the subclass's to log, and is tried again next round.
/// </summary>
/// <param name="store">Where the jobs are.</param>
/// <param name="kind">The kind of object this poller follows (<c>video</c>, <c>batch</c>, <c>prediction</c>).</param>
/// <param name="interval">Time between two rounds.</param>
/// <param name="perRound">Objects followed per round, oldest first, so one round stays bounded.</param>
/// <param name="time">The gateway's clock (tests drive the rounds with a fake one).</param>
public abstract class UnsettledPoller(IUpstreamObjectStore store, string kind, TimeSpan interval, int perRound, TimeProvider time) : BackgroundService
{
    /// <summary>The gateway's clock.</summary>
    protected TimeProvider Time => time;

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                await PollOnceAsync(stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // stopping
        }
    }

    /// <summary>One round: each unsettled object followed once; how many this round settled.</summary>
    public async Task<int> PollOnceAsync(CancellationToken ct)
    {
        IReadOnlyList<UpstreamObject> open;
        try
        {
            open = store.Unsettled(kind, perRound);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            StoreFailed(ex);
            return 0;
        }

        var settled = 0;
        foreach (var item in open)
        {
            settled += await FollowAsync(item, ct).ConfigureAwait(false) ? 1 : 0;
        }

        return settled;
    }

    /// <summary>Asks the provider about one object and settles it when it has ended; true when this call settled it.</summary>
    protected abstract Task<bool> FollowAsync(UpstreamObject item, CancellationToken ct);

    /// <summary>Logs that the store could not be read (each poller under its own event id).</summary>
    protected abstract void StoreFailed(Exception ex);
}
