using System.Buffers;
using Switchyard.Dispatch;

namespace Switchyard.Jobs;

/// <summary>
/// <c>GET /v1/videos/{id}/content?variant=video|thumbnail|spritesheet</c>: the finished video, downloaded from the owning
/// deployment (OpenAI's content endpoint, Veo's file uri with the deployment's key) and relayed to the client read by read,
/// each read flushed, never held whole: a clip can be hundreds of megabytes, and the gateway holds one 64 KiB buffer
/// whatever its length. A break after the first byte cuts the connection (an MP4 has no error event; a clean end would be
/// half a file passed off as whole) and the record says why.
/// </summary>
public static class VideoContent
{
    private static readonly string[] Variants = ["video", "thumbnail", "spritesheet"];

    /// <summary>Relays the content of <paramref name="current"/> (null: its poll failed and was answered).</summary>
    public static async Task RelayAsync(GatewayContext ctx, VideoUpstream upstream, (UpstreamObject Job, VideoDetail Detail, DeploymentTarget? Deployment)? current,
        TimeProvider time)
    {
        if (current is not { } c)
        {
            return;
        }

        var variant = ctx.Http.Request.Query["variant"] is { Count: > 0 } v ? v[0]! : "video";
        if (Refusal(c.Job, variant) is { } refused)
        {
            await ctx.RefuseAsync(refused).ConfigureAwait(false);
            return;
        }

        if (c.Deployment is not { } deployment || upstream.Provider(deployment) is not { } provider)
        {
            await ctx.RefuseAsync(new ClientError(503, ErrorCategory.ServerError, $"The deployment that owns video '{c.Job.Id}' is no longer configured.", null, "deployment_unavailable")).ConfigureAwait(false);
            return;
        }

        HttpRequestMessage message;
        try
        {
            message = provider.Content(c.Job, c.Detail.State, variant, deployment);
        }
        catch (UnsupportedFeatureException ex)
        {
            await ctx.RefuseAsync(new ClientError(400, ErrorCategory.InvalidRequest, ex.Message, "variant", "unsupported_variant")).ConfigureAwait(false);
            return;
        }

        using var _ = message;
        await SendAndRelayAsync(ctx, upstream, message, deployment, time).ConfigureAwait(false);
    }

    /// <summary>The 400 for a job that has no content yet or a variant no provider has.</summary>
    private static ClientError? Refusal(UpstreamObject job, string variant)
    {
        if (Array.IndexOf(Variants, variant) < 0)
        {
            return new ClientError(400, ErrorCategory.InvalidRequest, $"Invalid 'variant': '{variant}'. Expected 'video', 'thumbnail' or 'spritesheet'.", "variant", "invalid_value");
        }

        return job.Status == "completed" ? null
            : new ClientError(400, ErrorCategory.InvalidRequest, $"Video '{job.Id}' is {job.Status}: its content is available once it has completed.", "video_id", "video_not_ready");
    }

    private static async Task SendAndRelayAsync(GatewayContext ctx, VideoUpstream upstream, HttpRequestMessage message, DeploymentTarget deployment, TimeProvider time)
    {
        ctx.Final = deployment;
        Interlocked.Increment(ref ctx.AttemptCount);
        var started = time.GetTimestamp();
        var (response, timer, failure) = await upstream.DownloadAsync(message, deployment, ctx.Http.RequestAborted).ConfigureAwait(false);
        using var __ = timer;
        ctx.LogAttempt(deployment, failure?.Kind ?? FailureKind.None, started, time.GetElapsedTime(started));
        if (failure is not null)
        {
            await ClientResponses.WriteFailureAsync(ctx, failure).ConfigureAwait(false);
            return;
        }

        using (response)
        {
            await CopyAsync(ctx, deployment, response!, timer, time).ConfigureAwait(false);
        }
    }

    private static async Task CopyAsync(GatewayContext ctx, DeploymentTarget deployment, HttpResponseMessage response, AttemptTimer timer, TimeProvider time)
    {
        ClientResponses.SetOutcomeHeaders(ctx, deployment);
        var http = ctx.Http.Response;
        http.StatusCode = 200;
        http.ContentType = PassthroughAttempts.ContentTypeOf(response, "video/mp4");
        if (response.Content.Headers.ContentLength is { } length)
        {
            http.ContentLength = length;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(timer.Token).ConfigureAwait(false);
            while (true)
            {
                timer.Arm("idle", deployment.Config.Timeouts.Idle);
                var n = await stream.ReadAsync(buffer, timer.Token).ConfigureAwait(false);
                if (n == 0)
                {
                    return;
                }

                if (ctx.FirstByteTimestamp == 0)
                {
                    ctx.FirstByteTimestamp = time.GetTimestamp();
                }

                await http.Body.WriteAsync(buffer.AsMemory(0, n), ctx.Http.RequestAborted).ConfigureAwait(false);
                await http.Body.FlushAsync(ctx.Http.RequestAborted).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
        {
            ctx.Error = ctx.Http.RequestAborted.IsCancellationRequested ? FailureKind.ClientCancelled
                : ClientResponses.Broken(timer, deployment, "the upstream broke off the video").Kind;
            ctx.Http.Abort();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
