using System.Text.Json;
using Switchyard.Canonical;
using Switchyard.Pipeline;
using Switchyard.Routing;

namespace Switchyard.Dispatch;

/// <summary>
/// A translated stream: upstream bytes → the adapter's decoder → canonical events → the client format's
/// encoder, flushed per upstream read. The commit point is the first content event (a bare "message
/// started" event does not commit, so a failure right after it still falls back). After it, an upstream
/// error, cut or stall ends the stream through the encoder's <see cref="IStreamEncoder.Fail"/>.
/// </summary>
public static class TranslatedStream
{
    /// <summary>Runs the stream. Null when committed; a failure (nothing written) when it died before content.</summary>
    public static async Task<UpstreamFailure?> RunAsync(GatewayContext ctx, IProviderAdapter adapter, DeploymentTarget deployment,
        HttpResponseMessage response, AttemptTimer timer, TimeProvider time, string? dropped)
    {
        var decoder = adapter.CreateStreamDecoder(deployment);
        var events = new List<StreamEvent>(16);
        using var pooled = new SseRelay.PooledBuffer(16 * 1024);
        var filled = 0;
        var done = false;
        var idle = deployment.Config.Timeouts.Idle;
        await using var stream = await response.Content.ReadAsStreamAsync(timer.Token).ConfigureAwait(false);

        // Phase 1: decode until there is content (or an error / the end) to show.
        var pending = new List<StreamEvent>();
        try
        {
            while (!HasContent(pending))
            {
                if (done)
                {
                    break;
                }

                var n = await stream.ReadAsync(pooled.Array.AsMemory(filled), timer.Token).ConfigureAwait(false);
                if (n == 0)
                {
                    return new UpstreamFailure(FailureKind.StreamCut, $"deployment '{deployment.Name}' ended its stream before any content");
                }

                filled += n;
                filled = Decode(decoder, pooled, filled, pending, ref done);
                if (filled == pooled.Array.Length)
                {
                    pooled.Grow(filled);
                }

                if (pending.FirstOrDefault(e => e.Kind == StreamEventKind.Error) is { Kind: StreamEventKind.Error } error)
                {
                    return new UpstreamFailure(FailureKind.ServerError,
                        $"deployment '{deployment.Name}' sent an error event before any content: {error.Text}", 502);
                }
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
        {
            return PassthroughAttempts.Failed(ex, timer, deployment);
        }
        catch (JsonException ex)
        {
            return new UpstreamFailure(FailureKind.ServerError, $"deployment '{deployment.Name}' sent a malformed stream: {ex.Message}", 502);
        }

        // Commit.
        if (!ctx.TryCommit())
        {
            return UpstreamFailure.Lost(deployment);
        }

        ctx.Final = deployment;
        ctx.Dropped = dropped;
        var encoder = ctx.Format!.CreateStreamEncoder(ctx.Canonical!, deployment.Config.UpstreamModel, time.GetUtcNow().ToUnixTimeSeconds());
        var http = ctx.Http.Response;
        ClientResponses.SetOutcomeHeaders(ctx, deployment);
        http.StatusCode = 200;
        http.ContentType = encoder.ContentType;
        http.Headers.CacheControl = "no-cache";
        http.Headers["X-Accel-Buffering"] = "no";
        ctx.FirstByteTimestamp = time.GetTimestamp();
        var writer = http.BodyWriter;
        try
        {
            while (true)
            {
                foreach (var e in pending)
                {
                    if (e.Kind == StreamEventKind.Error)
                    {
                        ctx.Error = FailureKind.StreamCut;
                        encoder.Fail(new ClientError(502, ErrorCategory.ServerError, $"The upstream deployment '{deployment.Name}' reported an error mid-stream: {e.Text}", null, e.ErrorCode ?? "upstream_error"), writer);
                        await writer.FlushAsync(ctx.Http.RequestAborted).ConfigureAwait(false);
                        return null;
                    }

                    if (e.Kind == StreamEventKind.Usage)
                    {
                        ctx.Usage.Merge(e.Usage);
                    }

                    encoder.Write(e, writer);
                }

                pending.Clear();
                if (done)
                {
                    encoder.Complete(writer);
                    await writer.FlushAsync(ctx.Http.RequestAborted).ConfigureAwait(false);
                    return null;
                }

                var flush = await writer.FlushAsync(ctx.Http.RequestAborted).ConfigureAwait(false);
                if (flush.IsCanceled)
                {
                    ctx.Error = FailureKind.ClientCancelled;
                    return null;
                }

                if (filled == pooled.Array.Length)
                {
                    pooled.Grow(filled);
                }

                timer.Arm("idle", idle);
                var n = await stream.ReadAsync(pooled.Array.AsMemory(filled), timer.Token).ConfigureAwait(false);
                if (n == 0)
                {
                    ctx.Error = FailureKind.StreamCut;
                    encoder.Fail(new ClientError(502, ErrorCategory.ServerError,
                        $"The upstream deployment '{deployment.Name}' ended the stream before completing the response.", null, "upstream_stream_cut"), writer);
                    await writer.FlushAsync(ctx.Http.RequestAborted).ConfigureAwait(false);
                    return null;
                }

                filled += n;
                filled = Decode(decoder, pooled, filled, pending, ref done);
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException or JsonException)
        {
            if (timer.ClientGone)
            {
                ctx.Error = FailureKind.ClientCancelled;
                return null;
            }

            var timedOut = timer.TimedOut;
            ctx.Error = timedOut ? FailureKind.Timeout : FailureKind.StreamCut;
            var message = timedOut ? timer.Describe(deployment.Name) + "; the stream was ended." : $"The stream from upstream deployment '{deployment.Name}' broke: {ex.Message}";
            try
            {
                encoder.Fail(new ClientError(timedOut ? 504 : 502, timedOut ? ErrorCategory.Timeout : ErrorCategory.ServerError, message, null,
                    timedOut ? "upstream_timeout" : "upstream_stream_cut"), writer);
                await writer.FlushAsync(ctx.Http.RequestAborted).ConfigureAwait(false);
            }
            catch (Exception writeEx) when (writeEx is OperationCanceledException or IOException)
            {
                ctx.Error = FailureKind.ClientCancelled;
            }

            return null;
        }
    }

    private static bool HasContent(List<StreamEvent> events)
    {
        foreach (var e in events)
        {
            if (e.Kind is not (StreamEventKind.Start or StreamEventKind.Usage))
            {
                return true;
            }
        }

        return false;
    }

    private static int Decode(IStreamDecoder decoder, SseRelay.PooledBuffer pooled, int filled, List<StreamEvent> output, ref bool done)
    {
        var buffer = pooled.Array;
        var consumed = decoder.Decode(buffer.AsSpan(0, filled), output, out var end);
        done |= end;
        buffer.AsSpan(consumed, filled - consumed).CopyTo(buffer);
        return filled - consumed;
    }
}
