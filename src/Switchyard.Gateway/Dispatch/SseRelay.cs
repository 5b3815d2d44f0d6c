using System.Buffers;
using System.IO.Pipelines;
using Switchyard.Canonical;
using Switchyard.Upstream;

namespace Switchyard.Dispatch;

/// <summary>
/// Relays a passthrough SSE stream as it arrives: whole events are written through to the client and
/// flushed per upstream read (never buffered beyond one partial event), while the protocol reads usage
/// off the events on the side. Before the first event is relayed the attempt can still fail over; after
/// it, an upstream cut, stall or timeout ends the stream with an explicit error event and no clean
/// terminator, so no client mistakes half an answer for a whole one.
/// </summary>
public static class SseRelay
{
    /// <summary>Runs the relay. Null when committed; a failure (nothing written) when the stream died before its first event.</summary>
    /// <param name="meter">
    /// A hedged attempt's collector (null otherwise): what it received before losing is kept there for its cost;
    /// once committed it becomes the request's <see cref="GatewayContext.Delivered"/>.
    /// </param>
    public static async Task<UpstreamFailure?> RunAsync(GatewayContext ctx, IPassthroughProtocol protocol, IProviderAdapter adapter,
        DeploymentTarget deployment, HttpResponseMessage response, AttemptTimer timer, DeliveredContent? meter, TimeProvider time)
    {
        var maxEvent = ctx.Table.Config.Server.MaxUpstreamEventSize;
        using var pooled = new PooledBuffer(16 * 1024);
        Stream? stream = null;
        try
        {
            // Phase 1, before the commit point: wait (within the first-byte timeout) for one whole event.
            (var failure, var filled, stream) = await ReadFirstEventAsync(protocol, deployment, response, pooled, timer, maxEvent).ConfigureAwait(false);

            // Commit.
            failure ??= ctx.TryCommit() ? null : UpstreamFailure.Lost(deployment);
            if (failure is not null)
            {
                Received(meter, pooled.Array.AsSpan(0, filled)); // a hedge that lost: what it was sent counts to its cost
                return failure;
            }

            var delivered = ctx.Delivered = meter ?? new DeliveredContent(deployment, adapter);
            delivered.Form = DeliveredForm.UpstreamStream;
            StartResponse(ctx, deployment, response, time);
            await RelayAsync(ctx, protocol, deployment, stream!, pooled, filled, timer, maxEvent).ConfigureAwait(false);
            return null;
        }
        finally
        {
            if (stream is not null)
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Reads until the first event with data is buffered whole. The failure (nothing written) when the stream ends,
    /// errs or breaks first; with the bytes buffered by then either way, and the stream to dispose.
    /// </summary>
    private static async Task<(UpstreamFailure? Failure, int Filled, Stream? Stream)> ReadFirstEventAsync(IPassthroughProtocol protocol,
        DeploymentTarget deployment, HttpResponseMessage response, PooledBuffer pooled, AttemptTimer timer, int maxEvent)
    {
        Stream? stream = null;
        var filled = 0;
        try
        {
            stream = await response.Content.ReadAsStreamAsync(timer.Token).ConfigureAwait(false);
            while (true)
            {
                var n = await stream.ReadAsync(pooled.Array.AsMemory(filled), timer.Token).ConfigureAwait(false);
                if (n == 0)
                {
                    return (new UpstreamFailure(FailureKind.StreamCut, $"deployment '{deployment.Name}' ended its stream before the first event"), filled, stream);
                }

                filled += n;
                if (FirstEventArrived(protocol, pooled.Array.AsSpan(0, filled), deployment, out var failure))
                {
                    return (failure, filled, stream);
                }

                if (filled == pooled.Array.Length && !pooled.TryGrow(filled, maxEvent))
                {
                    return (ClientResponses.EventTooLarge(deployment, maxEvent), filled, stream);
                }
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
        {
            return (PassthroughAttempts.Failed(ex, timer, deployment), filled, stream);
        }
    }

    /// <summary>Keeps what an attempt that never committed was sent, in a hedge's collector (there is none otherwise).</summary>
    private static void Received(DeliveredContent? meter, ReadOnlySpan<byte> bytes)
    {
        if (meter is not null)
        {
            meter.Form = DeliveredForm.UpstreamStream;
            meter.Append(bytes);
        }
    }

    /// <summary>
    /// Whether <paramref name="buffered"/> holds the first event with data, which decides the commit; if that
    /// event is an error, <paramref name="failure"/> says so (carrying the upstream's body) and nothing is written.
    /// Comment-only blocks before it (": PROCESSING" keep-alives, as OpenRouter sends) do not count, so a failure
    /// after them can still fall back.
    /// </summary>
    private static bool FirstEventArrived(IPassthroughProtocol protocol, ReadOnlySpan<byte> buffered, DeploymentTarget deployment,
        out UpstreamFailure? failure)
    {
        failure = null;
        var (offset, first) = FirstDataEvent(buffered);
        if (first <= 0)
        {
            return false;
        }

        var sseEvent = buffered.Slice(offset, first);
        var probe = default(TokenUsage);
        if (protocol.InspectEvent(sseEvent, true, ref probe).IsError)
        {
            var data = SseFraming.Data(sseEvent).ToArray();
            failure = new UpstreamFailure(FailureKind.ServerError,
                $"deployment '{deployment.Name}' sent an error event before any content", 502, null, data) { ClientShaped = true };
        }

        return true;
    }

    /// <summary>Once committed: records the outcome and sets the response head.</summary>
    private static void StartResponse(GatewayContext ctx, DeploymentTarget deployment, HttpResponseMessage response, TimeProvider time)
    {
        ctx.Final = deployment;
        var http = ctx.Http.Response;
        ClientResponses.SetOutcomeHeaders(ctx, deployment);
        http.StatusCode = 200;
        http.ContentType = PassthroughAttempts.ContentTypeOf(response, "text/event-stream");
        http.Headers.CacheControl = "no-cache";
        http.Headers["X-Accel-Buffering"] = "no"; // tell nginx-style proxies in front of us not to buffer
        ctx.FirstByteTimestamp = time.GetTimestamp();
    }

    /// <summary>
    /// Phase 2, after the commit point. Returns when the stream ended, either way. Every relayed event is also
    /// copied (bounded) into <see cref="GatewayContext.Delivered"/>: a memory copy per read, parsed only if the
    /// stream ends without usage.
    /// </summary>
    private static async Task RelayAsync(GatewayContext ctx, IPassthroughProtocol protocol, DeploymentTarget deployment, Stream stream,
        PooledBuffer pooled, int filled, AttemptTimer timer, int maxEvent)
    {
        var writer = ctx.Http.Response.BodyWriter;
        var clientWantsUsage = ctx.Request.ClientWantsUsage;
        var delivered = ctx.Delivered!;
        var state = default(RelayState);
        try
        {
            while (true)
            {
                var buffer = pooled.Array;
                var consumed = WriteEvents(protocol, buffer.AsSpan(0, filled), writer, clientWantsUsage, ref ctx.Usage, ref state);
                if (consumed > 0)
                {
                    delivered.Append(buffer.AsSpan(0, consumed));
                    buffer.AsSpan(consumed, filled - consumed).CopyTo(buffer);
                    filled -= consumed;
                    var flush = await writer.FlushAsync(timer.Token).ConfigureAwait(false);
                    if (flush.IsCanceled)
                    {
                        ctx.Error = FailureKind.ClientCancelled;
                        return;
                    }

                    if (!state.Terminal && ctx.StreamGuard?.Check(ctx) is { } stop)
                    {
                        await EndAsync(ctx, protocol, writer, FailureKind.BudgetExceeded, stop).ConfigureAwait(false);
                        return;
                    }
                }

                if (state.Terminal)
                {
                    delivered.Complete = !state.Error;
                    ctx.Error = state.Error ? FailureKind.StreamCut : ctx.Error;
                    return;
                }

                if (filled == buffer.Length && !pooled.TryGrow(filled, maxEvent))
                {
                    await EndAsync(ctx, protocol, writer, FailureKind.ResponseTooLarge,
                        ClientResponses.ToClientError(ClientResponses.EventTooLarge(deployment, maxEvent)) with { Code = "upstream_event_too_large" }).ConfigureAwait(false);
                    return;
                }

                timer.Arm("idle", deployment.Config.Timeouts.Idle);
                var n = await stream.ReadAsync(pooled.Array.AsMemory(filled), timer.Token).ConfigureAwait(false);
                if (n == 0)
                {
                    await EndCutAsync(ctx, protocol, deployment, writer, state).ConfigureAwait(false);
                    return;
                }

                filled += n;
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
        {
            await EndBrokenAsync(ctx, protocol, deployment, writer, timer).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The upstream closed without its terminator: say so, don't fake a clean end. An error event it already
    /// sent is that explanation.
    /// </summary>
    private static ValueTask<FlushResult> EndCutAsync(GatewayContext ctx, IPassthroughProtocol protocol, DeploymentTarget deployment,
        PipeWriter writer, RelayState state)
    {
        ctx.Error = FailureKind.StreamCut;
        if (state.Error)
        {
            return default;
        }

        protocol.WriteStreamError(writer,
            $"The upstream deployment '{deployment.Name}' ended the stream before completing the response.", "upstream_stream_cut");
        return writer.FlushAsync(ctx.Http.RequestAborted);
    }

    /// <summary>
    /// The relay threw: the client left (nothing to write), or the drain ended, a timeout fired or the upstream
    /// broke, which the client is told with an error event, if it can still be told.
    /// </summary>
    private static Task EndBrokenAsync(GatewayContext ctx, IPassthroughProtocol protocol, DeploymentTarget deployment,
        PipeWriter writer, AttemptTimer timer)
    {
        if (timer.ClientGone)
        {
            ctx.Error = FailureKind.ClientCancelled;
            return Task.CompletedTask;
        }

        var (kind, error) = ClientResponses.Broken(timer, deployment, $"The connection to upstream deployment '{deployment.Name}' broke mid-stream.");
        return EndAsync(ctx, protocol, writer, kind, error);
    }

    /// <summary>Ends a committed stream with <paramref name="error"/> as the protocol's error event (never a clean terminator).</summary>
    private static async Task EndAsync(GatewayContext ctx, IPassthroughProtocol protocol, PipeWriter writer, FailureKind kind, ClientError error)
    {
        ctx.Error = kind;
        try
        {
            protocol.WriteStreamError(writer, error.Message, error.Code ?? "upstream_error");
            await writer.FlushAsync(ctx.Http.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception writeEx) when (writeEx is OperationCanceledException or IOException)
        {
            ctx.Error = FailureKind.ClientCancelled;
        }
    }

    /// <summary>Offset and length of the first complete event that carries data, or (0, -1).</summary>
    private static (int Offset, int Length) FirstDataEvent(ReadOnlySpan<byte> buffer)
    {
        var offset = 0;
        while (true)
        {
            var length = SseFraming.FirstEventLength(buffer[offset..]);
            if (length < 0)
            {
                return (0, -1);
            }

            if (!SseFraming.Data(buffer.Slice(offset, length)).IsEmpty || SseFraming.HasEventField(buffer.Slice(offset, length)))
            {
                return (offset, length);
            }

            offset += length;
        }
    }

    /// <summary>What the relay has seen so far.</summary>
    internal struct RelayState
    {
        public bool Terminal;
        public bool Error;
    }

    /// <summary>
    /// Writes every complete event of <paramref name="data"/> that the protocol says to forward, and returns
    /// the bytes consumed; a trailing partial event stays for the next read.
    /// </summary>
    internal static int WriteEvents(IPassthroughProtocol protocol, ReadOnlySpan<byte> data, IBufferWriter<byte> writer,
        bool clientWantsUsage, ref TokenUsage usage, ref RelayState state)
    {
        var consumed = 0;
        while (!state.Terminal)
        {
            var length = SseFraming.FirstEventLength(data[consumed..]);
            if (length < 0)
            {
                break;
            }

            var sseEvent = data.Slice(consumed, length);
            consumed += length;
            var seen = protocol.InspectEvent(sseEvent, clientWantsUsage, ref usage);
            state.Terminal |= seen.IsTerminal;
            state.Error |= seen.IsError;
            if (seen.Forward)
            {
                writer.Write(sseEvent);
            }
        }

        return consumed;
    }

    /// <summary>A pooled array that may be swapped for a bigger one; returned once, whatever it is by then.</summary>
    internal sealed class PooledBuffer(int size) : IDisposable
    {
        public byte[] Array { get; private set; } = ArrayPool<byte>.Shared.Rent(size);

        /// <summary>
        /// Doubles the array, keeping its first <paramref name="filled"/> bytes; false, leaving it as it is, once
        /// <paramref name="filled"/> has reached <paramref name="max"/>. An event larger than the buffer (a big
        /// tool-call argument) is the only reason to grow, and one larger than the bound is the upstream's fault:
        /// an SSE event that never ends would otherwise take the process's memory.
        /// </summary>
        public bool TryGrow(int filled, int max)
        {
            if (filled >= max)
            {
                return false;
            }

            var bigger = ArrayPool<byte>.Shared.Rent(Math.Min(Array.Length * 2, max));
            Array.AsSpan(0, filled).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(Array);
            Array = bigger;
            return true;
        }

        public void Dispose() => ArrayPool<byte>.Shared.Return(Array);
    }
}
