using Switchyard.Governance;
using Switchyard.Usage;

namespace Switchyard.Jobs;

/// <summary>
/// What happens when a video job is seen to have ended, by whoever sees it first (a client's poll, the background
/// poller, on any replica): the store's settle-once mark (<see cref="IUpstreamObjectStore.TrySettle"/>) picks the one
/// caller that writes the job's usage record, so its cost is recorded exactly once. A completed job costs its seconds
/// (as the provider reports them, else as asked) at its deployment's <c>per_second</c> price on the day it was created;
/// a failed job costs nothing. The record is the job's own (its request id is the job id), attributed to the key, team
/// and customer that created it; the create's budget reservation (<see cref="JobReservations"/>) is settled at that cost.
/// </summary>
public sealed class VideoSettlement(IUpstreamObjectStore store, UsageWriter usage, JobReservations reservations, RouterState router, TimeProvider time)
{
    /// <summary>The operation the completion's record carries (the create's is <c>videos</c>).</summary>
    public const string CompletedOperation = "videos.completed";

    /// <summary>
    /// Records what the provider said (<paramref name="state"/>) and, when it is final and no one has yet, settles the
    /// job. Returns the job as now stored.
    /// </summary>
    public (UpstreamObject Job, VideoDetail Detail) Observe(UpstreamObject job, VideoState state)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var before = VideoDetail.Of(job);
        var detail = before with
        {
            State = state with { ContentUri = state.ContentUri ?? before.State.ContentUri },
            CompletedAtMs = before.CompletedAtMs ?? (state.Status == "completed" ? now : null),
        };
        var json = detail.ToJson();
        if (job.Status != state.Status || job.Detail != json)
        {
            store.Update(job.Id, state.Status, json, now);
        }

        job = job with { Status = state.Status, Detail = json, UpdatedAtMs = now };
        if (state.IsFinal && job.SettledAtMs is null && store.TrySettle(job.Id, now))
        {
            Record(job, detail, now);
            job = job with { SettledAtMs = now };
        }

        return (job, detail);
    }

    /// <summary>Writes the job's one usage record and settles its reservation at its cost.</summary>
    private void Record(UpstreamObject job, VideoDetail detail, long nowMs)
    {
        var deployment = router.Current.Deployments.GetValueOrDefault(job.Deployment);
        var completed = job.Status == "completed";
        var (micros, version) = completed ? Cost(deployment, detail.BilledSeconds, job.CreatedAtMs) : (0L, null);
        usage.Enqueue(new UsageRecord
        {
            RequestId = job.Id,
            StartedAtMs = nowMs,
            KeyId = job.Owner.Length == 0 ? null : job.Owner,
            TeamId = detail.TeamId,
            CustomerId = detail.CustomerId,
            Operation = CompletedOperation,
            Format = "openai.videos",
            Alias = job.Route,
            IntendedDeployment = job.Deployment,
            FinalDeployment = job.Deployment,
            FinalModel = deployment?.Config.UpstreamModel,
            Attempts = 0,
            Status = 200,
            ErrorKind = completed ? null : "job_failed",
            UsageSource = completed ? (detail.State.Seconds is null ? "estimated" : "reported") : null,
            CostMicros = micros,
            PriceVersion = version,
            LatencyMs = Math.Max(0, nowMs - job.CreatedAtMs),
        });
        reservations.Settle(job.Id, micros);
    }

    /// <summary><paramref name="seconds"/> at the deployment's per-second price on the day the job was created.</summary>
    private static (long Micros, string? Version) Cost(DeploymentTarget? deployment, int seconds, long createdAtMs)
    {
        if (deployment?.Config.Price is not { } schedule)
        {
            return (0, null);
        }

        var price = schedule.At(DateOnly.FromDateTime(DateTimeOffset.FromUnixTimeMilliseconds(createdAtMs).UtcDateTime));
        return (CostCalculator.Round(CostCalculator.MediaMicros(new MediaUsage { Seconds = seconds }, price)), price.Version);
    }
}
