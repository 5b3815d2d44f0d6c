namespace Switchyard.Jobs;

/// <summary>
/// Takes a video job a provider accepted during a create (<see cref="IJobIntake"/>, called by Dispatch on the upstream's
/// 2xx): gives it the gateway's id (<c>video_</c> and the create's own time-ordered request id, so the job and the
/// create's record share their hex), stores it owned by the caller's key with the deployment and provider id, marks the
/// request so its budget reservation is kept for the job, and answers with the gateway's video object.
/// </summary>
public sealed class VideoJobs(IUpstreamObjectStore store, TimeProvider time) : IJobIntake
{
    /// <summary>The store's kind for video jobs.</summary>
    public const string Kind = "video";

    /// <summary>The gateway's id of the job a create request <paramref name="requestId"/> (<c>req_…</c>) made.</summary>
    public static string IdFor(string requestId) => "video_" + (requestId.StartsWith("req_", StringComparison.Ordinal) ? requestId[4..] : requestId);

    /// <inheritdoc />
    public byte[] Accept(GatewayContext ctx, DeploymentTarget deployment, AcceptedJob job)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var ask = ctx.Request.Needs.Media;
        var detail = new VideoDetail(ask?.Seconds ?? 0, ask?.Size, ctx.TeamId, ctx.CustomerId, job.State) { RemixedFrom = ctx.Job?.Id }; // a remix's source
        var stored = new UpstreamObject(IdFor(ctx.RequestId), Kind, ctx.KeyId ?? "", ctx.Request.Model, deployment.Name, job.UpstreamId,
            job.State.Status, ctx.StartedAtMs, now, detail.ToJson());
        if (!store.Add(stored))
        {
            throw new InvalidOperationException($"video id '{stored.Id}' is already taken"); // request ids are unique: a bug
        }

        ctx.AcceptedJob = stored.Id;
        return VideoObject.Render(stored, detail);
    }
}
