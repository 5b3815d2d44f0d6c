using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Switchyard.Auth;
using Switchyard.Configuration;
using Switchyard.Dispatch;
using Switchyard.Routing;
using Switchyard.Routing.Health;
using Switchyard.Upstream;

namespace Switchyard.Ingress;

/// <summary>
/// The routing layer made visible: <c>POST /v1/route/explain</c> answers "which deployments would serve this
/// request, in what order, and why were the others left out" without calling any provider, and
/// <c>GET /v1/deployments</c> shows every deployment's live health (circuit, in-flight, latency estimates) and
/// its provider's key pool (how many keys, how many cooling down; keys only by index and fingerprint).
/// </summary>
public sealed class RoutingEndpoints(RouterState router, Planner planner, HealthRegistry health)
{
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = true };

    /// <summary><c>POST /v1/route/explain</c>: same body as a chat completion.</summary>
    public async Task ExplainAsync(HttpContext http)
    {
        var table = router.Current;
        if (table.Authenticator.Authenticate(http.Request, out var keyId) != AuthOutcome.Accepted)
        {
            await Refused(http, table);
            return;
        }

        var (body, tooLarge) = await RequestBody.ReadAsync(http.Request, table.Config.Server.MaxRequestBodyBytes, http.RequestAborted);
        using (body)
        {
            if (tooLarge)
            {
                await OpenAIErrors.WriteAsync(http, 413, "The request body exceeds the gateway's limit.", "invalid_request_error", null, "request_too_large");
                return;
            }

            if (OpenAIRequestParser.Parse(body!.Span, OpenAIOperation.ChatCompletions, out var head) is { } error)
            {
                await OpenAIErrors.BadRequestAsync(http, error);
                return;
            }

            // Conditional routes first, exactly as a real request would meet them.
            var rule = RouteSelector.Select(table.Config.Routes, http.Request, head, keyId, out var unknownRoute);
            if (unknownRoute is not null)
            {
                await OpenAIErrors.WriteAsync(http, 400, $"Unknown route '{unknownRoute}'.", "invalid_request_error", RouteSelector.Header, "unknown_route");
                return;
            }

            var aliasName = rule?.PrimaryModel ?? head.Model;
            if (!table.Aliases.TryGetValue(aliasName, out var route))
            {
                await OpenAIErrors.WriteAsync(http, 404, $"The model '{aliasName}' does not exist on this gateway.", "invalid_request_error", "model", "model_not_found");
                return;
            }

            var excluded = new List<Exclusion>();
            var plan = planner.Plan(route, head.Needs, excluded);
            var output = new ArrayBufferWriter<byte>(2048);
            using (var w = new Utf8JsonWriter(output, Options))
            {
                w.WriteStartObject();
                w.WriteString("model", aliasName);
                if (rule is not null)
                {
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
                    }
                }

                w.WriteString("strategy", StrategyName(route.Alias.Strategy));
                w.WriteStartArray("plan");
                foreach (var step in plan)
                {
                    w.WriteStartObject();
                    w.WriteString("deployment", step.Deployment.Name);
                    w.WriteString("reason", step.Reason switch
                    {
                        PlanReason.Primary => "primary",
                        PlanReason.AliasAlternate => "alias_alternate",
                        _ => "fallback",
                    });
                    WriteDeployment(w, step.Deployment.Config, health.For(step.Deployment.Name), step.Deployment.Keys);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteStartArray("excluded");
                foreach (var e in excluded)
                {
                    w.WriteStartObject();
                    w.WriteString("deployment", e.Deployment);
                    w.WriteString("reason", e.Reason);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                WritePolicy(w, rule?.Policy ?? route.Alias.Policy);
                if (route.Alias.Hedge is { } hedge)
                {
                    w.WriteStartObject("hedge");
                    w.WriteString("delay", hedge.Auto ? "auto (2 x TTFT estimate)" : $"{hedge.Delay.TotalMilliseconds} ms");
                    w.WriteNumber("max_share", hedge.MaxShare);
                    w.WriteEndObject();
                }
                w.WriteEndObject();
            }

            await Write(http, output);
        }
    }

    /// <summary><c>GET /v1/deployments</c>.</summary>
    public async Task ListAsync(HttpContext http)
    {
        var table = router.Current;
        if (await Refused(http, table))
        {
            return;
        }

        var output = new ArrayBufferWriter<byte>(2048);
        using (var w = new Utf8JsonWriter(output, Options))
        {
            w.WriteStartObject();
            w.WriteString("object", "list");
            w.WriteStartArray("data");
            foreach (var (name, deployment) in table.Config.Deployments.OrderBy(d => d.Key, StringComparer.Ordinal))
            {
                w.WriteStartObject();
                w.WriteString("deployment", name);
                WriteDeployment(w, deployment, health.For(name), table.KeyPools.GetValueOrDefault(deployment.Provider.Name));
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        await Write(http, output);
    }

    private static void WriteDeployment(Utf8JsonWriter w, DeploymentConfig d, DeploymentHealth h, KeyPool? keys)
    {
        w.WriteString("provider", d.Provider.Name);
        w.WriteString("upstream_model", d.UpstreamModel);
        w.WriteString("circuit", h.State switch
        {
            CircuitState.Open => "open",
            CircuitState.HalfOpen => "half_open",
            _ => "closed",
        });
        w.WriteNumber("in_flight", h.InFlight);
        WriteMs(w, "latency_ewma_ms", h.LatencyMs);
        WriteMs(w, "ttft_ewma_ms", h.TimeToFirstTokenMs);
        var (total, failed) = h.WindowCounts;
        w.WriteNumber("window_requests", total);
        w.WriteNumber("window_failures", failed);
        WriteKeys(w, keys);
    }

    /// <summary>
    /// <c>"keys"</c>: the provider's key pool (null when the provider has no key). Each key appears by its index
    /// and fingerprint (last four hex digits of its SHA-256), never by value.
    /// </summary>
    private static void WriteKeys(Utf8JsonWriter w, KeyPool? keys)
    {
        if (keys is null)
        {
            w.WriteNull("keys");
            return;
        }

        var status = keys.Status();
        var available = status.Count(s => s.Available);
        w.WriteStartObject("keys");
        w.WriteNumber("count", status.Count);
        w.WriteNumber("available", available);
        w.WriteNumber("cooling_down", status.Count - available);
        w.WriteStartArray("pool");
        foreach (var s in status)
        {
            w.WriteStartObject();
            w.WriteNumber("index", s.Index);
            w.WriteString("fingerprint", s.Fingerprint);
            w.WriteString("state", s.Available ? "available" : "cooling_down");
            if (!s.Available)
            {
                w.WriteString("reason", FailureKinds.Name(s.Reason));
                w.WriteNumber("cooldown_remaining_ms", Math.Ceiling(s.CooldownRemaining.TotalMilliseconds));
            }

            w.WriteNumber("failures", s.Failures);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WritePolicy(Utf8JsonWriter w, FallbackPolicy p)
    {
        w.WriteStartObject("fallback_policy");
        w.WriteNumber("max_attempts", p.MaxAttempts);
        w.WriteNumber("max_retries", p.MaxRetries);
        w.WriteNumber("base_delay_ms", p.BaseDelay.TotalMilliseconds);
        w.WriteNumber("max_delay_ms", p.MaxDelay.TotalMilliseconds);
        w.WriteNumber("timeout_ms", p.RequestTimeout.TotalMilliseconds);
        w.WriteStartObject("on");
        foreach (var kind in Enum.GetValues<FailureKind>())
        {
            if (kind is FailureKind.None or FailureKind.ClientCancelled or FailureKind.DeadlineExceeded)
            {
                continue;
            }

            if (kind == FailureKind.HedgeLost)
            {
                continue;
            }

            w.WriteString(FailureKinds.Name(kind), p.ActionFor(kind) switch
            {
                FallbackAction.RetryThenSwitch => "retry_then_switch",
                FallbackAction.Switch => "switch",
                FallbackAction.Retry => "retry",
                FallbackAction.SwitchSameTier => "switch_same_price_tier",
                FallbackAction.RetryThenSwitchSameTier => "retry_then_switch_same_price_tier",
                FallbackAction.Downgrade => "downgrade",
                FallbackAction.Upgrade => "upgrade",
                _ => "fail",
            });
        }

        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void WriteMs(Utf8JsonWriter w, string name, double value)
    {
        if (double.IsNaN(value))
        {
            w.WriteNull(name);
        }
        else
        {
            w.WriteNumber(name, Math.Round(value, 3));
        }
    }

    private static string StrategyName(RoutingStrategy s) => s switch
    {
        RoutingStrategy.RoundRobin => "round_robin",
        RoutingStrategy.LeastBusy => "least_busy",
        RoutingStrategy.LowestLatency => "lowest_latency",
        RoutingStrategy.LowestCost => "lowest_cost",
        RoutingStrategy.UsageHeadroom => "usage_headroom",
        _ => "weighted",
    };

    private static async Task<bool> Refused(HttpContext http, RouteTable table)
    {
        switch (table.Authenticator.Authenticate(http.Request, out _))
        {
            case AuthOutcome.Accepted:
                return false;
            case AuthOutcome.Missing:
                await OpenAIErrors.WriteAsync(http, 401, "You didn't provide an API key.", "invalid_request_error", null, "missing_api_key");
                return true;
            default:
                await OpenAIErrors.WriteAsync(http, 401, "Incorrect API key provided.", "invalid_request_error", null, "invalid_api_key");
                return true;
        }
    }

    private static Task Write(HttpContext http, ArrayBufferWriter<byte> output)
    {
        http.Response.StatusCode = 200;
        http.Response.ContentType = "application/json";
        http.Response.ContentLength = output.WrittenCount;
        return http.Response.Body.WriteAsync(output.WrittenMemory).AsTask();
    }
}
