using System.Buffers;
using System.Net;
using Switchyard.Canonical;
using Switchyard.Pipeline;
using Switchyard.Routing;
using Switchyard.Upstream;

namespace Switchyard.Dispatch;

/// <summary>
/// One upstream attempt on a passthrough path (client and upstream speak the same protocol): send the
/// rewritten body, classify the answer, and either commit it to the client or return an
/// <see cref="UpstreamFailure"/> with nothing written, so the dispatcher can still fall back.
/// </summary>
public sealed class PassthroughAttempts(UpstreamHttp upstream, TimeProvider time)
{
    /// <summary>Largest upstream error body kept for relaying; the rest is dropped.</summary>
    internal const int MaxErrorBody = 64 * 1024;

    /// <summary>Largest non-streamed response accepted (a big embeddings batch is a few MB).</summary>
    internal const int MaxResponseBody = 64 * 1024 * 1024;

    /// <summary>Runs the attempt. Null means committed (response written); otherwise nothing was written.</summary>
    /// <param name="abort">The client's disconnect, or (hedged) that linked with "the other attempt won".</param>
    public async Task<UpstreamFailure?> RunAsync(GatewayContext ctx, IPassthroughProtocol protocol, IProviderAdapter adapter,
        DeploymentTarget deployment, ReadOnlyMemory<byte> body, TimeSpan remaining, CancellationToken abort)
    {
        var timeouts = deployment.Config.Timeouts;
        using var timer = new AttemptTimer(time, remaining < timeouts.Total ? remaining : timeouts.Total, abort);
        using var request = new HttpRequestMessage(HttpMethod.Post, (Uri?)null)
        {
            Content = new PooledContent(body),
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrHigher,
        };
        adapter.PreparePassthrough(request, deployment, ctx.Operation, ctx.Request.Stream);
        protocol.ApplyClientHeaders(request, ctx.Http.Request.Headers);
        var (response, failure) = await UpstreamSend.SendAsync(upstream, request, deployment, timer, adapter, protocol).ConfigureAwait(false);
        if (failure is not null)
        {
            return failure;
        }

        using (response)
        {
            var status = (int)response!.StatusCode;
            if (ctx.Request.Stream && response.Content.Headers.ContentType?.MediaType == "text/event-stream")
            {
                return await SseRelay.RunAsync(ctx, protocol, deployment, response, timer, timeouts, time).ConfigureAwait(false);
            }

            return await RelayWholeAsync(ctx, protocol, deployment, response, status, timer, timeouts.Idle).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A non-streamed answer is read whole into a pooled buffer before the first byte goes out: it is small,
    /// its usage must be read, and a body cut half-way can then still fall back instead of reaching the
    /// client as a truncated 200.
    /// </summary>
    private async Task<UpstreamFailure?> RelayWholeAsync(GatewayContext ctx, IPassthroughProtocol protocol, DeploymentTarget deployment,
        HttpResponseMessage response, int status, AttemptTimer timer, TimeSpan idle)
    {
        var (buffer, length, failure) = await ReadWholeAsync(response, deployment, timer, idle).ConfigureAwait(false);
        if (failure is not null)
        {
            return failure;
        }

        try
        {
            var json = buffer!.AsSpan(0, length);
            var usage = default(TokenUsage);
            if (protocol.InspectBody(json, ref usage))
            {
                // Some hosts answer 200 with an error object; that is a failure, not an answer.
                return new UpstreamFailure(FailureKind.ServerError,
                    $"deployment '{deployment.Name}' returned an error object with HTTP {status}", 502, null, json.ToArray()) { ClientShaped = true };
            }

            if (!ctx.TryCommit())
            {
                return UpstreamFailure.Lost(deployment);
            }

            ctx.Usage = usage;
            await ClientResponses.WriteWholeAsync(ctx, deployment, status, ContentTypeOf(response, "application/json"),
                buffer.AsMemory(0, length), time).ConfigureAwait(false);
            return null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer!);
        }
    }

    /// <summary>The upstream's content type; the common plain values come from constants rather than a fresh string per response.</summary>
    internal static string ContentTypeOf(HttpResponseMessage response, string fallback) => response.Content.Headers.ContentType switch
    {
        null => fallback,
        { CharSet: null, MediaType: "application/json" } => "application/json",
        { CharSet: null, MediaType: "text/event-stream" } => "text/event-stream",
        var other => other.ToString(),
    };

    /// <summary>Reads a whole 2xx body into a pooled buffer, each read within the idle timeout.</summary>
    internal static async Task<(byte[]? Buffer, int Length, UpstreamFailure? Failure)> ReadWholeAsync(
        HttpResponseMessage response, DeploymentTarget deployment, AttemptTimer timer, TimeSpan idle)
    {
        var declared = response.Content.Headers.ContentLength;
        var buffer = ArrayPool<byte>.Shared.Rent(declared is > 0 and < MaxResponseBody ? (int)declared : 16 * 1024);
        var length = 0;
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(timer.Token).ConfigureAwait(false);
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (buffer.Length >= MaxResponseBody)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        return (null, 0, new UpstreamFailure(FailureKind.ServerError,
                            $"deployment '{deployment.Name}' returned a response larger than {MaxResponseBody} bytes", 502));
                    }

                    var bigger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, length).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }

                timer.Arm("idle", idle);
                var n = await stream.ReadAsync(buffer.AsMemory(length), timer.Token).ConfigureAwait(false);
                if (n == 0)
                {
                    return (buffer, length, null);
                }

                length += n;
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            return (null, 0, Failed(ex, timer, deployment));
        }
    }

    /// <summary>Reads (at most <see cref="MaxErrorBody"/> of) an error body; the status alone decides the failure class.</summary>
    internal static async Task<(byte[]? Body, bool ClientGone)> ReadErrorBodyAsync(HttpResponseMessage response, DeploymentTarget deployment, AttemptTimer timer)
    {
        try
        {
            timer.Arm("idle", deployment.Config.Timeouts.Idle);
            await using var stream = await response.Content.ReadAsStreamAsync(timer.Token).ConfigureAwait(false);
            var buffer = new byte[MaxErrorBody];
            var length = 0;
            int n;
            while (length < buffer.Length && (n = await stream.ReadAsync(buffer.AsMemory(length), timer.Token).ConfigureAwait(false)) > 0)
            {
                length += n;
            }

            return (buffer.AsSpan(0, length).ToArray(), false);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
        {
            return (null, timer.ClientGone);
        }
    }

    /// <summary>Classifies an exception of an attempt that wrote nothing to the client.</summary>
    internal static UpstreamFailure Failed(Exception ex, AttemptTimer timer, DeploymentTarget deployment)
    {
        var kind = FailureClassifier.FromException(ex, timer.TimedOut, timer.ClientGone);
        var message = kind switch
        {
            FailureKind.ClientCancelled => "client disconnected",
            FailureKind.Timeout => timer.Describe(deployment.Name),
            FailureKind.StreamCut => $"deployment '{deployment.Name}' closed the connection before the response was complete",
            _ => $"deployment '{deployment.Name}' could not be reached: {ex.Message}",
        };
        return new UpstreamFailure(kind, message);
    }
}
