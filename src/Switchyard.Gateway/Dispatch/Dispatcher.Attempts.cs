using System.Buffers;
using System.Diagnostics;
using Switchyard.Canonical;
using Switchyard.Health;

namespace Switchyard.Dispatch;

/// <summary>One attempt: through the deployment's circuit breaker, on the passthrough or the translated path.</summary>
public sealed partial class Dispatcher
{
    /// <summary>
    /// One attempt on <paramref name="deployment"/>, through its circuit breaker: counted, timed, and its outcome
    /// fed back to the deployment's health and the request's attempt log. A circuit that refuses the attempt
    /// yields <see cref="FailureKind.CircuitOpen"/> without any call (logged, not counted as an attempt).
    /// A hedged attempt (<paramref name="hedged"/>) gets a collector of its own, so that if it loses the race what
    /// it was sent is still metered (<see cref="GatewayContext.HedgeLoser"/>).
    /// </summary>
    private async Task<UpstreamFailure?> RunOneAsync(GatewayContext ctx, DeploymentTarget deployment, RewrittenBody body, TimeSpan remaining,
        CancellationToken abort, bool hedged = false)
    {
        var state = health.For(deployment.Name);
        if (!state.TryAcquire())
        {
            ctx.LogAttempt(deployment, FailureKind.CircuitOpen, time.GetTimestamp(), TimeSpan.Zero);
            return CircuitOpen(deployment, state);
        }

        var adapter = providers.Adapter(deployment.Config.Provider.Kind);
        var protocol = PassthroughFor(ctx, adapter);
        Interlocked.Increment(ref ctx.AttemptCount);
        if (!ctx.Hedged)
        {
            ctx.Final = deployment;
        }

        var attemptStart = time.GetTimestamp();
        var meter = hedged && adapter is not null ? new DeliveredContent(deployment, adapter) : null;
        using var span = StartSpan(ctx, deployment); // current while the attempt runs: the upstream gets its traceparent
        UpstreamFailure? failure = null;
        try
        {
            // A failover drill's injected fault stands in for the upstream call (one check when no drill runs).
            failure = faults.Active ? faults.FailureFor(deployment.Name) : null;
            if (failure is null)
            {
                var bytes = protocol is null ? default : body.For(protocol, ctx, deployment);
                failure = await AttemptAsync(ctx, protocol, adapter, deployment, bytes, remaining, abort, meter).ConfigureAwait(false);
            }
        }
        finally
        {
            var outcome = Completed(ctx, deployment, state, failure, abort, attemptStart, meter);
            EndSpan(span, outcome);
        }

        return failure;
    }

    /// <summary>
    /// The attempt's span (client kind, a child of the request's): started only when a listener asks for it (traces
    /// exported), so without one this is a field read and no allocation. Attributes follow the OpenTelemetry GenAI
    /// conventions (gateway → provider: the model is the upstream model); never any request or answer text.
    /// </summary>
    private static Activity? StartSpan(GatewayContext ctx, DeploymentTarget deployment)
    {
        var span = GatewayTracing.Source.StartActivity(GatewayTracing.AttemptOperation, ActivityKind.Client);
        if (span is { IsAllDataRequested: true })
        {
            var operation = GatewayTracing.OperationName(ctx.Operation) ?? "chat";
            var model = deployment.Config.UpstreamModel;
            var baseUrl = deployment.Config.Provider.BaseUrl;
            span.DisplayName = $"{operation} {model}";
            span.SetTag("gen_ai.operation.name", operation);
            span.SetTag("gen_ai.request.model", model);
            span.SetTag("server.address", baseUrl.Host);
            span.SetTag("server.port", baseUrl.Port);
            span.SetTag("switchyard.deployment", deployment.Name);
            span.SetTag("switchyard.provider", deployment.Config.Provider.Name);
        }

        return span;
    }

    /// <summary>Ends the attempt's span with its outcome (an error type and status when it failed).</summary>
    private static void EndSpan(Activity? span, FailureKind outcome)
    {
        if (span is not { IsAllDataRequested: true })
        {
            return;
        }

        if (outcome == FailureKind.None)
        {
            span.SetTag("gen_ai.response.model", span.GetTagItem("gen_ai.request.model"));
        }
        else
        {
            span.SetTag("error.type", FailureKinds.Name(outcome));
            span.SetStatus(ActivityStatusCode.Error);
        }
    }

    /// <summary>
    /// Feeds an attempt's outcome to the deployment's health and the request's attempt log; a hedge that lost
    /// leaves its collector to Settle, which records its cost. Returns the outcome.
    /// </summary>
    private FailureKind Completed(GatewayContext ctx, DeploymentTarget deployment, DeploymentHealth state, UpstreamFailure? failure, CancellationToken abort,
        long attemptStart, DeliveredContent? meter)
    {
        var first = failure is null ? ctx.FirstByteTimestamp : 0;
        var outcome = failure?.Kind ?? ctx.Error;
        if (failure is not null && abort.IsCancellationRequested && !ctx.Http.RequestAborted.IsCancellationRequested)
        {
            outcome = FailureKind.HedgeLost; // cancelled because the other hedged attempt won
        }

        if (outcome == FailureKind.HedgeLost && failure is not null && meter is not null)
        {
            ctx.HedgeLoser = meter; // only two attempts race, so there is at most one loser
        }
        else if (meter is not null && !ReferenceEquals(meter, ctx.Delivered))
        {
            meter.Dispose();
        }

        var elapsed = time.GetElapsedTime(attemptStart);
        state.Complete(outcome, elapsed, first == 0 ? null : time.GetElapsedTime(attemptStart, first));
        if (failure is null)
        {
            state.RecordTokens(ctx.Usage.TotalTokens);
        }

        ctx.LogAttempt(deployment, outcome, attemptStart, elapsed);
        return outcome;
    }

    private static UpstreamFailure CircuitOpen(DeploymentTarget deployment, DeploymentHealth state)
    {
        var wait = state.OpenFor;
        return new UpstreamFailure(FailureKind.CircuitOpen, wait > TimeSpan.Zero
            ? $"deployment '{deployment.Name}' is unavailable: its circuit breaker is open for another {Math.Ceiling(wait.TotalSeconds):0} s"
            : $"deployment '{deployment.Name}' is unavailable: its circuit breaker is half-open and its trial requests are taken", 503,
            RetryAfter: wait > TimeSpan.Zero ? wait : TimeSpan.FromSeconds(1));
    }

    private IPassthroughProtocol? PassthroughFor(GatewayContext ctx, IProviderAdapter? adapter)
    {
        if (ctx.Guard is { Translate: true })
        {
            return null; // a redacted prompt, or an answer a guardrail must read: the translated path (docs/adr/0016)
        }

        if (MediaOperations.IsMedia(ctx.Operation))
        {
            return null; // the provider's media endpoints build their own call, passthrough or not (MediaAttempts)
        }

        var protocol = providers.Passthrough(ctx.Format.PassthroughProtocol);
        return protocol is not null && protocol.Protocol == adapter?.Protocol ? protocol : null;
    }

    /// <summary>
    /// For a media call to a deployment of the client's own protocol (OpenAI's images, audio, moderations to the OpenAI
    /// family or Azure), the relay whose error classification keeps the upstream's error body as the client's answer.
    /// </summary>
    private IPassthroughProtocol? SameProtocolErrors(GatewayContext ctx, IProviderAdapter adapter) =>
        providers.Passthrough(ctx.Format.PassthroughProtocol) is { } relay && relay.Protocol == adapter.Protocol ? relay : null;

    /// <summary>
    /// Parses the canonical request once, when the first deployment that needs translation comes up. The
    /// refusal to answer when the client's body cannot be translated; null when the step can be attempted.
    /// </summary>
    private ClientError? Prepare(GatewayContext ctx, DeploymentTarget deployment)
    {
        if (ctx.Canonical is not null || ctx.Operation == Operation.Embeddings || MediaOperations.IsMedia(ctx.Operation))
        {
            return null;
        }

        var adapter = providers.Adapter(deployment.Config.Provider.Kind);
        if (adapter is null || PassthroughFor(ctx, adapter) is not null)
        {
            return null;
        }

        ClientError? error;
        ChatRequest request;
        try
        {
            error = ctx.Format.Parse(ctx.Body!.Span, ctx.Http, out request);
        }
        catch (InvalidOperationException)
        {
            // System.Text.Json refuses a string it cannot turn into UTF-16 (an escaped lone surrogate, "\ud800"):
            // the body is JSON, but no provider can be sent its text.
            return new ClientError(400, ErrorCategory.InvalidRequest,
                "The request body holds a string that is not valid Unicode (an unpaired surrogate escape such as \\ud800).", null, "invalid_unicode");
        }

        if (error is not null)
        {
            return error;
        }

        ctx.Canonical = request;
        return null;
    }

    /// <summary>Picks the attempt kind. Not async: it only forwards, so it costs no state machine per request.</summary>
    private Task<UpstreamFailure?> AttemptAsync(GatewayContext ctx, IPassthroughProtocol? protocol, IProviderAdapter? adapter,
        DeploymentTarget deployment, ReadOnlyMemory<byte> body, TimeSpan remaining, CancellationToken abort, DeliveredContent? meter)
    {
        if (protocol is not null)
        {
            return passthrough.RunAsync(ctx, protocol, adapter!, deployment, body, remaining, abort, meter);
        }

        if (adapter is null)
        {
            return Task.FromResult<UpstreamFailure?>(new UpstreamFailure(FailureKind.UnsupportedCapability,
                $"deployment '{deployment.Name}' uses provider kind {deployment.Config.Provider.Kind}, which this build cannot call"));
        }

        if (MediaOperations.IsMedia(ctx.Operation))
        {
            return providers.Media(deployment.Config.Provider.Kind) is { } native && (native.Serves & MediaOperations.KindOf(ctx.Operation)) != 0
                ? media.RunAsync(ctx, native, adapter, deployment, remaining, abort, SameProtocolErrors(ctx, adapter))
                : Task.FromResult<UpstreamFailure?>(new UpstreamFailure(FailureKind.UnsupportedCapability,
                    $"deployment '{deployment.Name}' does not serve {MediaOperations.Name(MediaOperations.KindOf(ctx.Operation))}") { Param = "model" });
        }

        if (ctx.Operation == Operation.Embeddings)
        {
            return providers.Embeddings(deployment.Config.Provider.Kind) is { } native
                ? embeddings.RunAsync(ctx, native, adapter, deployment, remaining, abort, meter)
                : Task.FromResult<UpstreamFailure?>(new UpstreamFailure(FailureKind.UnsupportedCapability,
                    $"deployment '{deployment.Name}' does not serve embeddings") { Param = "model" });
        }

        return translated.RunAsync(ctx, adapter, deployment, remaining, abort, meter);
    }

    /// <summary>The passthrough bodies of one request: the primary's, and a hedge's (made only when a hedge runs).</summary>
    private sealed class AttemptBodies : IDisposable
    {
        private RewrittenBody? hedge;

        public RewrittenBody Primary { get; } = new();

        public RewrittenBody Hedge => hedge ??= new RewrittenBody();

        public void Dispose()
        {
            Primary.Dispose();
            hedge?.Dispose();
        }
    }

    /// <summary>The passthrough body for the current deployment, rebuilt only when the upstream model changes.</summary>
    private sealed class RewrittenBody : IDisposable
    {
        private byte[]? buffer;
        private int length;
        private DeploymentTarget? builtFor;

        public ReadOnlyMemory<byte> For(IPassthroughProtocol protocol, GatewayContext ctx, DeploymentTarget deployment)
        {
            if (builtFor is null || !builtFor.EncodedModel.AsSpan().SequenceEqual(deployment.EncodedModel))
            {
                Dispose();
                buffer = protocol.RewriteBody(ctx.Body!.Span, ctx.Request, deployment, out length);
                builtFor = deployment;
            }

            return buffer.AsMemory(0, length);
        }

        public void Dispose()
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = null;
            }
        }
    }
}
