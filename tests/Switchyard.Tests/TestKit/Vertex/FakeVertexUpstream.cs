using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Switchyard.Tests.TestKit.Anthropic;
using Switchyard.Tests.TestKit.Gemini;

namespace Switchyard.Tests.TestKit.Vertex;

/// <summary>One request as the fake Vertex received it.</summary>
public sealed record VertexRecordedRequest(string Path, string Query, IReadOnlyDictionary<string, string> Headers, string Body,
    string Project, string Location, string Publisher, string Model, string Method)
{
    /// <summary>The body as JSON, or null.</summary>
    public JsonNode? Json { get; } = Parse(Body);

    /// <summary>A header's value, or null.</summary>
    public string? Header(string name) => Headers.TryGetValue(name, out var v) ? v : null;

    /// <summary>The bearer token sent, or null.</summary>
    public string? Bearer => Header("Authorization") is { } a && a.StartsWith("Bearer ", StringComparison.Ordinal) ? a[7..] : null;

    private static JsonNode? Parse(string body)
    {
        try
        {
            return string.IsNullOrWhiteSpace(body) ? null : JsonNode.Parse(body);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>
/// An in-process fake of Vertex AI's prediction endpoint on a real Kestrel socket (127.0.0.1, random port), for
/// both publishers under <c>/v1/projects/{project}/locations/{location}/publishers/{publisher}/models/{model}:{method}</c>:
/// <list type="bullet">
/// <item><c>google</c>: <c>generateContent</c> and <c>streamGenerateContent?alt=sse</c>, answering with the Gemini
/// fake's <see cref="GeminiReply"/> builders (content and error replies).</item>
/// <item><c>anthropic</c>: <c>rawPredict</c> and <c>streamRawPredict</c>, answering with the Anthropic fake's
/// <see cref="AnthropicBehavior"/> builders (messages and errors). Like Vertex it refuses a body with <c>model</c>,
/// without <c>"anthropic_version": "vertex-2023-10-16"</c>, or whose <c>stream</c> disagrees with the method.</item>
/// <item>Both refuse what the model in the URL refuses, as the real services do: Claude per
/// <see cref="AnthropicModelRules"/>, Gemini per <see cref="GeminiModelRules"/> (with Vertex's own demand for
/// <c>fileData.mimeType</c>).</item>
/// </list>
/// Every request needs <c>Authorization: Bearer</c> with a token <see cref="AcceptToken"/> accepts, else 401
/// UNAUTHENTICATED in Google's envelope, as Vertex answers.
/// </summary>
public sealed partial class FakeVertexUpstream : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly Lock gate = new();
    private readonly Queue<GeminiReply> gemini = new();
    private readonly Queue<AnthropicBehavior> claude = new();
    private readonly List<VertexRecordedRequest> requests = [];

    private FakeVertexUpstream(WebApplication app) => this.app = app;

    /// <summary>The endpoint root without the API version (a Vertex provider's <c>base_url</c>).</summary>
    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>Which bearer tokens are valid (typically <see cref="FakeGoogleTokenEndpoint.IsValid"/>).</summary>
    public Func<string, bool> AcceptToken { get; set; } = _ => true;

    /// <summary>Requests received, in order.</summary>
    public IReadOnlyList<VertexRecordedRequest> Requests
    {
        get
        {
            lock (gate)
            {
                return [.. requests];
            }
        }
    }

    /// <summary>Starts a fake on a free port.</summary>
    public static async Task<FakeVertexUpstream> StartAsync()
    {
        var app = LoopbackServer.Create();
        var fake = new FakeVertexUpstream(app);
        app.Run(fake.HandleAsync);
        var address = await LoopbackServer.StartAsync(app);
        fake.BaseUrl = new Uri(address.TrimEnd('/'));
        return fake;
    }

    /// <summary>Scripts the next answers of Gemini models, in order (default: a text answer).</summary>
    public void EnqueueGemini(params GeminiReply[] replies)
    {
        lock (gate)
        {
            replies.ToList().ForEach(gemini.Enqueue);
        }
    }

    /// <summary>Scripts the next answers of Claude models, in order (default: a text answer).</summary>
    public void EnqueueClaude(params AnthropicBehavior[] behaviors)
    {
        lock (gate)
        {
            behaviors.ToList().ForEach(claude.Enqueue);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await LoopbackServer.StopAsync(app);
    }

    [GeneratedRegex("^/v1/projects/([^/]+)/locations/([^/]+)/publishers/([^/]+)/models/([^/:]+):([A-Za-z]+)$")]
    private static partial Regex ModelPath();

    private async Task HandleAsync(HttpContext http)
    {
        using var reader = new StreamReader(http.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync(http.RequestAborted);
        var path = http.Request.Path.Value ?? "";
        var match = ModelPath().Match(path);
        if (http.Request.Method != "POST" || !match.Success)
        {
            await GoogleErrorAsync(http, 404, "NOT_FOUND", $"The requested URL {path} was not found on this server.");
            return;
        }

        var headers = http.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var record = new VertexRecordedRequest(path, http.Request.QueryString.Value ?? "", headers, body, match.Groups[1].Value,
            match.Groups[2].Value, match.Groups[3].Value, Uri.UnescapeDataString(match.Groups[4].Value), match.Groups[5].Value);
        lock (gate)
        {
            requests.Add(record);
        }

        if (record.Bearer is not { } token || !AcceptToken(token))
        {
            await GoogleErrorAsync(http, 401, "UNAUTHENTICATED", record.Bearer is null
                ? "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential."
                : "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.");
            return;
        }

        try
        {
            switch (record.Publisher)
            {
                case "google":
                    await GeminiAsync(http, record);
                    break;
                case "anthropic":
                    await ClaudeAsync(http, record);
                    break;
                default:
                    await GoogleErrorAsync(http, 404, "NOT_FOUND", $"Publisher Model `{record.Publisher}/{record.Model}` was not found.");
                    break;
            }
        }
        catch (Exception) when (http.RequestAborted.IsCancellationRequested)
        {
            // The gateway went away.
        }
    }

    private async Task GeminiAsync(HttpContext http, VertexRecordedRequest record)
    {
        if (record.Method is not ("generateContent" or "streamGenerateContent"))
        {
            await GoogleErrorAsync(http, 404, "NOT_FOUND", $"Method not found: {record.Method}");
            return;
        }

        if (record.Json is not JsonObject json || json["contents"] is not JsonArray { Count: > 0 } || json.ContainsKey("model"))
        {
            await GoogleErrorAsync(http, 400, "INVALID_ARGUMENT", "Invalid JSON payload received.");
            return;
        }

        if (GeminiModelRules.Check(json, record.Model, vertex: true) is { } rule)
        {
            await GoogleErrorAsync(http, rule.Status, rule.Type, rule.Message);
            return;
        }

        GeminiReply reply;
        lock (gate)
        {
            reply = gemini.TryDequeue(out var next) ? next : GeminiReply.Text("Hello from the fake Vertex Gemini!");
        }

        var id = "vertexResp" + FakeIds.Alnum(8);
        switch (reply)
        {
            case ErrorReply error:
                await WriteJsonAsync(http, error.Code, error.Body().ToJsonString());
                break;
            case ContentReply content when record.Method == "generateContent":
                await WriteJsonAsync(http, 200, content.Whole(record.Model, id).ToJsonString());
                break;
            case ContentReply content:
                http.Response.ContentType = "text/event-stream";
                for (var i = 0; i < content.Pieces.Length; i++)
                {
                    await http.Response.WriteAsync($"data: {content.Chunk(i, record.Model, id).ToJsonString()}\r\n\r\n", http.RequestAborted);
                    await http.Response.Body.FlushAsync(http.RequestAborted);
                }

                break;
            default:
                throw new NotSupportedException($"the Vertex fake does not play {reply.GetType().Name}");
        }
    }

    private async Task ClaudeAsync(HttpContext http, VertexRecordedRequest record)
    {
        var stream = record.Method == "streamRawPredict";
        if (!stream && record.Method != "rawPredict")
        {
            await GoogleErrorAsync(http, 404, "NOT_FOUND", $"Method not found: {record.Method}");
            return;
        }

        if (Refusal(record, stream) is { } refusal)
        {
            await WriteJsonAsync(http, 400, AnthropicWire.Serialize(AnthropicWire.Error("invalid_request_error", refusal)));
            return;
        }

        AnthropicBehavior behavior;
        lock (gate)
        {
            behavior = claude.TryDequeue(out var next) ? next : AnthropicBehavior.Text("Hello from the fake Vertex Claude!");
        }

        // Vertex reports the model without its '@version' and ids prefixed msg_vrtx_.
        var model = record.Model.Split('@')[0];
        var id = "msg_vrtx_" + FakeIds.Alnum(24);
        switch (behavior)
        {
            case AnthropicErrorBehavior e:
                await WriteJsonAsync(http, e.Status, AnthropicWire.Serialize(AnthropicWire.Error(e.Type, e.Message)));
                break;
            case AnthropicMessageBehavior m when !stream:
                await WriteJsonAsync(http, 200, AnthropicWire.Serialize(AnthropicWire.Message(id, model, m.Content, m.StopReason, m.StopSequence, m.Usage)));
                break;
            case AnthropicMessageBehavior m:
                http.Response.ContentType = AnthropicWire.StreamContentType;
                foreach (var (name, data) in AnthropicWire.StreamEvents(id, model, m.Content, m.StopReason, m.StopSequence, m.Usage, m.Chunks))
                {
                    await http.Response.Body.WriteAsync(AnthropicWire.Frame(name, data), http.RequestAborted);
                    await http.Response.Body.FlushAsync(http.RequestAborted);
                }

                break;
            default:
                throw new NotSupportedException($"the Vertex fake does not play {behavior.GetType().Name}");
        }
    }

    /// <summary>What Vertex refuses in a Claude body before the model sees it.</summary>
    private static string? Refusal(VertexRecordedRequest record, bool stream)
    {
        if (record.Json is not JsonObject json)
        {
            return "There was an issue with your request body: it is not valid JSON.";
        }

        if (json.ContainsKey("model"))
        {
            return "model: Extra inputs are not permitted";
        }

        if ((string?)json["anthropic_version"] != "vertex-2023-10-16")
        {
            return "anthropic_version: Input should be 'vertex-2023-10-16'";
        }

        foreach (var field in new[] { "messages", "max_tokens" })
        {
            if (!json.ContainsKey(field))
            {
                return $"{field}: Field required";
            }
        }

        var streamFlag = json["stream"] is JsonValue v && v.TryGetValue<bool>(out var b) && b;
        if (streamFlag != stream)
        {
            return $"stream: must be {stream.ToString().ToLowerInvariant()} for {record.Method}";
        }

        // Claude on Vertex is Anthropic's Messages API behind Google's door: the same per-model rules, with the
        // model taken from the URL (claude-3-haiku@20240307) since the body carries none.
        return AnthropicModelRules.Check(json, record.Model)?.Message;
    }

    private static Task GoogleErrorAsync(HttpContext http, int code, string status, string message) =>
        WriteJsonAsync(http, code, new JsonObject { ["error"] = new JsonObject { ["code"] = code, ["message"] = message, ["status"] = status } }.ToJsonString());

    private static Task WriteJsonAsync(HttpContext http, int status, string json)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json; charset=UTF-8";
        return http.Response.WriteAsync(json);
    }
}
