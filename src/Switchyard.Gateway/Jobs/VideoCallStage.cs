using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Switchyard.Dispatch;

namespace Switchyard.Jobs;

/// <summary>
/// Jobs: a follow-up call on a video job, after authentication, admission and limits (so a poll loop counts against the
/// key's RPM like any request): the state (polled from the owning deployment while the job runs, from the store once it
/// has ended), a page of the key's jobs, the finished video relayed as it arrives, or a delete. Whatever ends the job is
/// handed to <see cref="VideoSettlement"/>, which records its cost once. Nothing here is routed: the job lives at one
/// deployment only.
/// </summary>
public sealed class VideoCallStage(VideoUpstream upstream, VideoSettlement settlement, IUpstreamObjectStore store, IJobIntake jobs, TimeProvider time) : IStage
{
    /// <inheritdoc />
    public async ValueTask<bool> RunAsync(GatewayContext ctx)
    {
        if (ctx.DryRun)
        {
            return true;
        }

        switch (ctx.Operation)
        {
            case Operation.VideoList:
                await ListAsync(ctx).ConfigureAwait(false);
                return true;
            case Operation.VideoContent:
                await VideoContent.RelayAsync(ctx, upstream, await CurrentAsync(ctx).ConfigureAwait(false), time).ConfigureAwait(false);
                return true;
            case Operation.VideoDelete:
                await DeleteAsync(ctx).ConfigureAwait(false);
                return true;
            case Operation.VideoRemix:
                await RemixAsync(ctx).ConfigureAwait(false);
                return true;
            default:
                if (await CurrentAsync(ctx).ConfigureAwait(false) is { } current)
                {
                    await WriteAsync(ctx, 200, VideoObject.Render(current.Job, current.Detail)).ConfigureAwait(false);
                }

                return true;
        }
    }

    /// <summary>
    /// The job as it is now: from the store once it has ended and been settled, else polled from its deployment (and
    /// settled when the poll shows it ended). Null when the poll failed; the failure has been written.
    /// </summary>
    private async Task<(UpstreamObject Job, VideoDetail Detail, DeploymentTarget? Deployment)?> CurrentAsync(GatewayContext ctx)
    {
        var job = ctx.Job!;
        var deployment = ctx.Table.Deployments.GetValueOrDefault(job.Deployment);
        if (job.SettledAtMs is not null && job.Status is "completed" or "failed")
        {
            return (job, VideoDetail.Of(job), deployment);
        }

        if (deployment is null || upstream.Provider(deployment) is not { } provider)
        {
            await ctx.RefuseAsync(new ClientError(503, ErrorCategory.ServerError,
                $"The deployment that owns video '{job.Id}' ('{job.Deployment}') is no longer configured to serve videos.", null, "deployment_unavailable")).ConfigureAwait(false);
            return null;
        }

        ctx.Final = deployment;
        Interlocked.Increment(ref ctx.AttemptCount);
        var started = time.GetTimestamp();
        var (state, failure) = await upstream.PollAsync(provider, job, deployment, ctx.Http.RequestAborted, ctx.Table.Config.Server.MaxUpstreamResponseSize).ConfigureAwait(false);
        ctx.LogAttempt(deployment, failure?.Kind ?? FailureKind.None, started, time.GetElapsedTime(started));
        if (failure is not null)
        {
            await ClientResponses.WriteFailureAsync(ctx, failure).ConfigureAwait(false);
            return null;
        }

        var (now, detail) = settlement.Observe(job, state!);
        ctx.Job = now;
        return (now, detail, deployment);
    }

    /// <summary><c>GET /v1/videos?after=&amp;limit=&amp;order=desc</c>: the key's jobs from the store, newest first.</summary>
    private async Task ListAsync(GatewayContext ctx)
    {
        var q = ctx.Http.Request.Query;
        var limit = 20;
        if (q["limit"] is { Count: > 0 } l && (!int.TryParse(l[0], NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > 100))
        {
            await ctx.RefuseAsync(new ClientError(400, ErrorCategory.InvalidRequest, "Invalid 'limit': expected an integer between 1 and 100.", "limit", "invalid_value")).ConfigureAwait(false);
            return;
        }

        if (q["order"] is { Count: > 0 } o && o[0] != "desc")
        {
            await ctx.RefuseAsync(new ClientError(400, ErrorCategory.InvalidRequest, "Invalid 'order': this gateway lists videos newest first ('desc') only.", "order", "invalid_value")).ConfigureAwait(false);
            return;
        }

        var after = q["after"] is { Count: > 0 } a && a[0] is { Length: > 0 } av ? av : null;
        var page = store.List(ctx.KeyId ?? "", VideoJobs.Kind, after, limit);
        await WriteAsync(ctx, 200, VideoObject.RenderList(page)).ConfigureAwait(false);
    }

    /// <summary>
    /// <c>DELETE /v1/videos/{id}</c>: a job still running is refused (deleting it would leave a render no one could bill);
    /// an ended one is settled if it was not yet, deleted at its provider (when it has such a call), then forgotten.
    /// </summary>
    private async Task DeleteAsync(GatewayContext ctx)
    {
        if (await CurrentAsync(ctx).ConfigureAwait(false) is not { } current)
        {
            return;
        }

        if (!current.Detail.State.IsFinal)
        {
            await ctx.RefuseAsync(new ClientError(400, ErrorCategory.InvalidRequest,
                $"Video '{current.Job.Id}' is {current.Job.Status}: it can be deleted once it has completed or failed.", "video_id", "video_not_finished")).ConfigureAwait(false);
            return;
        }

        if (current.Deployment is { } deployment && upstream.Provider(deployment)?.Delete(current.Job, deployment) is { } message)
        {
            using var _ = message;
            var (response, timer, failure) = await upstream.SendAsync(message, deployment, ctx.Http.RequestAborted).ConfigureAwait(false);
            response?.Dispose();
            timer.Dispose();
            if (failure is not null && failure.Status != 404) // already gone there: forget it here too
            {
                await ClientResponses.WriteFailureAsync(ctx, failure).ConfigureAwait(false);
                return;
            }
        }

        store.Delete(ctx.KeyId ?? "", current.Job.Id);
        await WriteAsync(ctx, 200, Deleted(current.Job.Id)).ConfigureAwait(false);
    }

    /// <summary>
    /// <c>POST /v1/videos/{id}/remix</c>: a new job from a completed one, at the deployment that owns it (the only one
    /// that has the source). Accepted, it is taken in like a create's job (<see cref="IJobIntake"/>: the gateway's id,
    /// the budget reservation kept for it); a provider without remix (Veo) is a 400 naming it.
    /// </summary>
    private async Task RemixAsync(GatewayContext ctx)
    {
        if (await CurrentAsync(ctx).ConfigureAwait(false) is not { Deployment: { } deployment } current)
        {
            return;
        }

        if (current.Job.Status != "completed")
        {
            await ctx.RefuseAsync(new ClientError(400, ErrorCategory.InvalidRequest,
                $"Video '{current.Job.Id}' is {current.Job.Status}: it can be remixed once it has completed.", "video_id", "video_not_ready")).ConfigureAwait(false);
            return;
        }

        var provider = upstream.Provider(deployment)!;
        HttpRequestMessage message;
        try
        {
            message = provider.Remix(current.Job, ctx.Body!.Memory, deployment);
        }
        catch (UnsupportedFeatureException ex)
        {
            await ctx.RefuseAsync(new ClientError(400, ErrorCategory.InvalidRequest, ex.Message, ex.Field, "unsupported_capability")).ConfigureAwait(false);
            return;
        }

        Interlocked.Increment(ref ctx.AttemptCount);
        var (accepted, failure) = await upstream.CallAsync(message, deployment, ctx.Http.RequestAborted, ctx.Table.Config.Server.MaxUpstreamResponseSize, provider.ReadAccepted).ConfigureAwait(false);
        await (failure is not null ? ClientResponses.WriteFailureAsync(ctx, failure) : WriteAsync(ctx, 200, jobs.Accept(ctx, deployment, accepted!))).ConfigureAwait(false);
    }

    /// <summary>OpenAI's deletion object: <c>{"id", "object": "video.deleted", "deleted": true}</c>.</summary>
    private static byte[] Deleted(string id)
    {
        var buffer = new ArrayBufferWriter<byte>(96);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("id", id);
            w.WriteString("object", "video.deleted");
            w.WriteBoolean("deleted", true);
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static Task WriteAsync(GatewayContext ctx, int status, byte[] body)
    {
        var http = ctx.Http.Response;
        http.StatusCode = status;
        http.ContentType = "application/json";
        http.ContentLength = body.Length;
        return http.Body.WriteAsync(body, ctx.Http.RequestAborted).AsTask();
    }
}
