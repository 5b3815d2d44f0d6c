using Microsoft.Extensions.Logging;
using Switchyard.Usage;

namespace Switchyard.Jobs;

/// <summary>
/// Follows the video jobs not settled yet (<see cref="IUpstreamObjectStore.Unsettled"/>, oldest first) on the gateway's
/// clock, every <see cref="Interval"/>, so a job whose client never polls again is still billed when it ends. Every
/// replica may run one: the store's settle-once mark (<see cref="VideoSettlement"/>) keeps the record single. A poll that
/// fails is logged and tried on the next tick; nothing here answers a client.
/// </summary>
public sealed partial class VideoPoller(IUpstreamObjectStore store, VideoUpstream upstream, VideoSettlement settlement, RouterState router,
    TimeProvider time, ILogger<VideoPoller> logger) : UnsettledPoller(store, VideoJobs.Kind, Interval, Batch, time)
{
    /// <summary>Time between two rounds (OpenAI suggests polling a render every 10-20 s).</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(15);

    /// <summary>Jobs followed per round, oldest first.</summary>
    public const int Batch = 100;

    /// <inheritdoc />
    protected override async Task<bool> FollowAsync(UpstreamObject job, CancellationToken cancel)
    {
        if (router.Current.Deployments.GetValueOrDefault(job.Deployment) is not { } deployment || upstream.Provider(deployment) is not { } provider)
        {
            return false; // its deployment left the config: nothing can poll it (logged once per round would be noise)
        }

        var (state, failure) = await upstream.PollAsync(provider, job, deployment, cancel, router.Current.Config.Server.MaxUpstreamResponseSize).ConfigureAwait(false);
        if (failure is not null)
        {
            LogPollFailed(logger, job.Id, job.Deployment, failure.Message);
            return false;
        }

        return settlement.Observe(job, state!).Job.SettledAtMs is not null;
    }

    /// <inheritdoc />
    protected override void StoreFailed(Exception ex) => LogStoreFailed(logger, ex);

    [LoggerMessage(EventId = 1751, Level = LogLevel.Warning, Message = "Video poller: the job store could not be read")]
    private static partial void LogStoreFailed(ILogger logger, Exception ex);

    [LoggerMessage(EventId = 1752, Level = LogLevel.Information, Message = "Video poller: job {JobId} at {Deployment} could not be polled: {Reason}")]
    private static partial void LogPollFailed(ILogger logger, string jobId, string deployment, string reason);
}
