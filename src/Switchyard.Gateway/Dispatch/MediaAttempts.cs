using System.Buffers;
using System.Text.Json;
using Switchyard.Upstream;

namespace Switchyard.Dispatch;

/// <summary>
/// One attempt of an operation beyond chat (images, audio, moderation, rerank; docs/adr/0017-beyond-chat.md): the
/// deployment's provider builds its call (<see cref="IMediaProvider"/>), the answer is either read whole, bounded, and
/// handed back in the client's shape with what it used, or, for speech, relayed to the client as it arrives and never
/// held. Nothing is written before the upstream said 2xx, so every failure until then may still fall back; a relay
/// cut after its first byte ends the connection (an audio body has no error event to end it with).
/// </summary>
/// <remarks>
/// A video create is a job the provider accepts with its 2xx: from then on nothing falls back (a second provider would
/// make, and bill, a second video), so an accepted answer that cannot be read or stored is the client's 502, committed
/// here, and the accepted job goes to <see cref="IJobIntake"/> (stored under the gateway's id, answered in its shape).
/// </remarks>
/// <remarks>
/// A job behind a synchronous front door (a Replicate prediction for an image: <see cref="IPolledMediaProvider"/>) is
/// followed to its end by <see cref="PolledAttempts"/>, which commits at the upstream's acceptance likewise.
/// </remarks>
public sealed class MediaAttempts(UpstreamHttp upstream, TimeProvider time, DrainSignal drain, PolledAttempts polled, IJobIntake? jobs = null)
{
    /// <summary>Runs the attempt. Null means committed; otherwise nothing was written.</summary>
    /// <param name="sameProtocol">The client's own protocol when the deployment speaks it: its error bodies are relayed as they are.</param>
    public async Task<UpstreamFailure?> RunAsync(GatewayContext ctx, IMediaProvider provider, IProviderAdapter adapter,
        DeploymentTarget deployment, TimeSpan remaining, CancellationToken abort, IPassthroughProtocol? sameProtocol = null)
    {
        var call = new MediaCall(ctx.Operation, ctx.Body!.Memory, ctx.Request, ctx.Form, ctx.RequestId, ctx.StartedAtMs / 1000);
        if (Build(provider, call, deployment, out var refused) is not { } message)
        {
            return refused;
        }

        var timeouts = deployment.Config.Timeouts;
        using var timer = new AttemptTimer(time, remaining < timeouts.Total ? remaining : timeouts.Total, abort, drain.Expired);
        using var _ = message;
        var (response, sendFailure) = await UpstreamSend.SendAsync(upstream, message, deployment, timer, adapter, sameProtocol).ConfigureAwait(false);
        if (sendFailure is not null)
        {
            return sendFailure;
        }

        using (response)
        {
            if (provider is IPolledMediaProvider followed && call.Operation != Operation.Videos)
            {
                return await polled.FollowAsync(ctx, followed, adapter, call, deployment, response!, timer).ConfigureAwait(false);
            }

            return call.Relayed
                ? await RelayAsync(ctx, deployment, response!, timer).ConfigureAwait(false)
                : await ReadAsync(ctx, provider, call, deployment, response!, timer).ConfigureAwait(false);
        }
    }

    /// <summary>The provider's request; null, with <paramref name="refused"/> saying why, when this deployment cannot take it.</summary>
    private static HttpRequestMessage? Build(IMediaProvider provider, MediaCall call, DeploymentTarget deployment, out UpstreamFailure? refused)
    {
        refused = null;
        try
        {
            return provider.Build(call, deployment);
        }
        catch (UnsupportedFeatureException ex)
        {
            refused = new UpstreamFailure(FailureKind.UnsupportedCapability, $"deployment '{deployment.Name}': {ex.Message}") { Param = ex.Field };
            return null;
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException or JsonException)
        {
            // A value of the wrong type for a translation (a string where Imagen needs a number): the client's to fix.
            refused = new UpstreamFailure(FailureKind.UnsupportedCapability, $"deployment '{deployment.Name}' cannot translate the request: {ex.Message}");
            return null;
        }
    }

    /// <summary>A whole answer: read (bounded by <c>server.max_upstream_response_size</c>), translated, metered, written.</summary>
    private async Task<UpstreamFailure?> ReadAsync(GatewayContext ctx, IMediaProvider provider, MediaCall call, DeploymentTarget deployment,
        HttpResponseMessage response, AttemptTimer timer)
    {
        var (buffer, length, failure) = await PassthroughAttempts.ReadWholeAsync(response, deployment, timer, deployment.Config.Timeouts.Idle,
            ctx.Table.Config.Server.MaxUpstreamResponseSize).ConfigureAwait(false);
        if (failure is not null)
        {
            return call.Operation == Operation.Videos ? await AcceptedButLostAsync(ctx, deployment, failure.Message).ConfigureAwait(false) : failure;
        }

        try
        {
            MediaAnswer answer;
            try
            {
                answer = provider.Read(buffer.AsSpan(0, length), response.Content.Headers.ContentType?.ToString(), call, deployment);
            }
            catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                var why = $"deployment '{deployment.Name}' returned an answer that could not be read: {ex.Message}";
                return call.Operation == Operation.Videos ? await AcceptedButLostAsync(ctx, deployment, why).ConfigureAwait(false)
                    : new UpstreamFailure(FailureKind.InvalidResponse, why, 502);
            }

            if (!ctx.TryCommit())
            {
                return UpstreamFailure.Lost(deployment);
            }

            if (answer.Job is { } job)
            {
                answer = answer with { Body = jobs!.Accept(ctx, deployment, job), ContentType = "application/json" };
            }

            ctx.Usage = answer.Tokens;
            ctx.Media = answer.Usage;
            ctx.UsageSource = "reported";
            await ClientResponses.WriteWholeAsync(ctx, deployment, 200, answer.ContentType, answer.Body, time).ConfigureAwait(false);
            return null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer!);
        }
    }

    /// <summary>
    /// A video create the provider said 2xx to but whose answer could not be read: the job may exist there, so it is not
    /// sent anywhere else; the client gets a 502 naming the deployment, and the record says invalid_response.
    /// </summary>
    private static async Task<UpstreamFailure?> AcceptedButLostAsync(GatewayContext ctx, DeploymentTarget deployment, string why)
    {
        if (!ctx.TryCommit())
        {
            return UpstreamFailure.Lost(deployment);
        }

        ctx.Final = deployment;
        ctx.Error = FailureKind.InvalidResponse;
        await ctx.RefuseAsync(new ClientError(502, ErrorCategory.ServerError,
            $"{why}. The job may have been accepted there; it was not sent to another deployment.", null, "invalid_response")).ConfigureAwait(false);
        return null;
    }

    /// <summary>
    /// Speech: the upstream's audio goes to the client read by read, each flushed, so the client hears the first
    /// bytes while the rest is still being synthesized and the gateway holds one 16 KiB buffer whatever the length.
    /// The characters sent are what it is billed by, known from the request.
    /// </summary>
    private async Task<UpstreamFailure?> RelayAsync(GatewayContext ctx, DeploymentTarget deployment, HttpResponseMessage response, AttemptTimer timer)
    {
        if (!ctx.TryCommit())
        {
            return UpstreamFailure.Lost(deployment);
        }

        ctx.Final = deployment;
        ctx.Media = new MediaUsage { Characters = ctx.Request.Needs.Media?.Characters ?? 0 };
        ctx.UsageSource = "estimated";
        ClientResponses.SetOutcomeHeaders(ctx, deployment);
        var http = ctx.Http.Response;
        http.StatusCode = 200;
        http.ContentType = PassthroughAttempts.ContentTypeOf(response, "application/octet-stream");
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(timer.Token).ConfigureAwait(false);
            while (true)
            {
                timer.Arm("idle", deployment.Config.Timeouts.Idle);
                var n = await stream.ReadAsync(buffer, timer.Token).ConfigureAwait(false);
                if (n == 0)
                {
                    return null;
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
            // Committed: the client has part of the audio. There is no error event in an audio body, so the connection is
            // cut (never a clean end of half a file) and the record says why.
            ctx.Error = ctx.Http.RequestAborted.IsCancellationRequested ? FailureKind.ClientCancelled
                : ClientResponses.Broken(timer, deployment, "the upstream broke off the audio").Kind;
            ctx.Http.Abort();
            return null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
