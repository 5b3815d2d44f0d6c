using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Switchyard.Admission;
using Switchyard.Auth;
using Switchyard.Batches;
using Switchyard.Cache;
using Switchyard.Conversations;
using Switchyard.Dispatch;
using Switchyard.Governance;
using Switchyard.Guardrails;
using Switchyard.Ingress;
using Switchyard.Jobs;
using Switchyard.Routing;
using Switchyard.Usage;

namespace Switchyard.Pipeline;

/// <summary>
/// The request's path: the stages, in order, in one list. Each stage fills its part of the
/// <see cref="GatewayContext"/> or answers the client itself (a refusal in the caller's format), and nothing
/// refused here ever reaches an upstream. Settle runs last whatever happened. Route explain runs the same
/// list as a dry run, so it cannot drift from what a request meets. Adding a stage (input guardrails, a
/// cache lookup) is one class and one line here.
/// </summary>
public sealed partial class GatewayPipeline
{
    private readonly IStage[] stages;
    private readonly IStage[] jobStages;
    private readonly IStage[] objectStages;
    private readonly Settle settle;
    private readonly PendingRecords pending;
    private readonly RouterState router;
    private readonly TimeProvider time;
    private readonly ILogger logger;

    /// <summary>Builds the stages from <paramref name="services"/>.</summary>
    public GatewayPipeline(IServiceProvider services)
    {
        stages =
        [
            Stage<AuthenticateStage>(services), // Auth: who is calling (401)
            Stage<ReadRequestStage>(services),  // Ingress: deadline header, content type (415), body (413), head (400)
            Stage<AdmissionStage>(services),    // Admission: may this caller do this now (403/503)
            Stage<KeyPolicyStage>(services),    // Admission: the customer it acts for, the models its key allows (403)
            Stage<LimitStage>(services),        // Governance: RPM, TPM, concurrency per key, team, customer, key × model (429)
            Stage<ResolveConversationStage>(services), // Conversations: previous_response_id, item_reference from the caller's stored responses (400/404)
            Stage<SelectRouteStage>(services),  // Route: conditional route, split arm, the serving alias (404)
            Stage<GuardInputStage>(services),   // Guardrails: input rules (400 naming the rule, nothing sent), redaction, the answer's guard
            Stage<CacheLookupStage>(services),  // Cache: an exact hit answers here, before any plan or upstream (400 for a bad cache header)
            Stage<PlanStage>(services),         // Plan: intended deployment, then the fallback chain (400/503 when empty)
            Stage<BudgetStage>(services),       // Governance: reserve the most it can cost in key, team, customer budgets (429 insufficient_quota)
            Stage<ShadowStage>(services),       // a copy to the route's shadow model, off the client's path
            Stage<DispatchStage>(services),     // Dispatch: attempts, relay or translate, retry, hedge, fallback
            Stage<CacheStoreStage>(services),   // Cache: keeps a complete, successful answer for the next identical request
        ];
        // A call on a job a provider already holds (a video's poll, download, delete; the key's list): no body, no route,
        // no plan: the job lives at one deployment. Its caller is authenticated, admitted and limited like any request.
        jobStages =
        [
            Stage<AuthenticateStage>(services), // Auth: who is calling (401)
            Stage<FindJobStage>(services),      // Jobs: the caller's own job by id (404 for an unknown or another key's)
            Stage<AdmissionStage>(services),    // Admission: may this caller do this now (403/503)
            Stage<KeyPolicyStage>(services),    // Admission: the customer, the job's model allowed for the key (403)
            Stage<LimitStage>(services),        // Governance: RPM and concurrency (429)
            Stage<BudgetStage>(services),       // Governance: a remix reserves its seconds at the owner's price (429); the rest cost nothing
            Stage<VideoCallStage>(services),    // Jobs: the call to the owning deployment, or the store; settles a job that ended
        ];
        // A call on /v1/files or /v1/batches: an object at one deployment (or the key's list of them). No route, no plan, no
        // reservation (a batch's cost is unknown until it ends; its create checks the budgets itself), but the same caller
        // checks and limits as any request, and Settle's one record per call.
        objectStages =
        [
            Stage<AuthenticateStage>(services), // Auth: who is calling (401)
            Stage<AdmissionStage>(services),    // Admission: may this caller do this now (403/503)
            Stage<KeyPolicyStage>(services),    // Admission: the customer the call (a batch) is made for (400/403)
            Stage<ObjectAskStage>(services),    // Batches: one request, no tokens (a call produces none)
            Stage<LimitStage>(services),        // Governance: RPM and concurrency (429)
            services.GetRequiredService<ObjectCallStage>(), // Batches: the call, to the deployment that holds the object, or the store
        ];
        settle = services.GetRequiredService<Settle>(); // Settle: the usage record, whatever happened
        pending = services.GetRequiredService<PendingRecords>();
        router = services.GetRequiredService<RouterState>();
        time = services.GetRequiredService<TimeProvider>();
        logger = services.GetRequiredService<ILogger<GatewayPipeline>>();
    }

    /// <summary>Handles one request in <paramref name="format"/>.</summary>
    public Task HandleAsync(HttpContext http, IInboundFormat format, Operation operation) => HandleAsync(http, format, operation, stages);

    /// <summary>Handles one call on a stored job (<see cref="Operation.VideoRetrieve"/> and its kin) through the job stages.</summary>
    public Task HandleJobAsync(HttpContext http, IInboundFormat format, Operation operation) => HandleAsync(http, format, operation, jobStages);

    /// <summary>Handles one call on <c>/v1/files</c> or <c>/v1/batches</c> (<see cref="Operation.FileUpload"/> and its kin) through the object stages.</summary>
    public Task HandleObjectAsync(HttpContext http, IInboundFormat format, Operation operation) => HandleAsync(http, format, operation, objectStages);

    private async Task HandleAsync(HttpContext http, IInboundFormat format, Operation operation, IStage[] list)
    {
        var ctx = NewContext(http, format, operation, dryRun: false);
        var entered = pending.Enter();
        try
        {
            await RunAsync(ctx, list).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException && http.RequestAborted.IsCancellationRequested)
        {
            ctx.Error = FailureKind.ClientCancelled;
        }
        catch (Exception ex)
        {
            await FailedAsync(ctx, ex).ConfigureAwait(false);
        }
        finally
        {
            settle.Run(ctx);
            PendingRecords.Settled(entered);
        }
    }

    /// <summary>
    /// Answers one request with <paramref name="error"/> in <paramref name="format"/> and records it: the front
    /// door's own refusals outside the pipeline (an unknown path, a wrong method) leave a record like any other.
    /// </summary>
    public async Task RefuseAsync(HttpContext http, IInboundFormat format, Operation operation, ClientError error)
    {
        var ctx = NewContext(http, format, operation, dryRun: false);
        var entered = pending.Enter();
        try
        {
            await ctx.RefuseAsync(error).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            ctx.Error = FailureKind.ClientCancelled;
        }
        finally
        {
            settle.Run(ctx);
            PendingRecords.Settled(entered);
        }
    }

    /// <summary>
    /// The catch-all: a bug must not become an empty 500 without an id. Logged with the request id; the
    /// client gets a 500 in its own format (or, when its response had already started, a cut connection:
    /// never a clean end of half an answer); the record says internal_error.
    /// </summary>
    private async Task FailedAsync(GatewayContext ctx, Exception ex)
    {
        ctx.Error = FailureKind.Internal;
        LogUnhandled(logger, ex, ctx.RequestId);
        if (ctx.Http.Response.HasStarted)
        {
            ctx.Http.Abort();
            return;
        }

        try
        {
            ctx.Http.Response.Headers.Remove("x-switchyard-model");
            await ctx.RefuseAsync(new ClientError(500, ErrorCategory.ServerError,
                $"The gateway failed while handling this request; it is logged under request id {ctx.RequestId}.", null, "internal_error")).ConfigureAwait(false);
            ctx.RefusalCode = null; // the record says internal_error (ctx.Error)
        }
        catch (Exception writeFailure) when (writeFailure is OperationCanceledException or IOException)
        {
            ctx.Error = FailureKind.ClientCancelled;
        }
    }

    [LoggerMessage(EventId = 1190, Level = LogLevel.Error, Message = "Request {RequestId} failed inside the gateway")]
    private static partial void LogUnhandled(ILogger logger, Exception ex, string requestId);

    /// <summary>
    /// Route explain: the same stages as a dry run (nothing is sent, spent or recorded). The context as the
    /// dispatcher would have received it, or null when a stage refused the request (the refusal is written,
    /// exactly as the real path would answer).
    /// </summary>
    public async Task<GatewayContext?> ExplainAsync(HttpContext http, IInboundFormat format, Operation operation)
    {
        var ctx = NewContext(http, format, operation, dryRun: true);
        try
        {
            return await RunAsync(ctx, stages).ConfigureAwait(false) ? ctx : null;
        }
        finally
        {
            settle.Run(ctx);
        }
    }

    private static async ValueTask<bool> RunAsync(GatewayContext ctx, IStage[] list)
    {
        foreach (var stage in list)
        {
            if (!await stage.RunAsync(ctx).ConfigureAwait(false))
            {
                return false;
            }
        }

        return true;
    }

    private GatewayContext NewContext(HttpContext http, IInboundFormat format, Operation operation, bool dryRun) =>
        new(http, format, operation, router.Current, RequestIds.Of(http), time.GetTimestamp(), time.GetUtcNow().ToUnixTimeMilliseconds())
        {
            DryRun = dryRun,
        };

    private static IStage Stage<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] T>(IServiceProvider services)
        where T : IStage => ActivatorUtilities.CreateInstance<T>(services);
}
