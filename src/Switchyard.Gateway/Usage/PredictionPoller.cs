using Microsoft.Extensions.Logging;
using Switchyard.Providers;
using Switchyard.Upstream;

namespace Switchyard.Usage;

/// <summary>
/// Follows the polled jobs (predictions) no request follows any more and no webhook has settled: every
/// <see cref="Interval"/> on the gateway's clock it reads <see cref="IUpstreamObjectStore.Unsettled"/>, polls each job
/// at its deployment and hands what it learns to <see cref="JobSettlement"/>, so a prediction whose client left (or
/// whose deadline passed, when its cancel came too late) is still counted when it ends, with or without a webhook.
/// A job polled within the last interval is left alone: its request is still following it. Every replica may run one;
/// the store's settle-once mark keeps the record single. A poll that fails is logged and tried on the next round.
/// </summary>
public sealed partial class PredictionPoller(IUpstreamObjectStore store, JobSettlement settlement, RouterState router, ProviderRegistry providers,
    UpstreamHttp upstream, TimeProvider time, ILogger<PredictionPoller> logger) : UnsettledPoller(store, PolledJobDetail.Kind, Interval, Batch, time)
{
    /// <summary>Time between two rounds.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(30);

    /// <summary>Jobs followed per round, oldest first.</summary>
    public const int Batch = 100;

    /// <summary>How long one poll may take.</summary>
    private static readonly TimeSpan PollBound = TimeSpan.FromSeconds(30);

    /// <inheritdoc />
    protected override async Task<bool> FollowAsync(UpstreamObject job, CancellationToken cancel)
    {
        var table = router.Current;
        var quiet = Time.GetUtcNow().ToUnixTimeMilliseconds() - (long)Interval.TotalMilliseconds;
        if (job.UpdatedAtMs > quiet || !table.Config.Deployments.TryGetValue(job.Deployment, out var config)
            || providers.Media(config.Provider.Kind) is not IPolledMediaProvider provider)
        {
            return false; // followed by its request right now, or its deployment left the config: nothing to poll it with
        }

        var deployment = DeploymentTarget.Create(config, table.KeyPools.GetValueOrDefault(config.Provider.Name));
        return await PollAsync(provider, job, deployment, cancel).ConfigureAwait(false) is { } state && Observe(job, state, config, provider);
    }

    /// <inheritdoc />
    protected override void StoreFailed(Exception ex) => LogStoreFailed(logger, ex);

    /// <summary>The job's state at its provider, or null (logged) when the poll failed.</summary>
    private async Task<PolledJob?> PollAsync(IPolledMediaProvider provider, UpstreamObject job, DeploymentTarget deployment, CancellationToken cancel)
    {
        using var timeout = new CancellationTokenSource(PollBound, Time);
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancel, timeout.Token);
        using var message = provider.BuildPoll(new PolledJob(job.UpstreamId, job.Status, JobPhase.Running, [], null, 0), deployment);
        try
        {
            using var response = await upstream.For(deployment.Config.Provider).SendAsync(message, bound.Token).ConfigureAwait(false);
            await response.Content.LoadIntoBufferAsync(router.Current.Config.Server.MaxUpstreamResponseSize, bound.Token).ConfigureAwait(false);
            var body = await response.Content.ReadAsByteArrayAsync(bound.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                LogPollFailed(logger, job.Id, job.Deployment, $"HTTP {(int)response.StatusCode}");
                return null;
            }

            return provider.Inspect(body);
        }
        catch (Exception ex) when (!cancel.IsCancellationRequested
            && ex is HttpRequestException or IOException or System.Text.Json.JsonException or KeyNotFoundException or OperationCanceledException)
        {
            LogPollFailed(logger, job.Id, job.Deployment, ex.Message);
            return null;
        }
    }

    private bool Observe(UpstreamObject job, PolledJob state, DeploymentConfig config, IPolledMediaProvider provider)
    {
        try
        {
            return settlement.Observe(job, state, config, provider);
        }
        catch (System.Data.Common.DbException ex)
        {
            LogStoreFailed(logger, ex);
            return false;
        }
    }

    [LoggerMessage(EventId = 1762, Level = LogLevel.Warning, Message = "Prediction poller: the job store could not be used")]
    private static partial void LogStoreFailed(ILogger logger, Exception ex);

    [LoggerMessage(EventId = 1763, Level = LogLevel.Information, Message = "Prediction poller: job {JobId} at {Deployment} could not be polled: {Reason}")]
    private static partial void LogPollFailed(ILogger logger, string jobId, string deployment, string reason);
}
