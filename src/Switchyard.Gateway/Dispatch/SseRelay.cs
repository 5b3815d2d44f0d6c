using System.Buffers;
using System.IO.Pipelines;
using Switchyard.Canonical;
using Switchyard.Configuration;
using Switchyard.Pipeline;
using Switchyard.Routing;
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
    public static async Task<UpstreamFailure?> RunAsync(GatewayContext ctx, IPassthroughProtocol protocol, DeploymentTarget deployment,
        HttpResponseMessage response, AttemptTimer timer, Timeouts timeouts, TimeProvider time)
    {
        using var pooled = new PooledBuffer(16 * 1024);
        var filled = 0;
        Stream? stream = null;
        try
        {
            // Phase 1, before the commit point: wait (within the first-byte timeout) for one whole event.
            try
            {
                stream = await response.Content.ReadAsStreamAsync(timer.Token).ConfigureAwait(false);
                while (true)
                {
                    var n = await stream.ReadAsync(pooled.Array.AsMemory(filled), timer.Token).ConfigureAwait(false);
                    if (n == 0)
                    {
                        return new UpstreamFailure(FailureKind.StreamCut, $"deployment '{deployment.Name}' ended its stream before the first event");
                    }

                    filled += n;
                    if (FirstEventArrived(protocol, pooled.Array.AsSpan(0, filled), deployment, out var failure))
                    {
                        if (failure is not null)
                        {
                            return failure;
                        }

                        break;
                    }

                    if (filled == pooled.Array.Length)
                    {
                        pooled.Grow(filled);
                    }
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
            {
                return PassthroughAttempts.Failed(ex, timer, deployment);
            }

            // Commit.
            if (!ctx.TryCommit())
            {
                return UpstreamFailure.Lost(deployment);
            }

            StartResponse(ctx, deployment, response, time);
            await RelayAsync(ctx, protocol, deployment, stream, pooled, filled, timer, timeouts.Idle).ConfigureAwait(false);
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

    /// <summary>Phase 2, after the commit point. Returns when the stream ended, either way.</summary>
    private static async Task RelayAsync(GatewayContext ctx, IPassthroughProtocol protocol, DeploymentTarget deployment, Stream stream,
        PooledBuffer pooled, int filled, AttemptTimer timer, TimeSpan idle)
    {
        var writer = ctx.Http.Response.BodyWriter;
        var clientWantsUsage = ctx.Request.ClientWantsUsage;
        var state = default(RelayState);
        try
        {
            while (true)
            {
                var buffer = pooled.Array;
                var consumed = WriteEvents(protocol, buffer.AsSpan(0, filled), writer, clientWantsUsage, ref ctx.Usage, ref state);
                if (consumed > 0)
                {
                    buffer.AsSpan(consumed, filled - consumed).CopyTo(buffer);
                    filled -= consumed;
                    var flush = await writer.FlushAsync(timer.Token).ConfigureAwait(false);
                    if (flush.IsCanceled)
                    {
                        ctx.Error = FailureKind.ClientCancelled;
                        return;
                    }
                }

                if (state.Terminal)
                {
                    if (state.Error)
                    {
                        ctx.Error = FailureKind.StreamCut;
                    }

                    return;
                }

                if (filled == buffer.Length)
                {
                    pooled.Grow(filled);
                }

                timer.Arm("idle", idle);
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
    /// The relay threw: the client left (nothing to write), or the upstream timed out or broke, which the client
    /// is told with an error event, if it can still be told.
    /// </summary>
    private static async Task EndBrokenAsync(GatewayContext ctx, IPassthroughProtocol protocol, DeploymentTarget deployment,
        PipeWriter writer, AttemptTimer timer)
    {
        if (timer.ClientGone)
        {
            ctx.Error = FailureKind.ClientCancelled;
            return;
        }

        var timedOut = timer.TimedOut;
        ctx.Error = timedOut ? FailureKind.Timeout : FailureKind.StreamCut;
        var message = timedOut
            ? timer.Describe(deployment.Name) + "; the stream was ended."
            : $"The connection to upstream deployment '{deployment.Name}' broke mid-stream.";
        try
        {
            protocol.WriteStreamError(writer, message, timedOut ? "upstream_timeout" : "upstream_stream_cut");
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

        /// <summary>Doubles the array, keeping its first <paramref name="filled"/> bytes. An event larger than the
        /// buffer (a big tool-call argument) is the only reason to grow.</summary>
        public void Grow(int filled)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(Array.Length * 2);
            Array.AsSpan(0, filled).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(Array);
            Array = bigger;
        }

        public void Dispose() => ArrayPool<byte>.Shared.Return(Array);
    }
}
