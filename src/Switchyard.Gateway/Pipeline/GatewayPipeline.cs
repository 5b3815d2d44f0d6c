using Microsoft.AspNetCore.Http;
using Switchyard.Auth;
using Switchyard.Canonical;
using Switchyard.Configuration;
using Switchyard.Dispatch;
using Switchyard.Ingress;
using Switchyard.Routing;
using Switchyard.Usage;

namespace Switchyard.Pipeline;

/// <summary>
/// The request's path, in order: Ingress (id, content type, body, parse) → Auth → Route (alias → plan) →
/// Dispatch (attempts, relay) → Settle (usage record). Each stage either fills the
/// <see cref="GatewayContext"/> or answers the client itself in OpenAI's error shape, and nothing that is
/// refused here ever reaches an upstream.
/// </summary>
public sealed class GatewayPipeline(RouterState router, Planner planner, Dispatcher dispatcher, UsageWriter usage, TimeProvider time, Random random)
{
    /// <summary>Header with which a client opts out of fallback (<c>none</c>): only the intended deployment is tried.</summary>
    public const string NoFallbackHeader = "x-switchyard-fallback";

    /// <summary>Header carrying the client's deadline for the whole request (<c>1500ms</c>, <c>2s</c>; a bare number is seconds).</summary>
    public const string TimeoutHeader = "x-switchyard-timeout";

    /// <summary>Handles one request in <paramref name="format"/>.</summary>
    public async Task HandleAsync(HttpContext http, IInboundFormat format, OpenAIOperation operation)
    {
        var table = router.Current; // one snapshot for the whole request, even across a reload
        var ctx = new GatewayContext(http, format, operation, RequestIds.Of(http), time.GetTimestamp(), time.GetUtcNow().ToUnixTimeMilliseconds());
        try
        {
            if (await AdmitAsync(ctx, table).ConfigureAwait(false))
            {
                await dispatcher.RunAsync(ctx).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            ctx.Error = FailureKind.ClientCancelled;
        }
        catch (IOException) when (http.RequestAborted.IsCancellationRequested)
        {
            ctx.Error = FailureKind.ClientCancelled;
        }
        finally
        {
            ctx.Body?.Dispose();
            usage.Enqueue(ctx.ToRecord(time));
        }
    }

    /// <summary>Ingress, Auth and Route. False when the request was refused (the response is written).</summary>
    private async Task<bool> AdmitAsync(GatewayContext ctx, RouteTable table)
    {
        var http = ctx.Http;
        switch (table.Authenticator.Authenticate(http.Request, out var keyId))
        {
            case AuthOutcome.Missing:
                http.Response.Headers.WWWAuthenticate = "Bearer";
                return await RefuseAsync(ctx, new ClientError(401, ErrorCategory.Authentication,
                    "You didn't provide an API key. Send it as 'Authorization: Bearer <key>' (or 'x-api-key').", null, "missing_api_key")).ConfigureAwait(false);
            case AuthOutcome.Invalid:
                return await RefuseAsync(ctx, new ClientError(401, ErrorCategory.Authentication,
                    "Incorrect API key provided.", null, "invalid_api_key")).ConfigureAwait(false);
        }

        ctx.KeyId = keyId;
        if (http.Request.Headers[TimeoutHeader] is { Count: 1 } timeout)
        {
            if (!Configuration.ValueParsers.TryParseDuration(timeout[0]!, out var deadline, out var why))
            {
                return await RefuseAsync(ctx, new ClientError(400, ErrorCategory.InvalidRequest,
                    $"Invalid {TimeoutHeader} header: {why}.", TimeoutHeader, "invalid_timeout")).ConfigureAwait(false);
            }

            ctx.ClientDeadline = deadline;
        }

        if (!IsJson(http.Request.ContentType))
        {
            return await RefuseAsync(ctx, new ClientError(415, ErrorCategory.InvalidRequest,
                $"Unsupported Content-Type '{http.Request.ContentType}': send the body as 'application/json'.", null, "unsupported_media_type")).ConfigureAwait(false);
        }

        var limit = table.Config.Server.MaxRequestBodyBytes;
        var (body, tooLarge) = await RequestBody.ReadAsync(http.Request, limit, http.RequestAborted).ConfigureAwait(false);
        if (tooLarge)
        {
            return await RefuseAsync(ctx, new ClientError(413, ErrorCategory.RequestTooLarge,
                $"The request body exceeds the gateway's limit of {limit} bytes.", null, "request_too_large")).ConfigureAwait(false);
        }

        ctx.Body = body;
        if (ctx.Format.ParseHead(body!.Span, http, ctx.Operation, out ctx.Request) is { } error)
        {
            return await RefuseAsync(ctx, error).ConfigureAwait(false);
        }

        if (!table.Authenticator.AllowsRoutingOverrides(ctx.KeyId)
            && (ctx.Request.ClientFallbacks is not null || http.Request.Headers.ContainsKey(NoFallbackHeader) || http.Request.Headers.ContainsKey(RouteSelector.Header)))
        {
            return await RefuseAsync(ctx, new ClientError(403, ErrorCategory.PermissionDenied,
                "This key may not override routing ('models', x-switchyard-fallback, x-switchyard-route).", null, "routing_override_not_allowed")).ConfigureAwait(false);
        }

        var rule = RouteSelector.Select(table.Config.Routes, http.Request, ctx.Request, ctx.KeyId, out var unknownRoute);
        if (unknownRoute is not null)
        {
            return await RefuseAsync(ctx, new ClientError(400, ErrorCategory.InvalidRequest,
                $"Unknown route '{unknownRoute}' in {RouteSelector.Header}.", RouteSelector.Header, "unknown_route")).ConfigureAwait(false);
        }

        var aliasName = ctx.Request.Model;
        if (rule is not null)
        {
            // A route picks the intended model and brings its own fallback policy.
            ctx.RouteName = rule.Name;
            ctx.Policy = rule.Policy;
            aliasName = rule.Split.Count > 0 ? SplitArm(rule, ctx) : rule.PrimaryModel;
            if (rule.Shadow is { } shadow && random.NextDouble() * 100 < shadow.Percent
                && table.Aliases.TryGetValue(shadow.Model, out var shadowRoute))
            {
                StartShadow(ctx, rule, shadowRoute);
            }
        }

        if (!table.Aliases.TryGetValue(aliasName, out var route))
        {
            return await RefuseAsync(ctx, new ClientError(404, ErrorCategory.NotFound,
                $"The model '{ctx.Request.Model}' does not exist on this gateway. GET /v1/models lists the available models.",
                "model", "model_not_found")).ConfigureAwait(false);
        }

        ctx.Route = route;
        ctx.Plan = planner.Plan(route, ctx.Request.Needs);
        if (ctx.Request.ClientFallbacks is { Length: > 0 } own)
        {
            // The client's own fallback list follows the alias's plan, each entry routed like an alias.
            var steps = new List<PlanStep>(ctx.Plan);
            for (var i = 0; i < own.Length; i++)
            {
                if (!table.Aliases.TryGetValue(own[i], out var extra))
                {
                    return await RefuseAsync(ctx, new ClientError(404, ErrorCategory.NotFound,
                        $"The model '{own[i]}' in 'models' does not exist on this gateway.", $"models[{i}]", "model_not_found")).ConfigureAwait(false);
                }

                foreach (var step in planner.Plan(extra, ctx.Request.Needs))
                {
                    if (!steps.Exists(s => ReferenceEquals(s.Deployment, step.Deployment)))
                    {
                        steps.Add(step with { Reason = steps.Count == 0 ? PlanReason.Primary : PlanReason.Fallback });
                    }
                }
            }

            ctx.Plan = steps.ToArray();
        }

        if (ctx.Plan.Length > 1 && http.Request.Headers[NoFallbackHeader] is { Count: 1 } optOut
            && optOut[0] is "none" or "off" or "false")
        {
            ctx.Plan = ctx.Plan[..1]; // the client opted out of fallback: the intended deployment or nothing
        }

        if (ctx.Plan.Length == 0)
        {
            return await RefuseAsync(ctx, NoDeployment(ctx, route)).ConfigureAwait(false);
        }

        return true;
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

    /// <summary>
    /// Sends a copy of the request to <paramref name="target"/> in the background: its answer goes nowhere,
    /// its cost is recorded (route <c>NAME/shadow</c>), and it never delays or affects the client's request.
    /// </summary>
    private void StartShadow(GatewayContext ctx, RouteRule rule, AliasRoute target)
    {
        var plan = planner.Plan(target, ctx.Request.Needs);
        if (plan.Length == 0)
        {
            return;
        }

        var http = new Microsoft.AspNetCore.Http.DefaultHttpContext();
        http.Response.Body = Stream.Null;
        var shadow = new GatewayContext(http, ctx.Format, ctx.Operation, ctx.RequestId + "-shadow", time.GetTimestamp(), time.GetUtcNow().ToUnixTimeMilliseconds())
        {
            KeyId = ctx.KeyId,
            Body = RequestBody.Copy(ctx.Body!.Span),
            RouteName = rule.Name + "/shadow",
            Route = target,
            Plan = plan,
        };
        shadow.Request = ctx.Request;
        shadow.Request.Model = target.Alias.Name;
        _ = Task.Run(async () =>
        {
            try
            {
                await dispatcher.RunAsync(shadow).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidOperationException)
            {
                shadow.Error = FailureKind.ServerError;
            }
            finally
            {
                shadow.Body.Dispose();
                usage.Enqueue(shadow.ToRecord(time));
            }
        });
    }

    /// <summary>
    /// Nothing can serve the request. Capability and context limits are the client's to fix (400, named);
    /// open circuits are ours (503 with Retry-After).
    /// </summary>
    private ClientError NoDeployment(GatewayContext ctx, AliasRoute route)
    {
        var excluded = new List<Exclusion>();
        planner.Plan(route, ctx.Request.Needs, excluded);
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
            return new ClientError(400, ErrorCategory.InvalidRequest,
                $"No deployment of '{ctx.Request.Model}' can serve this request ({reasons}).", null, "unsupported_capability");
        }

        ctx.Http.Response.Headers.RetryAfter = "5";
        return new ClientError(503, ErrorCategory.Overloaded,
            $"No deployment of '{ctx.Request.Model}' is available right now ({reasons}). POST /v1/route/explain shows the plan.", null, "no_available_deployment");
    }

    private static async Task<bool> RefuseAsync(GatewayContext ctx, ClientError error)
    {
        ctx.RefusalCode = error.Code;
        await ClientResponses.WriteErrorAsync(ctx.Http, ctx.Format, error).ConfigureAwait(false);
        return false;
    }

    private static bool IsJson(string? contentType) =>
        contentType is not null
        && (contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase)
            || (contentType.StartsWith("application/", StringComparison.OrdinalIgnoreCase)
                && contentType.Contains("+json", StringComparison.OrdinalIgnoreCase)));

}
