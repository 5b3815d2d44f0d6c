using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Switchyard.Tests.TestKit.Anthropic;

/// <summary>
/// An in-process fake of Anthropic's Messages API on a real Kestrel socket (127.0.0.1, random port):
/// <c>POST /v1/messages</c> (JSON and named-event SSE) and <c>POST /v1/messages/count_tokens</c>. Like the real
/// API it refuses a request without <c>x-api-key</c> (401), without <c>anthropic-version</c> (400) or without
/// <c>max_tokens</c> (400), in Anthropic's error envelope, and refuses what the model refuses (sampling ranges,
/// per-model output limits, cache breakpoints, thinking rules: <see cref="AnthropicModelRules"/>), so a gateway
/// that forwards such a body fails here as it would in production. Script answers with <see cref="Enqueue"/>; what
/// arrived is in <see cref="Requests"/>.
/// </summary>
public sealed class FakeAnthropicUpstream : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Lock _gate = new();
    private readonly Queue<AnthropicBehavior> _queue = new();
    private readonly List<AnthropicRecordedRequest> _requests = [];

    private FakeAnthropicUpstream(WebApplication app) => _app = app;

    /// <summary>The API root including <c>/v1</c> (what a gateway provider's <c>base_url</c> takes).</summary>
    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>What requests get when nothing is queued.</summary>
    public AnthropicBehavior Default { get; set; } = AnthropicBehavior.Text();

    /// <summary>The <c>input_tokens</c> that <c>count_tokens</c> answers.</summary>
    public int CountTokensResult { get; set; } = 42;

    /// <summary>Every request received, in order (a snapshot).</summary>
    public IReadOnlyList<AnthropicRecordedRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>The latest request, or null.</summary>
    public AnthropicRecordedRequest? LastRequest => Requests.LastOrDefault();

    /// <summary>Starts a fake on a free port.</summary>
    public static async Task<FakeAnthropicUpstream> StartAsync()
    {
        var app = LoopbackServer.Create();
        var fake = new FakeAnthropicUpstream(app);
        app.Run(fake.HandleAsync);
        var address = await LoopbackServer.StartAsync(app);
        fake.BaseUrl = new Uri(address.TrimEnd('/') + "/v1");
        return fake;
    }

    /// <summary>Scripts the next <c>/v1/messages</c> answers, in order.</summary>
    public void Enqueue(params AnthropicBehavior[] behaviors)
    {
        lock (_gate)
        {
            foreach (var behavior in behaviors)
            {
                _queue.Enqueue(behavior);
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await LoopbackServer.StopAsync(_app);
    }

    private async Task HandleAsync(HttpContext http)
    {
        using var reader = new StreamReader(http.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync(http.RequestAborted);
        var headers = http.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var record = new AnthropicRecordedRequest(http.Request.Path.Value ?? "", headers, body);
        AnthropicBehavior behavior;
        lock (_gate)
        {
            _requests.Add(record);
            behavior = http.Request.Path == "/v1/messages" && _queue.TryDequeue(out var next) ? next : Default;
        }

        http.Response.Headers["request-id"] = "req_" + FakeIds.Alnum(24);
        if (Refusal(http, record) is { } refusal)
        {
            await WriteErrorAsync(http, refusal.Status, refusal.Type, refusal.Message);
            return;
        }

        if (http.Request.Path == "/v1/messages/count_tokens")
        {
            await WriteJsonAsync(http, 200, new JsonObject { ["input_tokens"] = CountTokensResult });
            return;
        }

        if (behavior.Headers is { } extra)
        {
            foreach (var (name, value) in extra)
            {
                http.Response.Headers[name] = value;
            }
        }

        try
        {
            await RunAsync(http, record, behavior);
        }
        catch (Exception) when (http.RequestAborted.IsCancellationRequested)
        {
            // The gateway went away: nothing to answer.
        }
    }

    /// <summary>The checks the real API makes before it looks at the content.</summary>
    private static AnthropicErrorBehavior? Refusal(HttpContext http, AnthropicRecordedRequest record)
    {
        if (http.Request.Method != "POST" || (http.Request.Path != "/v1/messages" && http.Request.Path != "/v1/messages/count_tokens"))
        {
            return new(404, "not_found_error", $"Not Found: {http.Request.Method} {http.Request.Path}");
        }

        if (record.Header("x-api-key") is null)
        {
            return new(401, "authentication_error", "x-api-key header is required");
        }

        if (record.Header("anthropic-version") is null)
        {
            return new(400, "invalid_request_error", "anthropic-version: header is required");
        }

        if (record.Json is not JsonObject json)
        {
            return new(400, "invalid_request_error", "There was an issue with your request body: it is not valid JSON.");
        }

        foreach (var field in http.Request.Path == "/v1/messages" ? ["model", "messages", "max_tokens"] : new[] { "model", "messages" })
        {
            if (!json.ContainsKey(field))
            {
                return new(400, "invalid_request_error", $"{field}: Field required");
            }
        }

        return ContentRefusal(json);
    }

    /// <summary>Top-level fields of a Messages body (API reference); any other is refused as the real API does.</summary>
    private static readonly HashSet<string> MessagesFields = new(StringComparer.Ordinal)
    {
        "model", "messages", "max_tokens", "system", "metadata", "stop_sequences", "stream", "temperature", "top_p",
        "top_k", "tools", "tool_choice", "thinking", "service_tier", "container", "mcp_servers", "output_config",
        "context_management", "inference_geo",
    };

    /// <summary>The content rules the real API enforces that matter to translation.</summary>
    private static AnthropicErrorBehavior? ContentRefusal(JsonObject json)
    {
        if (json.Select(p => p.Key).FirstOrDefault(k => !MessagesFields.Contains(k)) is { } extra)
        {
            return new(400, "invalid_request_error", $"{extra}: Extra inputs are not permitted");
        }

        // Ranges, per-model limits, cache breakpoints and the thinking rules (forced tools among them) are the
        // same on every door to Claude: one class states them for this fake and the Vertex one.
        if (AnthropicModelRules.Check(json, WireValues.Text(json["model"]) ?? "") is { } rule)
        {
            return new(rule.Status, rule.Type, rule.Message);
        }

        if (json["output_config"]?["format"] is JsonObject format)
        {
            var model = json["model"]?.GetValue<string>() ?? "";
            if (!NativeStructuredOutputs(model))
            {
                return new(400, "invalid_request_error", $"'claude' model '{model}' does not support output_config.format");
            }

            if (format["schema"] is JsonNode schema && OpenObject(schema) is { } path)
            {
                return new(400, "invalid_request_error", $"output_config.format.schema: For 'object' type, 'additionalProperties' must be explicitly set to false ({path})");
            }
        }

        return null;
    }

    /// <summary>The models the fake grants native structured outputs (Claude 4.5 and later, by id).</summary>
    private static bool NativeStructuredOutputs(string model) =>
        model.Contains("-4-5", StringComparison.Ordinal) || model.Contains("-4-6", StringComparison.Ordinal) || model.Contains("-4-7", StringComparison.Ordinal);

    /// <summary>The path of an object schema not closed with <c>additionalProperties: false</c>, or null.</summary>
    private static string? OpenObject(JsonNode node, string path = "schema")
    {
        if (node is JsonObject o)
        {
            var isObject = o.ContainsKey("properties") || o["type"]?.GetValueKind() == System.Text.Json.JsonValueKind.String && o["type"]!.GetValue<string>() == "object";
            if (isObject && !(o["additionalProperties"] is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.False))
            {
                return path;
            }

            foreach (var (key, child) in o)
            {
                if (child is not null && key != "additionalProperties" && OpenObject(child, $"{path}.{key}") is { } inner)
                {
                    return inner;
                }
            }
        }
        else if (node is JsonArray a)
        {
            for (var i = 0; i < a.Count; i++)
            {
                if (a[i] is { } item && OpenObject(item, $"{path}[{i}]") is { } inner)
                {
                    return inner;
                }
            }
        }

        return null;
    }

    private static async Task RunAsync(HttpContext http, AnthropicRecordedRequest record, AnthropicBehavior behavior)
    {
        switch (behavior)
        {
            case AnthropicErrorBehavior e:
                await WriteErrorAsync(http, e.Status, e.Type, e.Message);
                break;
            case AnthropicRawBehavior raw:
                await raw.Handler(http, record);
                break;
            case AnthropicMessageBehavior m when !record.IsStream:
                await WriteJsonAsync(http, 200, AnthropicWire.Message(IdOf(m), m.ResponseModel ?? record.Model ?? "claude", m.Content, m.StopReason, m.StopSequence, m.Usage));
                break;
            case AnthropicMessageBehavior m:
                await StreamAsync(http, Events(m, record), int.MaxValue);
                break;
            case AnthropicStreamFailureBehavior f:
                await StreamAsync(http, Events(f.Source, record), f.EventsBefore);
                if (f.DropConnection)
                {
                    // Kestrel's flush only hands bytes to its output pipe and an abort discards what is still
                    // queued: give the socket time to send the events first, so the cut comes after them.
                    await Task.Delay(300, http.RequestAborted);
                    http.Abort();
                }
                else
                {
                    await http.Response.Body.WriteAsync(AnthropicWire.Frame("error", AnthropicWire.Error(f.Type!, f.Message!)), http.RequestAborted);
                }

                break;
        }
    }

    private static IReadOnlyList<(string Event, JsonObject Data)> Events(AnthropicMessageBehavior m, AnthropicRecordedRequest record) =>
        AnthropicWire.StreamEvents(IdOf(m), m.ResponseModel ?? record.Model ?? "claude", m.Content, m.StopReason, m.StopSequence, m.Usage, m.Chunks);

    private static string IdOf(AnthropicMessageBehavior m) => m.Id ?? "msg_01" + FakeIds.Alnum(22);

    private static async Task StreamAsync(HttpContext http, IReadOnlyList<(string Event, JsonObject Data)> events, int limit)
    {
        http.Response.StatusCode = 200;
        http.Response.ContentType = AnthropicWire.StreamContentType;
        http.Response.Headers.CacheControl = "no-cache";
        await http.Response.StartAsync(http.RequestAborted);
        foreach (var (name, data) in events.Take(limit))
        {
            await http.Response.Body.WriteAsync(AnthropicWire.Frame(name, data), http.RequestAborted);
            await http.Response.Body.FlushAsync(http.RequestAborted);
        }
    }

    private static Task WriteErrorAsync(HttpContext http, int status, string type, string message) =>
        WriteJsonAsync(http, status, AnthropicWire.Error(type, message));

    private static async Task WriteJsonAsync(HttpContext http, int status, JsonNode json)
    {
        var bytes = Encoding.UTF8.GetBytes(AnthropicWire.Serialize(json));
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        http.Response.ContentLength = bytes.Length;
        await http.Response.Body.WriteAsync(bytes, http.RequestAborted);
    }
}
