using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Switchyard.Auth;
using Switchyard.Dispatch;
using Switchyard.Drill;
using Switchyard.Routing;

using Switchyard.Providers.OpenAI;

namespace Switchyard.Endpoints;

/// <summary>
/// <c>POST /v1/drill</c> injects faults into deployments and reports, for every model, what its route would
/// do now: which deployments it tries, what each attempt meets, which action the fallback policy takes, and
/// who ends up serving (or that the request fails). The report is a simulation: it calls no provider.
/// <c>GET /v1/drill</c> shows active faults; <c>DELETE /v1/drill</c> ends the drill. Operator role.
/// </summary>
public sealed class DrillEndpoints(RouterState router, Planner planner, FaultInjector faults, Authorizer authorizer)
{
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = true };

    private static readonly string[] Injectable = ["rate_limited", "server_error", "timeout", "connection", "stream_cut", "auth"];

    /// <summary><c>POST /v1/drill</c>: <c>{"faults": {"deployment": "rate_limited", ...}, "duration": "60s"}</c>.</summary>
    public async Task StartAsync(HttpContext http)
    {
        var table = router.Current;
        if (await Refused(http, table))
        {
            return;
        }

        var (body, tooLarge) = await RequestBody.ReadAsync(http.Request, 64 * 1024, http.RequestAborted);
        using (body)
        {
            if (tooLarge)
            {
                await OpenAIErrors.WriteAsync(http, 413, "Drill requests are small; this one is over 64 KiB.", "invalid_request_error", null, "request_too_large");
                return;
            }

            if (ParseRequest(body!.Memory, table, out var requested, out var duration) is { } error)
            {
                await OpenAIErrors.WriteAsync(http, 400, error.Message, "invalid_request_error", error.Param, error.Code);
                return;
            }

            foreach (var (deployment, kind) in requested)
            {
                faults.Inject(deployment, kind, duration);
            }

            await WriteReport(http, table, duration);
        }
    }

    /// <summary>Reads the drill body: the faults to inject (known deployments, injectable kinds) and for how long.</summary>
    private static RequestError? ParseRequest(ReadOnlyMemory<byte> body, RouteTable table,
        out List<(string Deployment, FailureKind Kind)> requested, out TimeSpan duration)
    {
        requested = [];
        duration = TimeSpan.FromMinutes(1);
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.TryGetProperty("duration", out var d) && d.ValueKind == JsonValueKind.String
                && !ValueParsers.TryParseDuration(d.GetString()!, out duration, out var why))
            {
                return new RequestError($"Invalid 'duration': {why}.", "duration", "invalid_value");
            }

            if (!doc.RootElement.TryGetProperty("faults", out var f) || f.ValueKind != JsonValueKind.Object)
            {
                return new RequestError("Missing 'faults': an object of deployment → fault.", "faults", "missing_required_parameter");
            }

            foreach (var fault in f.EnumerateObject())
            {
                if (!table.Config.Deployments.ContainsKey(fault.Name))
                {
                    return new RequestError($"Unknown deployment '{fault.Name}'.", $"faults.{fault.Name}", "invalid_value");
                }

                var name = fault.Value.ValueKind == JsonValueKind.String ? fault.Value.GetString()! : "";
                if (Array.IndexOf(Injectable, name) < 0 || !FailureKinds.TryParse(name, out var kind))
                {
                    return new RequestError($"Unknown fault '{name}' for '{fault.Name}'; valid: {string.Join(", ", Injectable)}.",
                        $"faults.{fault.Name}", "invalid_value");
                }

                requested.Add((fault.Name, kind));
            }

            return null;
        }
        catch (JsonException)
        {
            return new RequestError("The drill body is not valid JSON.", null, "invalid_json");
        }
    }

    /// <summary><c>GET /v1/drill</c>: active faults and the current simulation.</summary>
    public async Task StatusAsync(HttpContext http)
    {
        var table = router.Current;
        if (!await Refused(http, table))
        {
            await WriteReport(http, table, null);
        }
    }

    /// <summary><c>DELETE /v1/drill</c>.</summary>
    public async Task StopAsync(HttpContext http)
    {
        var table = router.Current;
        if (!await Refused(http, table))
        {
            faults.Clear();
            await WriteReport(http, table, null);
        }
    }

    private async Task WriteReport(HttpContext http, RouteTable table, TimeSpan? duration)
    {
        var output = new ArrayBufferWriter<byte>(4096);
        using (var w = new Utf8JsonWriter(output, Options))
        {
            w.WriteStartObject();
            if (duration is { } d)
            {
                w.WriteNumber("duration_seconds", d.TotalSeconds);
            }

            w.WriteStartObject("faults");
            foreach (var (deployment, fault) in faults.Snapshot.OrderBy(f => f.Key, StringComparer.Ordinal))
            {
                w.WriteString(deployment, FailureKinds.Name(fault.Kind));
            }

            w.WriteEndObject();
            w.WriteStartArray("models");
            foreach (var (name, route) in table.Aliases.OrderBy(a => a.Key, StringComparer.Ordinal))
            {
                DrillSimulation.Write(w, name, route, planner.Plan(route), faults);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        http.Response.StatusCode = 200;
        http.Response.ContentType = "application/json";
        http.Response.ContentLength = output.WrittenCount;
        await http.Response.Body.WriteAsync(output.WrittenMemory);
    }

    private async Task<bool> Refused(HttpContext http, RouteTable table) =>
        await authorizer.AuthorizeAsync(http, OpenAIChatFormat.Instance, KeyRole.Operator).ConfigureAwait(false) is null;
}
