using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
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

namespace Switchyard.Tests.TestKit.Gemini;

/// <summary>One request as the fake Gemini received it.</summary>
public sealed record GeminiRecordedRequest(string Path, string Query, IReadOnlyDictionary<string, string> Headers, string Body, string Model, string Method)
{
    /// <summary>The body parsed as JSON.</summary>
    public JsonNode? Json { get; } = string.IsNullOrWhiteSpace(Body) ? null : JsonNode.Parse(Body);

    /// <summary>A header's value, or null.</summary>
    public string? Header(string name) => Headers.TryGetValue(name, out var v) ? v : null;
}

/// <summary>
/// An in-process fake of the Gemini API (AI Studio) on a real Kestrel socket (127.0.0.1, random port):
/// <c>POST /v1beta/models/{model}:generateContent</c> and <c>:streamGenerateContent</c> (<c>?alt=sse</c>: SSE with
/// <c>data: {chunk}\r\n\r\n</c> and no terminator; without it, Google's streamed JSON array). Authentication as
/// Google does it: <c>x-goog-api-key</c> or <c>?key=</c>; none is 403 PERMISSION_DENIED, a wrong one 400
/// API_KEY_INVALID. Bodies are checked the way Google's proto JSON parser checks them, so a field the gateway
/// misspells fails here with Google's own message, and a value the model refuses (sampling ranges, thinking:
/// <see cref="GeminiModelRules"/>) fails with 400 INVALID_ARGUMENT.
/// </summary>
public sealed class FakeGeminiUpstream : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly JsonSerializerOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly HashSet<string> TopLevel = ["contents", "systemInstruction", "tools", "toolConfig", "generationConfig", "safetySettings", "cachedContent"];
    private static readonly HashSet<string> PartFields = ["text", "thought", "thoughtSignature", "inlineData", "fileData", "functionCall", "functionResponse"];
    private static readonly HashSet<string> ConfigFields =
    [
        "stopSequences", "responseMimeType", "responseSchema", "responseJsonSchema", "candidateCount", "maxOutputTokens", "temperature",
        "topP", "topK", "seed", "presencePenalty", "frequencyPenalty", "thinkingConfig", "responseModalities",
    ];

    private readonly WebApplication app;
    private readonly Lock gate = new();
    private readonly Queue<GeminiReply> queue = new();
    private readonly List<GeminiRecordedRequest> requests = [];
    private int responses;

    private FakeGeminiUpstream(WebApplication app, string apiKey)
    {
        this.app = app;
        ApiKey = apiKey;
    }

    /// <summary>The API root including <c>/v1beta</c> (a Gemini provider's base URL).</summary>
    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>The only key accepted.</summary>
    public string ApiKey { get; }

    /// <summary>What answers when nothing is queued.</summary>
    public GeminiReply Default { get; set; } = GeminiReply.Text("Hello from the fake Gemini!");

    /// <summary>Requests received, in order.</summary>
    public IReadOnlyList<GeminiRecordedRequest> Requests
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
    public static async Task<FakeGeminiUpstream> StartAsync(string apiKey = "fake-gemini-key")
    {
        var app = LoopbackServer.Create();
        var fake = new FakeGeminiUpstream(app, apiKey);
        app.Run(fake.HandleAsync);
        var address = await LoopbackServer.StartAsync(app);
        fake.BaseUrl = new Uri(address.TrimEnd('/') + "/v1beta");
        return fake;
    }

    /// <summary>Scripts the next answers, in order.</summary>
    public void Enqueue(params GeminiReply[] replies)
    {
        lock (gate)
        {
            foreach (var r in replies)
            {
                queue.Enqueue(r);
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await LoopbackServer.StopAsync(app);
    }

    private async Task HandleAsync(HttpContext http)
    {
        using var reader = new StreamReader(http.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync(http.RequestAborted);
        var path = http.Request.Path.Value ?? "";
        const string prefix = "/v1beta/models/";
        var colon = path.LastIndexOf(':');
        if (http.Request.Method != "POST" || !path.StartsWith(prefix, StringComparison.Ordinal) || colon < prefix.Length)
        {
            await ErrorAsync(http, GeminiReply.Error(404, "NOT_FOUND", $"Requested entity was not found: {path}"));
            return;
        }

        var model = path[prefix.Length..colon];
        var method = path[(colon + 1)..];
        var headers = http.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        GeminiReply reply;
        lock (gate)
        {
            requests.Add(new GeminiRecordedRequest(path, http.Request.QueryString.Value ?? "", headers, body, model, method));
            reply = queue.TryDequeue(out var next) ? next : Default;
        }

        if (Refusal(http, body, model, method) is { } refusal)
        {
            await ErrorAsync(http, refusal);
            return;
        }

        var responseId = $"fakeResp{Interlocked.Increment(ref responses)}";
        var stream = method == "streamGenerateContent";
        var sse = http.Request.Query["alt"] == "sse";
        switch (reply)
        {
            case ErrorReply error:
                await ErrorAsync(http, error);
                break;
            case ContentReply content when !stream:
                await WriteAsync(http, 200, content.Whole(model, responseId).ToJsonString(Indented));
                break;
            case ContentReply content:
                await StreamAsync(http, sse, Enumerable.Range(0, content.Pieces.Length).Select(i => content.Chunk(i, model, responseId)));
                break;
            case CutReply cut:
                // The response ends cleanly but no chunk carried a finishReason: for a Gemini stream, which has
                // no terminator, that is what a cut looks like.
                await StreamAsync(http, sse, Enumerable.Range(0, cut.Chunks).Select(i => cut.Source.Chunk(i, model, responseId)), close: false);
                break;
            case StreamErrorReply se:
                await StreamAsync(http, sse, Enumerable.Range(0, se.Chunks).Select(i => se.Source.Chunk(i, model, responseId)), close: false);
                await Task.Delay(se.DelayBeforeError, http.RequestAborted);
                var failure = GeminiReply.Error(500, "INTERNAL", "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting").Body().ToJsonString(Compact);
                await http.Response.WriteAsync(sse ? $"data: {failure}\r\n\r\n" : ",\r\n" + failure + "]");
                break;
        }
    }

    /// <summary>What Google answers before generating: authentication, the method, the body's shape, then the
    /// model's own rules (sampling ranges, thinking) per <see cref="GeminiModelRules"/>. Null to go on.</summary>
    private ErrorReply? Refusal(HttpContext http, string body, string model, string method)
    {
        var key = http.Request.Headers["x-goog-api-key"].FirstOrDefault() ?? http.Request.Query["key"].FirstOrDefault();
        if (key is null)
        {
            return GeminiReply.Error(403, "PERMISSION_DENIED",
                "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.");
        }

        if (key != ApiKey)
        {
            return GeminiReply.Error(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.",
                new JsonArray(new JsonObject { ["@type"] = "type.googleapis.com/google.rpc.ErrorInfo", ["reason"] = "API_KEY_INVALID", ["domain"] = "googleapis.com" }));
        }

        if (method is not ("generateContent" or "streamGenerateContent"))
        {
            return GeminiReply.Error(404, "NOT_FOUND", $"Method not found: {method}");
        }

        if (Validate(body) is { } invalid)
        {
            return GeminiReply.Error(400, "INVALID_ARGUMENT", invalid);
        }

        return GeminiModelRules.Check(JsonNode.Parse(body)!.AsObject(), model, vertex: false) is { } rule
            ? GeminiReply.Error(rule.Status, rule.Type, rule.Message)
            : null;
    }

    /// <summary>Google's proto JSON parser refuses unknown names; a small subset of that check.</summary>
    private static string? Validate(string body)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(body);
        }
        catch (JsonException ex)
        {
            return $"Invalid JSON payload received. {ex.Message}";
        }

        if (root is not JsonObject obj)
        {
            return "Invalid JSON payload received. Expected an object.";
        }

        var unknown = obj.Select(p => p.Key).FirstOrDefault(k => !TopLevel.Contains(k))
            ?? (obj["generationConfig"] as JsonObject)?.Select(p => "generationConfig." + p.Key).FirstOrDefault(k => !ConfigFields.Contains(k[17..]))
            ?? (obj["contents"] as JsonArray)?.SelectMany(c => (c?["parts"] as JsonArray) ?? [])
                .SelectMany(p => (p as JsonObject)?.Select(f => f.Key) ?? []).FirstOrDefault(k => !PartFields.Contains(k));
        if (unknown is not null)
        {
            return $"Invalid JSON payload received. Unknown name \"{unknown}\": Cannot find field.";
        }

        return obj["contents"] is JsonArray { Count: > 0 } ? null : "* GenerateContentRequest.contents: contents is not specified";
    }

    private static async Task StreamAsync(HttpContext http, bool sse, IEnumerable<JsonObject> chunks, bool close = true)
    {
        http.Response.StatusCode = 200;
        http.Response.ContentType = sse ? "text/event-stream" : "application/json; charset=UTF-8";
        var first = true;
        if (!sse)
        {
            await http.Response.WriteAsync("[");
        }

        foreach (var chunk in chunks)
        {
            var json = chunk.ToJsonString(Compact);
            await http.Response.WriteAsync(sse ? $"data: {json}\r\n\r\n" : (first ? json : ",\r\n" + json));
            await http.Response.Body.FlushAsync();
            first = false;
        }

        if (!sse && close)
        {
            await http.Response.WriteAsync("]");
        }
    }

    private static Task ErrorAsync(HttpContext http, ErrorReply error) => WriteAsync(http, error.Code, error.Body().ToJsonString(Indented));

    private static Task WriteAsync(HttpContext http, int status, string json)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json; charset=UTF-8";
        return http.Response.WriteAsync(json);
    }
}
