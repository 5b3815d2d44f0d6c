using System.Buffers;
using System.Net;
using Switchyard.Ingress;
using Switchyard.Pipeline;
using Switchyard.Providers.OpenAI;
using Switchyard.Routing;
using Switchyard.Upstream;

namespace Switchyard.Dispatch;

/// <summary>
/// One upstream attempt on the OpenAI passthrough path: send the (already rewritten) body, classify the
/// answer, and either commit it to the client or return an <see cref="UpstreamFailure"/> with nothing
/// written, so the dispatcher can still fall back.
/// </summary>
public sealed class UpstreamAttempts(UpstreamHttp upstream, TimeProvider time)
{
    /// <summary>Largest upstream error body kept for relaying; the rest is dropped.</summary>
    private const int MaxErrorBody = 64 * 1024;

    /// <summary>Largest non-streamed response accepted (a big embeddings batch is a few MB).</summary>
    private const int MaxResponseBody = 64 * 1024 * 1024;

    /// <summary>Runs the attempt. Null means committed (response written); otherwise nothing was written.</summary>
    public async Task<UpstreamFailure?> RunAsync(GatewayContext ctx, DeploymentTarget deployment, ReadOnlyMemory<byte> body, TimeSpan remaining)
    {
        var timeouts = deployment.Config.Timeouts;
        using var timer = new AttemptTimer(time, remaining < timeouts.Total ? remaining : timeouts.Total, ctx.Http.RequestAborted);
        using var request = new HttpRequestMessage(HttpMethod.Post,
            ctx.Operation == OpenAIOperation.ChatCompletions ? deployment.ChatCompletionsUri : deployment.EmbeddingsUri)
        {
            Content = new PooledContent(body),
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrHigher,
        };
        request.Options.Set(UpstreamHttp.ConnectTimeoutKey, timeouts.Connect);
        request.Headers.Authorization = deployment.Authorization;
        foreach (var (name, value) in deployment.Config.Provider.Headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        timer.Arm("first_byte", timeouts.FirstByte);
        HttpResponseMessage response;
        try
        {
            response = await upstream.For(deployment.Config.Provider)
                .SendAsync(request, timer.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
        {
            return Failed(ex, timer, deployment);
        }

        using (response)
        {
            var status = (int)response.StatusCode;
            if (status is < 200 or >= 300)
            {
                return await ReadErrorAsync(response, status, deployment, timer).ConfigureAwait(false);
            }

            var isSse = response.Content.Headers.ContentType?.MediaType == "text/event-stream";
            if (ctx.Request.Stream && isSse)
            {
                return await SseRelay.RunAsync(ctx, deployment, response, timer, timeouts, time).ConfigureAwait(false);
            }

            return await RelayWholeAsync(ctx, deployment, response, status, timer, timeouts.Idle).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A non-streamed answer is read whole into a pooled buffer before the first byte goes out: it is small,
    /// its usage must be read, and a body cut half-way can then still fall back instead of reaching the
    /// client as a truncated 200.
    /// </summary>
    private async Task<UpstreamFailure?> RelayWholeAsync(GatewayContext ctx, DeploymentTarget deployment,
        HttpResponseMessage response, int status, AttemptTimer timer, TimeSpan idle)
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
                        return new UpstreamFailure(FailureKind.ServerError,
                            $"deployment '{deployment.Name}' returned a response larger than {MaxResponseBody} bytes", status);
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
                    break;
                }

                length += n;
            }

            var json = buffer.AsSpan(0, length);
            if (OpenAIUsageReader.TryRead(json, ref ctx.Usage, out var info) && info.IsError)
            {
                // Some hosts answer 200 with an error object; that is a failure, not an answer.
                return new UpstreamFailure(FailureKind.ServerError,
                    $"deployment '{deployment.Name}' returned an error object with HTTP {status}", 502, null, json.ToArray());
            }

            ClientResponses.SetOutcomeHeaders(ctx, deployment);
            var http = ctx.Http.Response;
            http.StatusCode = status;
            http.ContentType = response.Content.Headers.ContentType?.ToString() ?? "application/json";
            http.ContentLength = length;
            ctx.FirstByteTimestamp = time.GetTimestamp();
            await http.Body.WriteAsync(buffer.AsMemory(0, length), ctx.Http.RequestAborted).ConfigureAwait(false);
            return null;
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
        {
            if (ctx.Http.Response.HasStarted)
            {
                ctx.Error = FailureKind.ClientCancelled; // only the write to the client can fail after commit
                return null;
            }

            return Failed(ex, timer, deployment);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task<UpstreamFailure> ReadErrorAsync(HttpResponseMessage response, int status, DeploymentTarget deployment, AttemptTimer timer)
    {
        var kind = FailureClassifier.FromStatus(status);
        var retryAfter = RetryAfter.Parse(response.Headers, DateTimeOffset.UtcNow);
        byte[]? body = null;
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

            body = buffer.AsSpan(0, length).ToArray();
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
        {
            if (timer.ClientGone)
            {
                return new UpstreamFailure(FailureKind.ClientCancelled, "client disconnected");
            }

            // The status alone decides the failure class; the body was only for the client's benefit.
        }

        return new UpstreamFailure(kind, $"deployment '{deployment.Name}' returned HTTP {status}", status, retryAfter, body);
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
