using System.Buffers;
using System.Data.Common;
using System.Text.Json;
using Switchyard.Upstream;

namespace Switchyard.Dispatch;

/// <summary>
/// Follows a job an upstream accepted (a Replicate prediction; <see cref="IPolledMediaProvider"/>) from its create to
/// the client's answer: polls it on the gateway's clock every <see cref="IPolledMediaProvider.PollInterval"/> until it
/// ends or the attempt's deadline passes, cancels it upstream when the deadline passes or the client leaves, fetches
/// the outputs the answer needs as bytes (each bounded by <c>server.max_upstream_response_size</c>), and answers.
/// The create's 2xx with a job id is the commit point: before it every failure may fall back like any media call;
/// after it the job runs (and is billed) where it was accepted, so a failure is answered, with what the job used, and
/// never retried elsewhere: a second provider would bill the same images again.
/// <para>
/// An accepted job is kept in <see cref="IUpstreamObjectStore"/> (kind <see cref="PolledJobDetail.Kind"/>) and its
/// status updated at each poll, so that a webhook (<c>/v1/webhooks/{kind}/{deployment}</c>) can find it. Its usage is
/// counted once, by whoever sees it end first and wins <see cref="IUpstreamObjectStore.TrySettle"/>: this request when
/// it followed the job to its end (its record carries the cost), else the webhook (a record of the job's own). A job
/// abandoned while running (client gone, deadline) is cancelled and left unsettled: what it cost is known only at its
/// end, which the webhook reports.
/// </para>
/// </summary>
public sealed class PolledAttempts(UpstreamHttp upstream, TimeProvider time, IUpstreamObjectStore store)
{
    /// <summary>How long a cancel of an abandoned job may take (its answer is not needed: the job is being left).</summary>
    private static readonly TimeSpan CancelBound = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Follows the job <paramref name="created"/> describes. Null when the client was answered (or left); a failure,
    /// with nothing written, when the create's answer is not a job (nothing was accepted, so it may fall back).
    /// </summary>
    public async Task<UpstreamFailure?> FollowAsync(GatewayContext ctx, IPolledMediaProvider provider, IProviderAdapter adapter, MediaCall call,
        DeploymentTarget deployment, HttpResponseMessage created, AttemptTimer timer)
    {
        var (job, notAJob) = await ReadJobAsync(ctx, provider, deployment, created, timer).ConfigureAwait(false);
        if (job is null)
        {
            return notAJob;
        }

        ctx.Final = deployment;
        var tracked = Track(ctx, job, deployment);
        var (last, broke) = await WaitAsync(ctx, provider, adapter, job, deployment, timer, tracked).ConfigureAwait(false);
        var billed = last.IsFinal && Settles(tracked);
        ctx.Media = billed ? provider.Used(last, call.Head.Needs.Media) : default;
        ctx.UsageSource = "reported";
        if (broke is not null)
        {
            if (timer.ClientGone || timer.TimedOut)
            {
                await CancelAsync(provider, last, deployment).ConfigureAwait(false);
            }

            return await AnswerFailureAsync(ctx, timer.ClientGone ? new UpstreamFailure(FailureKind.ClientCancelled, "client disconnected") : broke).ConfigureAwait(false);
        }

        if (last.Phase != JobPhase.Succeeded)
        {
            return await AnswerFailureAsync(ctx, Ended(last, deployment)).ConfigureAwait(false);
        }

        return await AnswerAsync(ctx, provider, call, last, deployment, timer, billed).ConfigureAwait(false);
    }

    /// <summary>Stores the accepted job; its gateway id, or null when the store failed (the request then settles it alone).</summary>
    private (string Id, string Detail)? Track(GatewayContext ctx, PolledJob job, DeploymentTarget deployment)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var id = "pred_" + ctx.RequestId;
        var detail = new PolledJobDetail(ctx.RequestId, ctx.Operation.ToString(), ctx.Request.Needs.Media, ctx.TeamId, ctx.CustomerId).ToJson();
        try
        {
            return store.Add(new UpstreamObject(id, PolledJobDetail.Kind, ctx.KeyId ?? "anonymous", ctx.Request.Model ?? "", deployment.Name, job.Id,
                job.Status, now, now, detail)) ? (id, detail) : null;
        }
        catch (DbException)
        {
            return null;
        }
    }

    /// <summary>Records a poll's status on the stored job (best effort: the poll itself is what this request acts on).</summary>
    private void Observe((string Id, string Detail)? tracked, PolledJob job)
    {
        if (tracked is { } t)
        {
            try
            {
                store.Update(t.Id, job.Status, t.Detail, time.GetUtcNow().ToUnixTimeMilliseconds());
            }
            catch (DbException)
            {
                // The webhook finds the job by its upstream id all the same; only the stored status is stale.
            }
        }
    }

    /// <summary>True when this request is the one to count the ended job's usage (a webhook may have done it already).</summary>
    private bool Settles((string Id, string Detail)? tracked)
    {
        try
        {
            return tracked is not { } t || store.TrySettle(t.Id, time.GetUtcNow().ToUnixTimeMilliseconds());
        }
        catch (DbException)
        {
            return true; // the store cannot say: the request's own record counts it rather than nobody
        }
    }

    /// <summary>The job of a 2xx answer (create or poll); a failure when the body is not one.</summary>
    private static async Task<(PolledJob? Job, UpstreamFailure? Failure)> ReadJobAsync(GatewayContext ctx, IPolledMediaProvider provider,
        DeploymentTarget deployment, HttpResponseMessage response, AttemptTimer timer)
    {
        var (buffer, length, failure) = await PassthroughAttempts.ReadWholeAsync(response, deployment, timer, deployment.Config.Timeouts.Idle,
            ctx.Table.Config.Server.MaxUpstreamResponseSize).ConfigureAwait(false);
        if (failure is not null)
        {
            return (null, failure);
        }

        try
        {
            return (provider.Inspect(buffer.AsSpan(0, length)), null);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return (null, new UpstreamFailure(FailureKind.InvalidResponse, $"deployment '{deployment.Name}' answered with something that is not a job: {ex.Message}", 502));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer!);
        }
    }

    /// <summary>
    /// Polls until the job ends: its last state, and why following it stopped early (deadline, client gone, an upstream
    /// that refuses the poll), or null when it ended. A poll the upstream failed transiently (429, 5xx, a dropped
    /// connection) is tried again at the next interval: the job runs on regardless of one lost read.
    /// </summary>
    private async Task<(PolledJob Last, UpstreamFailure? Broke)> WaitAsync(GatewayContext ctx, IPolledMediaProvider provider, IProviderAdapter adapter,
        PolledJob job, DeploymentTarget deployment, AttemptTimer timer, (string Id, string Detail)? tracked)
    {
        var interval = provider.PollInterval(deployment);
        while (!job.IsFinal)
        {
            try
            {
                timer.Arm("total", TimeSpan.MaxValue);
                await Task.Delay(interval, time, timer.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return (job, Stopped(timer, deployment, job));
            }

            using var poll = provider.BuildPoll(job, deployment);
            var (response, failure) = await UpstreamSend.SendAsync(upstream, poll, deployment, timer, adapter, null).ConfigureAwait(false);
            if (failure is not null)
            {
                if (timer.Token.IsCancellationRequested)
                {
                    return (job, Stopped(timer, deployment, job));
                }

                if (failure.Kind is FailureKind.Auth or FailureKind.ClientError)
                {
                    return (job, failure);
                }

                continue;
            }

            using (response)
            {
                var (next, unreadable) = await ReadJobAsync(ctx, provider, deployment, response!, timer).ConfigureAwait(false);
                if (next is null)
                {
                    return (job, timer.Token.IsCancellationRequested ? Stopped(timer, deployment, job) : unreadable);
                }

                job = next;
                Observe(tracked, job);
            }
        }

        return (job, null);
    }

    /// <summary>Why following stopped when the timer fired: the deadline, the shutdown drain, or the client leaving.</summary>
    private static UpstreamFailure Stopped(AttemptTimer timer, DeploymentTarget deployment, PolledJob job) =>
        timer.ShuttingDown ? new UpstreamFailure(FailureKind.ShuttingDown, $"the gateway is shutting down; job '{job.Id}' on deployment '{deployment.Name}' was left {job.Status}")
        : timer.ClientGone ? new UpstreamFailure(FailureKind.ClientCancelled, "client disconnected")
        : new UpstreamFailure(FailureKind.Timeout, $"{timer.Describe(deployment.Name)}: job '{job.Id}' was still {job.Status} and has been cancelled", 504);

    /// <summary>A job that ended without its outputs, as the client's error: a safety filter is the prompt's fault, the rest the upstream's.</summary>
    private static UpstreamFailure Ended(PolledJob job, DeploymentTarget deployment)
    {
        var why = job.Error is { Length: > 0 } e ? (e.Length > 300 ? e[..300] + "…" : e) : "no reason given";
        return job.Phase == JobPhase.Canceled
            ? new UpstreamFailure(FailureKind.ServerError, $"job '{job.Id}' on deployment '{deployment.Name}' was canceled upstream", 502)
            : why.Contains("NSFW", StringComparison.OrdinalIgnoreCase) || why.Contains("sensitive", StringComparison.OrdinalIgnoreCase)
                ? new UpstreamFailure(FailureKind.ContentPolicy, $"job '{job.Id}' on deployment '{deployment.Name}' failed: {why}", 400)
                : new UpstreamFailure(FailureKind.ServerError, $"job '{job.Id}' on deployment '{deployment.Name}' failed: {why}", 502);
    }

    /// <summary>Cancels an abandoned job, best effort and bounded: a job left running would still be billed, so it is worth one request.</summary>
    private async Task CancelAsync(IPolledMediaProvider provider, PolledJob job, DeploymentTarget deployment)
    {
        using var bound = new CancellationTokenSource(CancelBound, time);
        using var message = provider.BuildCancel(job, deployment);
        try
        {
            using var _ = await upstream.For(deployment.Config.Provider).SendAsync(message, bound.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
        {
            // Nothing more can be done from here; the job's record says it was abandoned.
        }
    }

    /// <summary>Answers a failure after the job was accepted: committed, so nothing falls back; a client that left is told nothing.</summary>
    private static async Task<UpstreamFailure?> AnswerFailureAsync(GatewayContext ctx, UpstreamFailure failure)
    {
        if (!ctx.TryCommit())
        {
            return UpstreamFailure.Lost(ctx.Final!);
        }

        if (failure.Kind == FailureKind.ClientCancelled)
        {
            ctx.Error = FailureKind.ClientCancelled;
            return null;
        }

        await ClientResponses.WriteFailureAsync(ctx, failure).ConfigureAwait(false);
        return null;
    }

    /// <summary>A succeeded job: its outputs fetched when the answer needs their bytes, then the client's answer.</summary>
    private async Task<UpstreamFailure?> AnswerAsync(GatewayContext ctx, IPolledMediaProvider provider, MediaCall call, PolledJob job,
        DeploymentTarget deployment, AttemptTimer timer, bool billed)
    {
        var (downloads, failure) = await DownloadAsync(ctx, provider.Downloads(job, call), deployment, timer).ConfigureAwait(false);
        if (failure is not null)
        {
            return await AnswerFailureAsync(ctx, timer.ClientGone ? new UpstreamFailure(FailureKind.ClientCancelled, "client disconnected") : failure).ConfigureAwait(false);
        }

        MediaAnswer answer;
        try
        {
            answer = provider.Finish(job, downloads, call, deployment);
        }
        catch (Exception ex) when (ex is UnsupportedFeatureException or JsonException or FormatException)
        {
            return await AnswerFailureAsync(ctx, new UpstreamFailure(FailureKind.InvalidResponse, $"job '{job.Id}' on deployment '{deployment.Name}' gave outputs that could not be answered: {ex.Message}", 502)).ConfigureAwait(false);
        }

        if (!ctx.TryCommit())
        {
            return UpstreamFailure.Lost(deployment);
        }

        ctx.Media = billed ? answer.Usage : default;
        await ClientResponses.WriteWholeAsync(ctx, deployment, 200, answer.ContentType, answer.Body, time).ConfigureAwait(false);
        return null;
    }

    /// <summary>Fetches each output (no credentials: they are the provider's delivery URLs), each bounded; the first failure stops.</summary>
    private async Task<(IReadOnlyList<byte[]> Bytes, UpstreamFailure? Failure)> DownloadAsync(GatewayContext ctx, IReadOnlyList<Uri> urls,
        DeploymentTarget deployment, AttemptTimer timer)
    {
        var files = new List<byte[]>(urls.Count);
        foreach (var url in urls)
        {
            using var message = new HttpRequestMessage(HttpMethod.Get, url);
            timer.Arm("first_byte", deployment.Config.Timeouts.FirstByte);
            HttpResponseMessage response;
            try
            {
                response = await upstream.For(deployment.Config.Provider).SendAsync(message, timer.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
            {
                return (files, PassthroughAttempts.Failed(ex, timer, deployment));
            }

            using (response)
            {
                if (!response.IsSuccessStatusCode)
                {
                    return (files, new UpstreamFailure(FailureKind.ServerError, $"deployment '{deployment.Name}': an output could not be fetched (HTTP {(int)response.StatusCode})", 502));
                }

                var (buffer, length, failure) = await PassthroughAttempts.ReadWholeAsync(response, deployment, timer, deployment.Config.Timeouts.Idle,
                    ctx.Table.Config.Server.MaxUpstreamResponseSize).ConfigureAwait(false);
                if (failure is not null)
                {
                    return (files, failure);
                }

                files.Add(buffer.AsSpan(0, length).ToArray());
                ArrayPool<byte>.Shared.Return(buffer!);
            }
        }

        return (files, null);
    }
}
