namespace Switchyard.Admission;

/// <summary>
/// Admission: what the caller's key allows. Identifies the customer the request is made for (the key's own
/// customer, else <c>x-switchyard-customer</c>, else the body's <c>user</c>; recorded in usage), and refuses a
/// model the key may not use (403 <c>model_not_allowed</c>, in the caller's format, naming the model) before
/// anything is routed: the body's model, each entry of the client's own fallback list, and the models of a
/// route the client names. The key's <c>allowed_models</c> apply, else its team's; neither: every model.
/// Routes the operator configured to match by themselves are the operator's choice and are not judged here.
/// </summary>
public sealed class KeyPolicyStage(IGovernanceDirectory directory) : IStage
{
    /// <summary>The request header naming the customer (a team's end user) the request is made for.</summary>
    public const string CustomerHeader = "x-switchyard-customer";

    /// <inheritdoc />
    public ValueTask<bool> RunAsync(GatewayContext ctx)
    {
        var policy = ctx.Caller?.Policy ?? KeyPolicy.None;
        if (Customer(ctx, policy) is { } refused)
        {
            return ctx.RefuseAsync(refused);
        }

        var allowed = AllowedModels(policy, directory);
        if (allowed.Count > 0 && ForbiddenModel(ctx, allowed) is { } forbidden)
        {
            return ctx.RefuseAsync(forbidden);
        }

        return ValueTask.FromResult(true);
    }

    /// <summary>The models a key may use: its own list, else its team's; empty: every model.</summary>
    public static IReadOnlyList<string> AllowedModels(KeyPolicy policy, IGovernanceDirectory directory) =>
        policy.AllowedModels.Count > 0 || policy.TeamId is null ? policy.AllowedModels : directory.Team(policy.TeamId)?.AllowedModels ?? [];

    /// <summary>The 403 for a model the key may not use.</summary>
    public static ClientError NotAllowed(string model, string param) =>
        new(403, ErrorCategory.PermissionDenied, $"This key may not use the model '{model}'.", param, "model_not_allowed");

    /// <summary>Sets <see cref="GatewayContext.CustomerId"/>; the refusal when the header or the body's <c>user</c> is unusable.</summary>
    private static ClientError? Customer(GatewayContext ctx, KeyPolicy policy)
    {
        var header = ctx.Http.Request.Headers[CustomerHeader];
        if (header.Count > 1)
        {
            return new ClientError(400, ErrorCategory.InvalidRequest, $"Send {CustomerHeader} once.", CustomerHeader, "invalid_customer");
        }

        var named = header.Count == 1 ? header[0] : null;
        if (named is not null && GovernanceRules.CheckCustomerId(named) is { } invalid)
        {
            return new ClientError(400, ErrorCategory.InvalidRequest, $"Invalid {CustomerHeader}: {invalid}.", CustomerHeader, "invalid_customer");
        }

        if (policy.CustomerId is { } own)
        {
            // A customer's own key acts for that customer only: it cannot move its usage onto another one.
            if (named is not null && named != own)
            {
                return new ClientError(403, ErrorCategory.PermissionDenied,
                    $"This key belongs to a customer and may not act for another ({CustomerHeader}).", CustomerHeader, "customer_not_allowed");
            }

            ctx.CustomerId = own;
            return null;
        }

        if (named is null && ctx.Request.User is { } user && GovernanceRules.CheckCustomerId(user) is { } invalidUser)
        {
            return new ClientError(400, ErrorCategory.InvalidRequest, $"Invalid 'user': {invalidUser}.", "user", "invalid_value");
        }

        ctx.CustomerId = named ?? ctx.Request.User;
        return null;
    }

    /// <summary>
    /// The refusal for the first model of the request the key may not use, or null. A call that names no model (a list of
    /// the key's files, batches or videos: every model request has one, its parsers refuse it missing) is not judged by
    /// model: the objects it reaches were judged when the key made them.
    /// </summary>
    private static ClientError? ForbiddenModel(GatewayContext ctx, IReadOnlyList<string> allowed)
    {
        if (!string.IsNullOrEmpty(ctx.Request.Model) && !GovernanceRules.AllowsModel(allowed, ctx.Request.Model))
        {
            return NotAllowed(ctx.Request.Model, "model");
        }

        if (ctx.Request.ClientFallbacks is { } fallbacks)
        {
            for (var i = 0; i < fallbacks.Length; i++)
            {
                if (!GovernanceRules.AllowsModel(allowed, fallbacks[i]))
                {
                    return NotAllowed(fallbacks[i], $"models[{i}]");
                }
            }
        }

        // A route named in the header serves its own models, whatever the body says.
        if (ctx.Http.Request.Headers[GatewayHeaders.Route] is { Count: 1 } named)
        {
            foreach (var rule in ctx.Table.Config.Routes)
            {
                if (rule.Name == named[0])
                {
                    return RouteModelNotAllowed(rule, allowed);
                }
            }
        }

        return null;
    }

    private static ClientError? RouteModelNotAllowed(RouteRule rule, IReadOnlyList<string> allowed)
    {
        if (!GovernanceRules.AllowsModel(allowed, rule.PrimaryModel))
        {
            return NotAllowed(rule.PrimaryModel, GatewayHeaders.Route);
        }

        foreach (var arm in rule.Split)
        {
            if (!GovernanceRules.AllowsModel(allowed, arm.Model))
            {
                return NotAllowed(arm.Model, GatewayHeaders.Route);
            }
        }

        return null;
    }
}
