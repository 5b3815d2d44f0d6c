namespace Switchyard.Routing;

/// <summary>
/// Route: which model serves the request. A conditional route (named in <c>x-switchyard-route</c>, else the
/// first whose <c>match</c> holds) picks its primary model, or its traffic split's arm for this caller, and
/// brings its own fallback policy; otherwise the body's model is the alias. Unknown route: 400; unknown
/// model: 404. A route's shadow share is drawn here; the pipeline starts the copy.
/// </summary>
public sealed class SelectRouteStage(Random random) : IStage
{
    /// <inheritdoc />
    public ValueTask<bool> RunAsync(GatewayContext ctx)
    {
        var table = ctx.Table;
        var rule = RouteSelector.Select(table.Config.Routes, ctx.Http.Request, ctx.Request, ctx.KeyId, out var unknownRoute);
        if (unknownRoute is not null)
        {
            return ctx.RefuseAsync(new ClientError(400, ErrorCategory.InvalidRequest,
                $"Unknown route '{unknownRoute}' in {GatewayHeaders.Route}.", GatewayHeaders.Route, "unknown_route"));
        }

        var aliasName = ctx.Request.Model;
        if (rule is not null)
        {
            ctx.RouteName = rule.Name;
            ctx.Policy = rule.Policy;
            aliasName = rule.Split.Count > 0 ? SplitArm(rule, ctx) : rule.PrimaryModel;
            if (rule.Shadow is { } shadow && random.NextDouble() * 100 < shadow.Percent
                && table.Aliases.TryGetValue(shadow.Model, out var shadowRoute))
            {
                ctx.Shadow = shadowRoute;
            }
        }

        if (!table.Aliases.TryGetValue(aliasName, out var route))
        {
            return ctx.RefuseAsync(new ClientError(404, ErrorCategory.NotFound,
                $"The model '{ctx.Request.Model}' does not exist on this gateway. GET /v1/models lists the available models.",
                "model", "model_not_found"));
        }

        ctx.Route = route;
        return ValueTask.FromResult(true);
    }

    /// <summary>
    /// The split arm for this caller: a stable hash of (route, key id or user) picks a percentile, so the same
    /// caller stays on the same arm across requests and replicas; <c>sticky: none</c> draws at random.
    /// </summary>
    private string SplitArm(RouteRule rule, GatewayContext ctx)
    {
        var id = rule.Sticky switch
        {
            "user" => ctx.Request.User ?? ctx.KeyId,
            "none" => null,
            _ => ctx.KeyId,
        };
        var percentile = id is null ? random.Next(100) : (int)(StableHash(rule.Name + "\n" + id) % 100);
        foreach (var arm in rule.Split)
        {
            if (percentile < arm.Percent)
            {
                return arm.Model;
            }

            percentile -= arm.Percent;
        }

        return rule.Split[^1].Model;
    }

    /// <summary>FNV-1a: the same on every replica and every run (string.GetHashCode is randomised per process).</summary>
    private static ulong StableHash(string text)
    {
        var h = 14695981039346656037UL;
        foreach (var c in text)
        {
            h = (h ^ c) * 1099511628211UL;
        }

        return h;
    }
}
