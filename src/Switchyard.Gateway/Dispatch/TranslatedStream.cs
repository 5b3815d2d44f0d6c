using System.IO.Pipelines;
using System.Text.Json;
using Switchyard.Canonical;

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
    /// <param name="meter">
    /// A hedged attempt's collector (null otherwise): what it decoded before losing is kept there for its cost;
    /// once committed it becomes the request's <see cref="GatewayContext.Delivered"/>.
    /// </param>
    public static async Task<UpstreamFailure?> RunAsync(GatewayContext ctx, IProviderAdapter adapter, DeploymentTarget deployment,
        HttpResponseMessage response, AttemptTimer timer, TimeProvider time, AttemptNotes notes, DeliveredContent? meter)
    {
        var decoder = adapter.CreateStreamDecoder(deployment);
        using var pooled = new SseRelay.PooledBuffer(16 * 1024);
        await using var stream = await response.Content.ReadAsStreamAsync(timer.Token).ConfigureAwait(false);
        var upstream = new DecodedUpstream(stream, decoder, pooled, ctx.Table.Config.Server.MaxUpstreamEventSize);

        var failure = await DecodeUntilContentAsync(upstream, deployment, timer).ConfigureAwait(false);

        // Commit.
        failure ??= ctx.TryCommit() ? null : UpstreamFailure.Lost(deployment);
        if (failure is not null)
        {
            Received(meter, upstream.Pending); // a hedge that lost: what it was sent counts to its cost
            return failure;
        }

        ctx.Delivered = meter ?? new DeliveredContent(deployment, adapter);
        ctx.Delivered.Form = DeliveredForm.Text;
        var encoder = StartResponse(ctx, deployment, time, notes);
        await RelayAsync(ctx, upstream, encoder, deployment, timer).ConfigureAwait(false);
        return null;
    }

    /// <summary>Keeps the text and usage of events decoded by an attempt that never committed, in a hedge's collector.</summary>
    private static void Received(DeliveredContent? meter, List<StreamEvent> pending)
    {
        if (meter is null)
        {
            return;
        }

        meter.Form = DeliveredForm.Text;
        foreach (var e in pending)
        {
            meter.Add(e);
        }
    }

    /// <summary>
    /// Phase 1, before the commit point: decodes until there is content (or an error / the end) to show.
    /// Null when there is; else why the attempt failed, with nothing written, so another deployment may be tried.
    /// </summary>
    private static async Task<UpstreamFailure?> DecodeUntilContentAsync(DecodedUpstream upstream, DeploymentTarget deployment, AttemptTimer timer)
    {
        try
        {
            while (!HasContent(upstream.Pending) && !upstream.Done)
            {
                var n = await upstream.ReadAsync(timer.Token).ConfigureAwait(false);
                if (n == 0)
                {
                    return new UpstreamFailure(FailureKind.StreamCut, $"deployment '{deployment.Name}' ended its stream before any content");
                }

                upstream.Decode(n);
                if (!upstream.TryGrowIfFull())
                {
                    return ClientResponses.EventTooLarge(deployment, upstream.MaxEvent);
                }

                if (FirstError(upstream.Pending) is { } error)
                {
                    return new UpstreamFailure(FailureKind.ServerError,
                        $"deployment '{deployment.Name}' sent an error event before any content: {error.Text}", 502);
                }
            }

            return null;
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
        {
            return PassthroughAttempts.Failed(ex, timer, deployment);
        }
        catch (JsonException ex)
        {
            return new UpstreamFailure(FailureKind.InvalidResponse, $"deployment '{deployment.Name}' sent a malformed stream: {ex.Message}", 502);
        }
    }

    /// <summary>Once committed: records the outcome and sets the response head; returns the client format's encoder.</summary>
    private static IStreamEncoder StartResponse(GatewayContext ctx, DeploymentTarget deployment, TimeProvider time, AttemptNotes notes)
    {
        ctx.Final = deployment;
        ctx.Dropped = notes.Dropped;
        ctx.Adapted = notes.Adapted;
        var encoder = ctx.Format!.CreateStreamEncoder(ctx.Canonical!, deployment.Config.UpstreamModel, time.GetUtcNow().ToUnixTimeSeconds());
        var http = ctx.Http.Response;
        ClientResponses.SetOutcomeHeaders(ctx, deployment);
        http.StatusCode = 200;
        http.ContentType = encoder.ContentType;
        http.Headers.CacheControl = "no-cache";
        http.Headers["X-Accel-Buffering"] = "no";
        ctx.FirstByteTimestamp = time.GetTimestamp();
        return encoder;
    }

    /// <summary>
    /// Phase 2, after the commit point: writes the pending events, then relays read by read until the end, the
    /// client leaves, or the upstream fails (an error event, a cut, a stall, an event past the bound), or the
    /// shutdown drain ends, which the encoder's Fail reports.
    /// </summary>
    private static async Task RelayAsync(GatewayContext ctx, DecodedUpstream upstream, IStreamEncoder encoder, DeploymentTarget deployment,
        AttemptTimer timer)
    {
        var writer = ctx.Http.Response.BodyWriter;
        var idle = deployment.Config.Timeouts.Idle;
        try
        {
            while (true)
            {
                if (ctx.Guard?.Output?.OnEvents(upstream.Pending, upstream.Done) is { } blocked)
                {
                    await FailAsync(ctx, encoder, writer, FailureKind.ContentPolicy, blocked).ConfigureAwait(false); // a guardrail stopped the answer
                    return;
                }

                if (!TryWritePending(ctx, encoder, writer, upstream.Pending, out var error))
                {
                    await FailAsync(ctx, encoder, writer, FailureKind.StreamCut, new ClientError(502, ErrorCategory.ServerError,
                        $"The upstream deployment '{deployment.Name}' reported an error mid-stream: {error.Text}", null,
                        error.ErrorCode ?? "upstream_error")).ConfigureAwait(false);
                    return;
                }

                if (upstream.Done)
                {
                    ctx.Delivered!.Complete = true;
                    ctx.Cache?.Capture?.Completed();
                    encoder.Complete(writer);
                    await writer.FlushAsync(ctx.Http.RequestAborted).ConfigureAwait(false);
                    return;
                }

                if (!await FlushAndGoOnAsync(ctx, encoder, writer).ConfigureAwait(false))
                {
                    return;
                }

                if (!upstream.TryGrowIfFull())
                {
                    await FailAsync(ctx, encoder, writer, FailureKind.ResponseTooLarge,
                        ClientResponses.ToClientError(ClientResponses.EventTooLarge(deployment, upstream.MaxEvent)) with { Code = "upstream_event_too_large" }).ConfigureAwait(false);
                    return;
                }

                timer.Arm("idle", idle);
                var n = await upstream.ReadAsync(timer.Token).ConfigureAwait(false);
                if (n == 0)
                {
                    await FailAsync(ctx, encoder, writer, FailureKind.StreamCut, new ClientError(502, ErrorCategory.ServerError,
                        $"The upstream deployment '{deployment.Name}' ended the stream before completing the response.", null,
                        "upstream_stream_cut")).ConfigureAwait(false);
                    return;
                }

                upstream.Decode(n);
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException or JsonException)
        {
            await EndBrokenAsync(ctx, encoder, writer, deployment, timer, ex).ConfigureAwait(false);
        }
    }

    /// <summary>Writes the pending events in order, metering usage and keeping their text, and clears them; false (with it) at an error event.</summary>
    private static bool TryWritePending(GatewayContext ctx, IStreamEncoder encoder, PipeWriter writer, List<StreamEvent> pending,
        out StreamEvent error)
    {
        var delivered = ctx.Delivered!;
        var capture = ctx.Cache?.Capture; // the exact cache's copy (docs/adr/0015), only for answers it may store
        foreach (var e in pending)
        {
            if (e.Kind == StreamEventKind.Error)
            {
                error = e;
                return false;
            }

            if (e.Kind == StreamEventKind.Usage)
            {
                ctx.Usage.Merge(e.Usage);
            }

            delivered.Add(e);
            capture?.Add(e, ctx.Final!);
            encoder.Write(e, writer);
        }

        pending.Clear();
        error = default;
        return true;
    }

    /// <summary>Ends a committed stream with an error the client can see (never a clean end).</summary>
    /// <summary>Flushes what was written; false when the stream must end here (the client left, or its guard stopped it).</summary>
    private static async ValueTask<bool> FlushAndGoOnAsync(GatewayContext ctx, IStreamEncoder encoder, PipeWriter writer)
    {
        var flush = await writer.FlushAsync(ctx.Http.RequestAborted).ConfigureAwait(false);
        if (flush.IsCanceled)
        {
            ctx.Error = FailureKind.ClientCancelled;
            return false;
        }

        if (ctx.StreamGuard?.Check(ctx) is { } stop)
        {
            await FailAsync(ctx, encoder, writer, FailureKind.BudgetExceeded, stop).ConfigureAwait(false);
            return false;
        }

        return true;
    }

    private static ValueTask<FlushResult> FailAsync(GatewayContext ctx, IStreamEncoder encoder, PipeWriter writer, FailureKind kind, in ClientError error)
    {
        ctx.Error = kind;
        encoder.Fail(error, writer);
        return writer.FlushAsync(ctx.Http.RequestAborted);
    }

    /// <summary>
    /// The relay threw: the client left (nothing to write), or the drain ended, a timeout fired or the upstream
    /// broke, which the client is told, if it can still be told.
    /// </summary>
    private static async Task EndBrokenAsync(GatewayContext ctx, IStreamEncoder encoder, PipeWriter writer, DeploymentTarget deployment,
        AttemptTimer timer, Exception ex)
    {
        if (timer.ClientGone)
        {
            ctx.Error = FailureKind.ClientCancelled;
            return;
        }

        var (kind, error) = ClientResponses.Broken(timer, deployment, $"The stream from upstream deployment '{deployment.Name}' broke: {ex.Message}");
        try
        {
            await FailAsync(ctx, encoder, writer, kind, error).ConfigureAwait(false);
        }
        catch (Exception writeEx) when (writeEx is OperationCanceledException or IOException)
        {
            ctx.Error = FailureKind.ClientCancelled;
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

    private static StreamEvent? FirstError(List<StreamEvent> events)
    {
        foreach (var e in events)
        {
            if (e.Kind == StreamEventKind.Error)
            {
                return e;
            }
        }

        return null;
    }

    /// <summary>
    /// The upstream side of one stream: its pooled read buffer, the bytes in it not yet decoded (a partial
    /// frame waits for the next read), and the events decoded but not yet written.
    /// </summary>
    private sealed class DecodedUpstream(Stream stream, IStreamDecoder decoder, SseRelay.PooledBuffer pooled, int maxEvent)
    {
        private int filled;

        /// <summary>Decoded, not yet written.</summary>
        public List<StreamEvent> Pending { get; } = [];

        /// <summary>The decoder saw the stream's end.</summary>
        public bool Done { get; private set; }

        /// <summary>The largest frame the buffer may grow to hold (<c>server.max_upstream_event_size</c>).</summary>
        public int MaxEvent => maxEvent;

        /// <summary>One read into the free tail of the buffer; 0 when the upstream closed the stream.</summary>
        public ValueTask<int> ReadAsync(CancellationToken token) => stream.ReadAsync(pooled.Array.AsMemory(filled), token);

        /// <summary>Decodes what is buffered after a read of <paramref name="read"/> bytes, keeping any partial frame.</summary>
        public void Decode(int read)
        {
            var buffer = pooled.Array;
            filled += read;
            var consumed = decoder.Decode(buffer.AsSpan(0, filled), Pending, out var end);
            Done |= end;
            buffer.AsSpan(consumed, filled - consumed).CopyTo(buffer);
            filled -= consumed;
        }

        /// <summary>
        /// A frame larger than the buffer is the only reason to grow: it must fit whole to be decoded. False when it
        /// already holds <see cref="MaxEvent"/> bytes of one frame: the upstream's fault, not more memory.
        /// </summary>
        public bool TryGrowIfFull() => filled < pooled.Array.Length || pooled.TryGrow(filled, maxEvent);
    }
}
