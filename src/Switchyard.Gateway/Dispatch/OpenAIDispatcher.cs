using System.Buffers;
using Microsoft.Extensions.Logging;
using Switchyard.Configuration;
using Switchyard.Ingress;
using Switchyard.Pipeline;
using Switchyard.Providers.OpenAI;
using Switchyard.Routing;

namespace Switchyard.Dispatch;

/// <summary>
/// Walks a request's plan: for each step, rewrite the body for the deployment, attempt it, and on failure
/// ask the <see cref="RetryDecider"/> whether to retry, switch or stop, until one attempt commits a response
/// to the client. The commit point is the first byte sent: before it any failure may still fall back;
/// after it a failure can only end the response honestly (see <see cref="SseRelay"/>).
/// </summary>
public sealed partial class OpenAIDispatcher(UpstreamAttempts attempts, TimeProvider time, Random random, ILogger<OpenAIDispatcher> logger)
{
    /// <summary>Dispatches <paramref name="ctx"/> and writes the client's response.</summary>
    public async Task RunAsync(GatewayContext ctx)
    {
        var policy = ctx.Route!.Alias.Policy;
        var plan = ctx.Plan;
        var deadline = ctx.StartTimestamp;
        UpstreamFailure? last = null;
        byte[]? body = null;
        var bodyLength = 0;
        DeploymentTarget? bodyFor = null;
        try
        {
            for (var step = 0; step < plan.Length; step++)
            {
                var deployment = plan[step].Deployment;
                if (bodyFor is null || !bodyFor.EncodedModel.AsSpan().SequenceEqual(deployment.EncodedModel))
                {
                    if (body is not null)
                    {
                        ArrayPool<byte>.Shared.Return(body);
                    }

                    body = OpenAIBodyRewriter.Rewrite(ctx.Body!.Span, ctx.Request, deployment.EncodedModel, out bodyLength);
                }

                bodyFor = deployment;
                for (var retries = 0; ; retries++)
                {
                    var remaining = policy.RequestTimeout - time.GetElapsedTime(deadline);
                    if (remaining <= TimeSpan.Zero)
                    {
                        last = new UpstreamFailure(FailureKind.DeadlineExceeded,
                            $"The request's deadline of {policy.RequestTimeout.TotalSeconds:0.###} s passed after {ctx.Attempts} attempt(s).");
                        await ClientResponses.WriteFailureAsync(ctx, last).ConfigureAwait(false);
                        return;
                    }

                    ctx.Attempts++;
                    ctx.Final = deployment;
                    var failure = await attempts.RunAsync(ctx, deployment, body.AsMemory(0, bodyLength), remaining).ConfigureAwait(false);
                    if (failure is null)
                    {
                        return; // committed: the response (or an honest end of it) has been written
                    }

                    last = failure;
                    if (ctx.FallbackReason == FailureKind.None && failure.Kind != FailureKind.ClientCancelled)
                    {
                        ctx.FallbackReason = failure.Kind;
                    }

                    var facts = new FailureFacts(failure.Kind, retries, ctx.Attempts, step + 1 < plan.Length,
                        failure.RetryAfter, policy.RequestTimeout - time.GetElapsedTime(deadline));
                    var decision = RetryDecider.Decide(policy, facts, random.NextDouble());
                    LogAttemptFailed(logger, ctx.RequestId, deployment.Name, FailureKinds.Name(failure.Kind), failure.Status, decision.Move, decision.Delay.TotalMilliseconds);
                    if (decision.Move == NextMove.Retry)
                    {
                        await Task.Delay(decision.Delay, time, ctx.Http.RequestAborted).ConfigureAwait(false);
                        continue;
                    }

                    if (decision.Move == NextMove.Switch)
                    {
                        break;
                    }

                    if (failure.Kind != FailureKind.ClientCancelled)
                    {
                        await ClientResponses.WriteFailureAsync(ctx, failure).ConfigureAwait(false);
                    }
                    else
                    {
                        ctx.Error = FailureKind.ClientCancelled;
                    }

                    return;
                }
            }

            // Every step switched away: answer with the last failure.
            await ClientResponses.WriteFailureAsync(ctx, last!).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ctx.Http.RequestAborted.IsCancellationRequested)
        {
            ctx.Error = FailureKind.ClientCancelled; // client left during a backoff delay
        }
        finally
        {
            if (body is not null)
            {
                ArrayPool<byte>.Shared.Return(body);
            }
        }
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information,
        Message = "Request {RequestId}: attempt on deployment {Deployment} failed ({Kind}, HTTP {Status}); next: {Move} after {DelayMs} ms")]
    private static partial void LogAttemptFailed(ILogger logger, string requestId, string deployment, string kind, int status, NextMove move, double delayMs);
}
