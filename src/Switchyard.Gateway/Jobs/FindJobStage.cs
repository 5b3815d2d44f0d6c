namespace Switchyard.Jobs;

/// <summary>
/// Jobs: the stored job a follow-up call names (<c>/v1/videos/{id}</c>), looked up for the caller's key only: an unknown
/// id and another key's are the same 404 in OpenAI's shape, so an id reveals nothing about who else has jobs. Its model
/// becomes the request's (the key's model allow-list and per-model limits apply as for the create). A list names no job.
/// A remix also reads its JSON body and plans the one deployment that owns the source, asking the source's seconds, so
/// the budget stage reserves the new job's worst case as for a create.
/// </summary>
public sealed class FindJobStage(IUpstreamObjectStore store, TimeProvider time) : IStage
{
    /// <inheritdoc />
    public async ValueTask<bool> RunAsync(GatewayContext ctx)
    {
        if (!await FindAsync(ctx).ConfigureAwait(false))
        {
            return false;
        }

        return ctx.Operation != Operation.VideoRemix || await PlanRemixAsync(ctx).ConfigureAwait(false);
    }

    private ValueTask<bool> FindAsync(GatewayContext ctx)
    {
        ctx.Request.Model = "";
        if (ctx.Operation == Operation.VideoList)
        {
            return ValueTask.FromResult(true);
        }

        var id = (string)ctx.Http.Request.RouteValues["id"]!;
        if (store.Get(ctx.KeyId ?? "", id) is not { Kind: VideoJobs.Kind } job)
        {
            return ctx.RefuseAsync(new ClientError(404, ErrorCategory.NotFound, $"Video with id '{Bounded(id)}' not found.", "video_id", "video_not_found"));
        }

        ctx.Job = job;
        ctx.Request.Model = job.Route;
        return ValueTask.FromResult(true);
    }

    /// <summary>The remix's body (JSON, bounded by <c>server.max_body_size</c>) and its one-step plan; false with the refusal written.</summary>
    private async ValueTask<bool> PlanRemixAsync(GatewayContext ctx)
    {
        var job = ctx.Job!;
        if (!ctx.Table.Deployments.TryGetValue(job.Deployment, out var deployment))
        {
            return await ctx.RefuseAsync(new ClientError(503, ErrorCategory.ServerError, $"The deployment that owns video '{job.Id}' is no longer configured.", null, "deployment_unavailable")).ConfigureAwait(false);
        }

        var server = ctx.Table.Config.Server;
        using var deadline = new CancellationTokenSource(server.BodyReadTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, ctx.Http.RequestAborted);
        var (body, tooLarge) = await RequestBody.ReadAsync(ctx.Http.Request, server.MaxRequestBodyBytes, linked.Token).ConfigureAwait(false);
        ctx.Body = body;
        if (tooLarge || body is null)
        {
            return await ctx.RefuseAsync(new ClientError(413, ErrorCategory.RequestTooLarge, "The request body is too large.", null, "request_too_large")).ConfigureAwait(false);
        }

        var detail = VideoDetail.Of(job);
        ctx.Request.Needs.Operation = Operation.Videos;
        ctx.Request.Needs.Media = new MediaAsk(Seconds: detail.BilledSeconds, Size: detail.Size);
        ctx.Plan = [new PlanStep(deployment, PlanReason.Primary)];
        return true;
    }

    private static string Bounded(string id) => id.Length > 128 ? id[..128] + "…" : id;
}
