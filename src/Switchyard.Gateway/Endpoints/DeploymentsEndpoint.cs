using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Switchyard.Auth;
using Switchyard.Dispatch;
using Switchyard.Routing;
using Switchyard.Routing.Strategies;
using Switchyard.Health;
using Switchyard.Upstream;

using Switchyard.Providers.OpenAI;

namespace Switchyard.Endpoints;

/// <summary>
/// <c>GET /v1/deployments</c> (operator role): every deployment's live health (circuit, in-flight, latency
/// estimates) and its provider's key pool (how many keys, how many cooling down; keys only by index and
/// fingerprint). The JSON writers are shared with route explain.
/// </summary>
public sealed class DeploymentsEndpoint(RouterState router, Authorizer authorizer, HealthRegistry health)
{
    internal static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = true };

    /// <summary><c>GET /v1/deployments</c>.</summary>
    public async Task ListAsync(HttpContext http)
    {
        var table = router.Current;
        if (await authorizer.AuthorizeAsync(http, OpenAIChatFormat.Instance, KeyRole.Operator) is null)
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

    internal static void WriteDeployment(Utf8JsonWriter w, DeploymentConfig d, DeploymentHealth h, KeyPool? keys)
    {
        w.WriteString("provider", d.Provider.Name);
        w.WriteString("upstream_model", d.UpstreamModel);
        WriteCatalog(w, d.Profile);
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
        WriteBreaker(w, h.Settings);
        WriteKeys(w, keys);
    }

    /// <summary><c>"catalog"</c>: the model catalog entry whose rules apply (and where its facts come from), or null.</summary>
    private static void WriteCatalog(Utf8JsonWriter w, ModelProfile profile)
    {
        if (profile.Id is null)
        {
            w.WriteNull("catalog");
            return;
        }

        w.WriteStartObject("catalog");
        w.WriteString("entry", profile.Id);
        w.WriteString("source", profile.Source);
        w.WriteString("checked", profile.Checked);
        w.WriteEndObject();
    }

    /// <summary><c>"circuit_breaker"</c>: <c>"off"</c>, or the thresholds in force for this deployment.</summary>
    private static void WriteBreaker(Utf8JsonWriter w, CircuitBreakerSettings b)
    {
        if (!b.Enabled)
        {
            w.WriteString("circuit_breaker", "off");
            return;
        }

        w.WriteStartObject("circuit_breaker");
        w.WriteNumber("failure_ratio", b.FailureRatio);
        w.WriteNumber("min_requests", b.MinRequests);
        w.WriteNumber("window_ms", b.Window.TotalMilliseconds);
        w.WriteNumber("break_for_ms", b.BreakFor.TotalMilliseconds);
        w.WriteNumber("half_open_trials", b.HalfOpenTrials);
        w.WriteEndObject();
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

    internal static void WritePolicy(Utf8JsonWriter w, FallbackPolicy p)
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

    internal static void WriteMs(Utf8JsonWriter w, string name, double value)
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

    /// <summary>
    /// The name of <paramref name="route"/>'s strategy, as the strategy itself gives it. The planner resolves the
    /// strategy on the alias's first ordered plan, which explain's dry run always is (it collects exclusions, so
    /// it never takes the single-deployment shortcut); an alias not planned yet is named from the built-in catalog.
    /// </summary>
    internal static string StrategyName(AliasRoute route) =>
        (route.Strategy ?? StrategyCatalog.BuiltIn.Resolve(route.Alias.Strategy)).Name;

    internal static Task Write(HttpContext http, ArrayBufferWriter<byte> output)
    {
        http.Response.StatusCode = 200;
        http.Response.ContentType = "application/json";
        http.Response.ContentLength = output.WrittenCount;
        return http.Response.Body.WriteAsync(output.WrittenMemory).AsTask();
    }
}
