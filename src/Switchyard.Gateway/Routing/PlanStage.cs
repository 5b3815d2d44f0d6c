namespace Switchyard.Routing;

/// <summary>
/// Plan: the alias becomes an ordered list of deployments, the intended one first (routing policy), then
/// the fallback chain (fallback policy), then the client's own <c>models</c> list, each entry routed like an
/// alias. Deployments that cannot serve the request (capability, context window, open circuit, spent
/// limits) are left out; <c>x-switchyard-fallback: none</c> keeps only the intended one. When nothing is
/// left: 400 if the request is the client's to fix, 503 with Retry-After if the gateway's.
/// </summary>
public sealed class PlanStage(Planner planner) : IStage
{
    /// <inheritdoc />
    public ValueTask<bool> RunAsync(GatewayContext ctx)
    {
        var route = ctx.Route!;
        if (ctx.DryRun)
        {
            ctx.Exclusions = [];
        }

        ctx.Plan = planner.Plan(route, ctx.Request.Needs, ctx.Exclusions, peek: ctx.DryRun);
        if (ctx.Request.ClientFallbacks is { Length: > 0 } own)
        {
            if (WithClientFallbacks(ctx, own) is { } unknown)
            {
                return ctx.RefuseAsync(unknown);
            }
        }

        if (ctx.Plan.Length > 1 && GatewayHeaders.OptsOutOfFallback(ctx.Http.Request.Headers))
        {
            ctx.Plan = ctx.Plan[..1]; // the client opted out of fallback: the intended deployment or nothing
        }

        return ctx.Plan.Length == 0 ? ctx.RefuseAsync(NoDeployment(ctx, route)) : ValueTask.FromResult(true);
    }

    /// <summary>Appends the client's own fallback list to the plan; the error when it names an unknown model.</summary>
    private ClientError? WithClientFallbacks(GatewayContext ctx, string[] own)
    {
        var steps = new List<PlanStep>(ctx.Plan);
        for (var i = 0; i < own.Length; i++)
        {
            if (!ctx.Table.Aliases.TryGetValue(own[i], out var extra))
            {
                return new ClientError(404, ErrorCategory.NotFound,
                    $"The model '{own[i]}' in 'models' does not exist on this gateway.", $"models[{i}]", "model_not_found");
            }

            foreach (var step in planner.Plan(extra, ctx.Request.Needs, ctx.Exclusions, peek: ctx.DryRun))
            {
                if (!steps.Exists(s => ReferenceEquals(s.Deployment, step.Deployment)))
                {
                    steps.Add(step with { Reason = steps.Count == 0 ? PlanReason.Primary : PlanReason.Fallback });
                }
            }
        }

        ctx.Plan = steps.ToArray();
        return null;
    }

    /// <summary>
    /// Nothing can serve the request. Capability and context limits are the client's to fix (400, named);
    /// open circuits are ours (503 with Retry-After).
    /// </summary>
    private ClientError NoDeployment(GatewayContext ctx, AliasRoute route)
    {
        var excluded = new List<Exclusion>();
        planner.Plan(route, ctx.Request.Needs, excluded, peek: true);
        var reasons = string.Join("; ", excluded.Select(e => $"{e.Deployment}: {e.Reason}"));
        if (excluded.Count > 0 && excluded.All(e => e.Reason.StartsWith("context too small", StringComparison.Ordinal)))
        {
            ctx.Error = FailureKind.ContextWindow;
            return new ClientError(400, ErrorCategory.InvalidRequest,
                $"No deployment of '{ctx.Request.Model}' has a context window large enough for this request ({reasons}).", "messages", "context_length_exceeded");
        }

        if (excluded.Count > 0 && excluded.All(e => !e.Reason.StartsWith("circuit", StringComparison.Ordinal)))
        {
            ctx.Error = FailureKind.UnsupportedCapability;
            var param = excluded.All(e => e.Reason.StartsWith("max output too small", StringComparison.Ordinal)) ? "max_tokens" : null;
            return new ClientError(400, ErrorCategory.InvalidRequest,
                $"No deployment of '{ctx.Request.Model}' can serve this request ({reasons}).", param, "unsupported_capability");
        }

        ctx.Http.Response.Headers.RetryAfter = "5";
        return new ClientError(503, ErrorCategory.Overloaded,
            $"No deployment of '{ctx.Request.Model}' is available right now ({reasons}). POST /v1/route/explain shows the plan.", null, "no_available_deployment");
    }
}
