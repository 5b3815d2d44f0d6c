namespace Switchyard.Admission;

/// <summary>
/// Admission: may this caller make this request, now? The gateway must be able to record it (503 while no
/// store takes usage records and <c>usage.on_store_failure</c> is <c>refuse</c>: traffic that cannot be billed
/// is not served), and a key with <c>allow_routing_overrides: false</c> may not bring its own fallback list
/// (<c>models</c>), opt out of fallback or name a route (403). Governance adds its checks here: RPM/TPM/concurrency
/// limits and the budget reservation, each refused in the caller's format before any upstream call.
/// </summary>
public sealed class AdmissionStage(IUsageRecordingGate usage) : IStage
{
    /// <summary>Seconds a client is asked to wait after a 503 for unrecordable traffic (the writer retries at least every second).</summary>
    private const string RetryAfterSeconds = "1";

    /// <inheritdoc />
    public ValueTask<bool> RunAsync(GatewayContext ctx)
    {
        if (usage.RefusalReason is not null)
        {
            // The reason (which store, what error) is for operators, on /health/ready and in the log.
            ctx.Http.Response.Headers.RetryAfter = RetryAfterSeconds;
            return ctx.RefuseAsync(new ClientError(503, ErrorCategory.Overloaded,
                "The gateway cannot record usage right now, so it takes no requests; retry shortly.", null, "usage_store_unavailable"));
        }

        var headers = ctx.Http.Request.Headers;
        if (ctx.Caller is { AllowRoutingOverrides: false }
            && (ctx.Request.ClientFallbacks is not null || headers.ContainsKey(GatewayHeaders.NoFallback) || headers.ContainsKey(GatewayHeaders.Route)))
        {
            return ctx.RefuseAsync(new ClientError(403, ErrorCategory.PermissionDenied,
                "This key may not override routing ('models', x-switchyard-fallback, x-switchyard-route).", null, "routing_override_not_allowed"));
        }

        return ValueTask.FromResult(true);
    }
}
