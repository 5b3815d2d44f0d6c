namespace Switchyard.Admission;

/// <summary>
/// Admission: may this caller make this request, now? Today that is the routing-override permission: a key
/// with <c>allow_routing_overrides: false</c> may not bring its own fallback list (<c>models</c>), opt out
/// of fallback or name a route (403). Governance adds its checks here: RPM/TPM/concurrency limits and the
/// budget reservation, each refused in the caller's format before any upstream call.
/// </summary>
public sealed class AdmissionStage : IStage
{
    /// <inheritdoc />
    public ValueTask<bool> RunAsync(GatewayContext ctx)
    {
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
