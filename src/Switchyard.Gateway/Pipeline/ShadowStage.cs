using Microsoft.AspNetCore.Http;
using Switchyard.Dispatch;
using Switchyard.Routing;
using Switchyard.Usage;

namespace Switchyard.Pipeline;

/// <summary>
/// Shadow traffic: when the route drew this request for a shadow copy (<see cref="GatewayContext.Shadow"/>),
/// a copy is planned and dispatched to the shadow model in the background. Its answer goes nowhere, its cost
/// is recorded (route <c>NAME/shadow</c>), and it never delays or affects the client's request. Not in a dry run.
/// </summary>
public sealed class ShadowStage(Planner planner, Dispatcher dispatcher, Settle settle, PendingRecords pending, TimeProvider time) : IStage
{
    /// <inheritdoc />
    public ValueTask<bool> RunAsync(GatewayContext ctx)
    {
        if (ctx.Shadow is { } target && !ctx.DryRun)
        {
            Start(ctx, target);
        }

        return ValueTask.FromResult(true);
    }

    private void Start(GatewayContext ctx, AliasRoute target)
    {
        var plan = planner.Plan(target, ctx.Request.Needs);
        if (plan.Length == 0)
        {
            return;
        }

        var http = new DefaultHttpContext();
        http.Response.Body = Stream.Null;
        var shadow = new GatewayContext(http, ctx.Format, ctx.Operation, ctx.Table, ctx.RequestId + "-shadow", time.GetTimestamp(), time.GetUtcNow().ToUnixTimeMilliseconds())
        {
            Caller = ctx.Caller,
            Body = RequestBody.Copy(ctx.Body!.Span),
            Canonical = ctx.Guard is { Translate: true } ? ctx.Canonical : null, // a redacted prompt: the shadow gets it too, never the body
            Guard = ctx.Guard is { Translate: true } ? new GuardTicket { Translate = true } : null,
            RouteName = ctx.RouteName + "/shadow",
            Route = target,
            Plan = plan,
        };
        shadow.Request = ctx.Request;
        shadow.Request.Model = target.Alias.Name;
        var entered = pending.Enter(); // its record is one a flush waits for, though the client's answer does not
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
                settle.Run(shadow);
                PendingRecords.Settled(entered);
            }
        });
    }
}
