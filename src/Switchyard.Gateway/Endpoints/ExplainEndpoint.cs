using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Switchyard.Auth;
using Switchyard.Health;
using Switchyard.Dispatch;
using Switchyard.Pipeline;

namespace Switchyard.Endpoints;

/// <summary>
/// <c>POST /v1/route/explain</c> (operator role): "which deployments would serve this request, in what order,
/// and why were the others left out", without calling any provider. It is a dry run of the request's own
/// stages (<see cref="GatewayPipeline.ExplainAsync"/>), so it honours everything the real path honours (the
/// body's format, headers, the client's <c>models</c> list, the split arm of this key, capability and context
/// filtering) and refuses what the real path refuses, with the same answer.
/// </summary>
public sealed class ExplainEndpoint(GatewayPipeline pipeline, Authorizer authorizer, HealthRegistry health, Dispatcher dispatcher)
{
    /// <summary>Explains a request in <paramref name="format"/>.</summary>
    public async Task ExplainAsync(HttpContext http, IInboundFormat format, Operation operation)
    {
        if (await authorizer.AuthorizeAsync(http, format, KeyRole.Operator).ConfigureAwait(false) is null)
        {
            return;
        }

        var ctx = await pipeline.ExplainAsync(http, format, operation).ConfigureAwait(false);
        if (ctx is null)
        {
            return; // refused, exactly as the real request would be; the answer is written
        }

        var output = new ArrayBufferWriter<byte>(2048);
        using (var w = new Utf8JsonWriter(output, DeploymentsEndpoint.Options))
        {
            Write(w, ctx);
        }

        await DeploymentsEndpoint.Write(http, output).ConfigureAwait(false);
    }

    private void Write(Utf8JsonWriter w, GatewayContext ctx)
    {
        var route = ctx.Route!;
        w.WriteStartObject();
        w.WriteString("format", ctx.Format.Name);
        w.WriteString("key_id", ctx.KeyId);
        w.WriteString("requested_model", ctx.Request.Model);
        w.WriteString("model", route.Alias.Name);
        w.WriteBoolean("stream", ctx.Request.Stream);
        WriteRoute(w, ctx);
        w.WriteString("strategy", DeploymentsEndpoint.StrategyName(route));
        WritePlan(w, ctx);
        w.WriteStartArray("excluded");
        foreach (var e in ctx.Exclusions ?? [])
        {
            w.WriteStartObject();
            w.WriteString("deployment", e.Deployment);
            w.WriteString("reason", e.Reason);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        DeploymentsEndpoint.WritePolicy(w, ctx.Policy ?? route.Alias.Policy);
        WriteHedge(w, ctx);
        if (ctx.ClientDeadline is { } deadline)
        {
            w.WriteNumber("deadline_ms", deadline.TotalMilliseconds);
        }

        w.WriteEndObject();
    }

    /// <summary>The conditional route that applied, its split (and this caller's arm) and shadow.</summary>
    private static void WriteRoute(Utf8JsonWriter w, GatewayContext ctx)
    {
        if (ctx.RouteName is null || ctx.Table.Config.Routes.FirstOrDefault(r => r.Name == ctx.RouteName) is not { } rule)
        {
            return;
        }

        w.WriteString("route", rule.Name);
        if (rule.Split.Count > 0)
        {
            w.WriteStartArray("split");
            foreach (var arm in rule.Split)
            {
                w.WriteStartObject();
                w.WriteString("model", arm.Model);
                w.WriteNumber("percent", arm.Percent);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteString("split_arm", ctx.Route!.Alias.Name);
            w.WriteString("sticky", rule.Sticky);
        }

        if (rule.Shadow is { } shadow)
        {
            w.WriteStartObject("shadow");
            w.WriteString("model", shadow.Model);
            w.WriteNumber("percent", shadow.Percent);
            w.WriteEndObject();
        }
    }

    private void WritePlan(Utf8JsonWriter w, GatewayContext ctx)
    {
        w.WriteStartArray("plan");
        for (var i = 0; i < ctx.Plan.Length; i++)
        {
            var step = ctx.Plan[i];
            w.WriteStartObject();
            w.WriteString("deployment", step.Deployment.Name);
            w.WriteString("reason", step.Reason switch
            {
                PlanReason.Primary => "primary",
                PlanReason.AliasAlternate => "alias_alternate",
                _ => "fallback",
            });
            DeploymentsEndpoint.WriteDeployment(w, step.Deployment.Config, health.For(step.Deployment.Name), step.Deployment.Keys);
            WriteOverflowRule(w, ctx.Plan, i);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    /// <summary>
    /// The step's context window, and where a context overflow there would go: only to later steps whose
    /// window is larger (or unknown), in plan order; an empty list means the request would fail there.
    /// </summary>
    private static void WriteOverflowRule(Utf8JsonWriter w, PlanStep[] plan, int index)
    {
        var config = plan[index].Deployment.Config;
        if (config.Capabilities.ContextWindow is { } window)
        {
            w.WriteNumber("context_window", window);
        }
        else
        {
            w.WriteNull("context_window");
        }

        w.WriteStartArray("on_context_overflow");
        for (var j = index + 1; j < plan.Length; j++)
        {
            if (Dispatcher.LargerWindow(plan[j].Deployment.Config, config))
            {
                w.WriteStringValue(plan[j].Deployment.Name);
            }
        }

        w.WriteEndArray();
    }

    /// <summary>
    /// Hedging: the delay, the deployment that would race the intended one, and the alias's hedge budget (a
    /// share of its own requests that waited past the delay) with whether the next such request may hedge.
    /// </summary>
    private void WriteHedge(Utf8JsonWriter w, GatewayContext ctx)
    {
        if (ctx.Route!.Alias.Hedge is not { } hedge)
        {
            return;
        }

        w.WriteStartObject("hedge");
        w.WriteString("delay", hedge.Auto ? "auto (2 x TTFT estimate)" : $"{hedge.Delay.TotalMilliseconds} ms");
        w.WriteNumber("delay_ms_now", dispatcher.HedgeDelay(hedge, ctx.Plan[0].Deployment).TotalMilliseconds);
        w.WriteNumber("max_share", hedge.MaxShare);
        if (ctx.Plan.Length >= 2)
        {
            w.WriteString("races", ctx.Plan[1].Deployment.Name);
        }
        else
        {
            w.WriteNull("races"); // nothing to race: the plan has one step
        }

        var budget = health.Hedges(ctx.Route.Alias.Name);
        var (eligible, taken) = budget.Counts;
        w.WriteNumber("recent_slow_requests", eligible);
        w.WriteNumber("recent_hedges", taken);
        w.WriteBoolean("next_slow_request_hedges", ctx.Plan.Length >= 2 && budget.WouldAllow(hedge.MaxShare));
        w.WriteEndObject();
    }
}
