using System.Text.Json;
using Microsoft.Extensions.Logging;
using Switchyard.Usage;

namespace Switchyard.Batches;

/// <summary>
/// Follows every batch whose usage is not recorded yet (<see cref="IUpstreamObjectStore.Unsettled"/>), oldest first, on
/// a timer of the injected clock: a batch's usage is recorded when it ends even if its client never asks again. Each
/// replica runs one; the store's settle-once mark keeps them (and clients' retrieves) from recording a batch twice.
/// </summary>
public sealed partial class BatchPoller(IUpstreamObjectStore store, BatchTracker tracker, RouterState router, TimeProvider time,
    ILogger<BatchPoller> logger) : UnsettledPoller(store, BatchTracker.Kind, Interval, PerRound, time)
{
    /// <summary>How often the unsettled batches are asked after (OpenAI's batches take minutes to a day; a minute is ample).</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    /// <summary>Batches looked at per round (the oldest first), so one round stays bounded.</summary>
    public const int PerRound = 100;

    /// <inheritdoc />
    protected override Task<bool> FollowAsync(UpstreamObject batch, CancellationToken ct) => PollAsync(batch, ct);

    /// <inheritdoc />
    protected override void StoreFailed(Exception ex) => LogStoreFailed(logger, ex);

    private async Task<bool> PollAsync(UpstreamObject batch, CancellationToken ct)
    {
        if (!router.Current.Deployments.TryGetValue(batch.Deployment, out var deployment))
        {
            LogNoDeployment(logger, batch.Id, batch.Deployment);
            return false;
        }

        try
        {
            var (view, failure) = await tracker.RefreshAsync(batch, deployment, ct).ConfigureAwait(false);
            if (failure is not null)
            {
                LogPollRefused(logger, batch.Id, (int)failure.StatusCode);
                failure.Dispose();
                return false;
            }

            return view!.Settled;
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or JsonException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            LogPollFailed(logger, ex, batch.Id);
            return false;
        }
    }

    [LoggerMessage(EventId = 1703, Level = LogLevel.Warning, Message = "Batch {BatchId} is held by deployment {Deployment}, which the configuration no longer has: not polled")]
    private static partial void LogNoDeployment(ILogger logger, string batchId, string deployment);

    [LoggerMessage(EventId = 1704, Level = LogLevel.Warning, Message = "Polling batch {BatchId}: the provider answered {Status}")]
    private static partial void LogPollRefused(ILogger logger, string batchId, int status);

    [LoggerMessage(EventId = 1705, Level = LogLevel.Warning, Message = "Polling batch {BatchId} failed")]
    private static partial void LogPollFailed(ILogger logger, Exception ex, string batchId);

    [LoggerMessage(EventId = 1706, Level = LogLevel.Error, Message = "The upstream object store could not list unsettled batches")]
    private static partial void LogStoreFailed(ILogger logger, Exception ex);
}
