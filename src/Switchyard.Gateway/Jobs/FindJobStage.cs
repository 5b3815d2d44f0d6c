namespace Switchyard.Jobs;

/// <summary>
/// Jobs: the stored job a follow-up call names (<c>/v1/videos/{id}</c>), looked up for the caller's key only: an unknown
/// id and another key's are the same 404 in OpenAI's shape, so an id reveals nothing about who else has jobs. Its model
/// becomes the request's (the key's model allow-list and per-model limits apply as for the create). A list names no job.
/// </summary>
public sealed class FindJobStage(IUpstreamObjectStore store) : IStage
{
    /// <inheritdoc />
    public ValueTask<bool> RunAsync(GatewayContext ctx)
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

    private static string Bounded(string id) => id.Length > 128 ? id[..128] + "…" : id;
}
