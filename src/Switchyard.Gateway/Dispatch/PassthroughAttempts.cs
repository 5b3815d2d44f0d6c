using System.Buffers;
using System.Net;
using System.Text.Json;
using Switchyard.Canonical;
using Switchyard.Upstream;

namespace Switchyard.Dispatch;

/// <summary>
/// One upstream attempt on a passthrough path (client and upstream speak the same protocol): send the
/// rewritten body, classify the answer, and either commit it to the client or return an
/// <see cref="UpstreamFailure"/> with nothing written, so the dispatcher can still fall back.
/// </summary>
public sealed class PassthroughAttempts(UpstreamHttp upstream, TimeProvider time, DrainSignal drain)
{
    /// <summary>Largest upstream error body kept for relaying; the rest is dropped.</summary>
    internal const int MaxErrorBody = 64 * 1024;

    /// <summary>Largest non-streamed response accepted (a big embeddings batch is a few MB).</summary>
    internal const int MaxResponseBody = 64 * 1024 * 1024;

    /// <summary>Runs the attempt. Null means committed (response written); otherwise nothing was written.</summary>
    /// <param name="abort">The client's disconnect, or (hedged) that linked with "the other attempt won".</param>
    /// <param name="meter">A hedged attempt's collector, which keeps what it was sent if it loses (null otherwise).</param>
    public async Task<UpstreamFailure?> RunAsync(GatewayContext ctx, IPassthroughProtocol protocol, IProviderAdapter adapter,
        DeploymentTarget deployment, ReadOnlyMemory<byte> body, TimeSpan remaining, CancellationToken abort, DeliveredContent? meter)
    {
        var timeouts = deployment.Config.Timeouts;
        using var timer = new AttemptTimer(time, remaining < timeouts.Total ? remaining : timeouts.Total, abort, drain.Expired);
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
                return await SseRelay.RunAsync(ctx, protocol, adapter, deployment, response, timer, meter, time).ConfigureAwait(false);
            }

            return await RelayWholeAsync(ctx, protocol, adapter, deployment, response, status, timer, meter).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A non-streamed answer is read whole into a pooled buffer before the first byte goes out: it is small,
    /// its usage must be read, and a body cut half-way can then still fall back instead of reaching the
    /// client as a truncated 200. So can a 2xx body that is not JSON at all (a proxy's page, a wrong base URL).
    /// </summary>
    private async Task<UpstreamFailure?> RelayWholeAsync(GatewayContext ctx, IPassthroughProtocol protocol, IProviderAdapter adapter,
        DeploymentTarget deployment, HttpResponseMessage response, int status, AttemptTimer timer, DeliveredContent? meter)
    {
        var (buffer, length, failure) = await ReadWholeAsync(response, deployment, timer, deployment.Config.Timeouts.Idle, MaxResponseBody).ConfigureAwait(false);
        if (failure is not null)
        {
            return failure;
        }

        try
        {
            var json = buffer!.AsSpan(0, length);
            var usage = default(TokenUsage);
            if (Inspect(protocol, deployment, json, status, ref usage) is { } invalid)
            {
                return invalid;
            }

            if (!ctx.TryCommit())
            {
                Received(meter, json, usage); // a hedge that lost: what it was sent counts to its cost
                return UpstreamFailure.Lost(deployment);
            }

            ctx.Usage = usage;
            if (ctx.Cache?.Capture is { } capture)
            {
                capture.AddRaw(json, deployment, adapter, stream: false); // for the exact cache (docs/adr/0015)
                capture.Completed();
            }

            if (usage.InputTokens == 0 && usage.OutputTokens == 0)
            {
                // A server that omits usage: keep the answer, so Settle can count what the client was given.
                Received(ctx.Delivered = meter ?? new DeliveredContent(deployment, adapter), json, usage);
            }

            await ClientResponses.WriteWholeAsync(ctx, deployment, status, ContentTypeOf(response, "application/json"),
                buffer.AsMemory(0, length), time).ConfigureAwait(false);
            return null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer!);
        }
    }

    /// <summary>Reads usage off a whole 2xx body; the failure when it is not JSON, or is an error object (some hosts answer 200 with one).</summary>
    private static UpstreamFailure? Inspect(IPassthroughProtocol protocol, DeploymentTarget deployment, ReadOnlySpan<byte> json, int status, ref TokenUsage usage)
    {
        if (!IsJson(json))
        {
            return new UpstreamFailure(FailureKind.InvalidResponse,
                $"deployment '{deployment.Name}' answered HTTP {status} with a body that is not valid JSON ({json.Length} bytes)", 502);
        }

        return protocol.InspectBody(json, ref usage)
            ? new UpstreamFailure(FailureKind.ServerError,
                $"deployment '{deployment.Name}' returned an error object with HTTP {status}", 502, null, json.ToArray()) { ClientShaped = true }
            : null;
    }

    /// <summary>Keeps a whole body and its reported usage in <paramref name="meter"/>, if there is one.</summary>
    private static void Received(DeliveredContent? meter, ReadOnlySpan<byte> json, in TokenUsage usage)
    {
        if (meter is not null)
        {
            meter.Form = DeliveredForm.UpstreamBody;
            meter.Complete = true;
            meter.Reported.Merge(usage);
            meter.Append(json);
        }
    }

    /// <summary>
    /// True when <paramref name="json"/> is one complete JSON value (and nothing after it). A pass of
    /// <see cref="Utf8JsonReader"/> over the body: no allocation, about a microsecond per kilobyte.
    /// </summary>
    internal static bool IsJson(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        try
        {
            while (reader.Read())
            {
            }

            return reader.BytesConsumed > 0;
        }
        catch (JsonException)
        {
            return false;
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

    /// <summary>
    /// Reads a whole 2xx body into a pooled buffer, each read within the idle timeout; a body past
    /// <paramref name="max"/> bytes (announced or read) fails the attempt before it can take more memory.
    /// </summary>
    internal static async Task<(byte[]? Buffer, int Length, UpstreamFailure? Failure)> ReadWholeAsync(
        HttpResponseMessage response, DeploymentTarget deployment, AttemptTimer timer, TimeSpan idle, int max)
    {
        var declared = response.Content.Headers.ContentLength;
        if (declared > max)
        {
            return (null, 0, TooLarge(deployment, max));
        }

        var buffer = ArrayPool<byte>.Shared.Rent(declared is > 0 ? (int)declared : 16 * 1024);
        var length = 0;
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(timer.Token).ConfigureAwait(false);
            while (true)
            {
                if (length == buffer.Length && length < max)
                {
                    var bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min(buffer.Length * 2L, max));
                    buffer.AsSpan(0, length).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }

                timer.Arm("idle", idle);
                var n = length < buffer.Length
                    ? await stream.ReadAsync(buffer.AsMemory(length), timer.Token).ConfigureAwait(false)
                    : await stream.ReadAsync(new byte[1], timer.Token).ConfigureAwait(false); // full at the bound: one more byte is one too many
                if (n == 0)
                {
                    return (buffer, length, null);
                }

                length += n;
                if (length > max)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    return (null, 0, TooLarge(deployment, max));
                }
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            return (null, 0, Failed(ex, timer, deployment));
        }
    }

    private static UpstreamFailure TooLarge(DeploymentTarget deployment, int max) => new(FailureKind.ResponseTooLarge,
        $"deployment '{deployment.Name}' returned a response larger than {max} bytes (the gateway's bound for a whole answer)", 502);

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
        if (timer.ShuttingDown)
        {
            return new UpstreamFailure(FailureKind.ShuttingDown, $"the gateway is shutting down: the attempt on deployment '{deployment.Name}' was ended", 503);
        }

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
