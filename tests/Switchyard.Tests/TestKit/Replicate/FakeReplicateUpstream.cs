using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Switchyard.Tests.TestKit.Replicate;

/// <summary>How a scripted prediction runs.</summary>
public enum PredictionScript
{
    /// <summary>Done within the create's <c>Prefer: wait</c>: the create answers <c>succeeded</c> with its outputs.</summary>
    Instant,

    /// <summary><c>starting</c> at the create, <c>processing</c> at the first poll, <c>succeeded</c> at the second.</summary>
    Slow,

    /// <summary><c>starting</c>, then <c>failed</c> with Replicate's NSFW error at the first poll (billed seconds all the same).</summary>
    Nsfw,

    /// <summary><c>starting</c>, then <c>processing</c> at every poll until cancelled.</summary>
    Endless,

    /// <summary>Like <see cref="Slow"/>, but a cancel comes too late to stop it: it still succeeds (and is billed).</summary>
    Stubborn,
}

/// <summary>One request as the fake Replicate received it.</summary>
public sealed record ReplicateRequest(string Method, string Path, string? Auth, string? Prefer, string Body)
{
    /// <summary>The JSON body.</summary>
    public JsonNode Json => JsonNode.Parse(Body)!;
}

/// <summary>
/// An in-process Replicate HTTP API on a real Kestrel socket, strict like the real one (shapes read 2026-12-06 with the
/// search tool: replicate.com/docs/topics/predictions, create-a-prediction, the HTTP reference's models.predictions.create,
/// predictions.get and predictions.cancel; problem details as in replicate-python's ReplicateError, RFC 7807). Creates at
/// <c>POST /v1/models/{owner}/{name}/predictions</c> (official models) and <c>POST /v1/predictions</c> with a known
/// <c>version</c>; polls at <c>GET /v1/predictions/{id}</c>; cancels at <c>POST /v1/predictions/{id}/cancel</c>. A wrong
/// token is a 401 problem, a top-level field other than <c>input</c>, <c>webhook</c>, <c>webhook_events_filter</c> or
/// <c>stream</c>, an input FLUX does not take, or a value outside its enum is a 422 "Input validation failed" naming it,
/// and a <c>Prefer</c> other than <c>wait</c> / <c>wait=1..60</c> a 400 (none: the async mode). Output files are served at <c>/files/...</c>
/// and refuse any request that carries an <c>Authorization</c> header (the API token must not follow the outputs).
/// Predictions run by <see cref="PredictionScript"/>; state moves only when the gateway polls, never on a clock.
/// </summary>
public sealed class FakeReplicateUpstream : IAsyncDisposable
{
    /// <summary>The API token the fake accepts.</summary>
    public const string Token = "r8_fake_token_61c0d2";

    /// <summary>The community model version the fake knows (billed by the second).</summary>
    public const string Version = "5599ed30703defd1d160a25a63321b4dec97101d98b4674bcc56e41f62f35637";

    /// <summary>FLUX's documented inputs.</summary>
    public static readonly HashSet<string> FluxInputs =
        ["prompt", "go_fast", "megapixels", "num_outputs", "aspect_ratio", "output_format", "output_quality", "num_inference_steps", "disable_safety_checker", "seed"];

    /// <summary>Kling's documented inputs (the fake's video model, <c>kwaivgi/kling-v2.1</c>).</summary>
    public static readonly HashSet<string> KlingInputs = ["prompt", "duration", "aspect_ratio", "negative_prompt", "start_image", "cfg_scale"];

    private static readonly HashSet<string> AspectRatios = ["1:1", "16:9", "21:9", "3:2", "2:3", "4:5", "5:4", "3:4", "4:3", "9:16", "9:21"];
    private static readonly HashSet<string> TopLevel = ["input", "webhook", "webhook_events_filter", "stream", "version"];

    private readonly WebApplication app;
    private readonly ConcurrentQueue<ReplicateRequest> requests = new();
    private readonly ConcurrentQueue<PredictionScript> scripts = new();
    private readonly ConcurrentQueue<(int Status, string Body)> createFailures = new();
    private readonly ConcurrentDictionary<string, Prediction> predictions = new();
    private readonly SemaphoreSlim arrived = new(0);
    private int nextId;

    private FakeReplicateUpstream(WebApplication app) => this.app = app;

    /// <summary>The fake's root (<c>http://127.0.0.1:PORT</c>); the API is under <c>/v1</c>.</summary>
    public string BaseUrl { get; private set; } = "";

    /// <summary>Every request, in arrival order.</summary>
    public IReadOnlyList<ReplicateRequest> Requests => [.. requests];

    /// <summary>The bytes of output <paramref name="index"/> of prediction <paramref name="id"/>.</summary>
    public static byte[] FileBytes(string id, int index) => Encoding.ASCII.GetBytes($"RIFF-webp-{id}-{index}");

    /// <summary>Starts the fake.</summary>
    public static async Task<FakeReplicateUpstream> StartAsync()
    {
        var app = LoopbackServer.Create();
        var fake = new FakeReplicateUpstream(app);
        app.Run(fake.HandleAsync);
        fake.BaseUrl = await LoopbackServer.StartAsync(app);
        return fake;
    }

    /// <summary>How the next predictions run, in order (then <see cref="PredictionScript.Instant"/>).</summary>
    public void Script(params PredictionScript[] next)
    {
        foreach (var script in next)
        {
            scripts.Enqueue(script);
        }
    }

    /// <summary>The next create is refused with <paramref name="status"/> and the problem body <paramref name="body"/>.</summary>
    public void FailNextCreate(int status, string body) => createFailures.Enqueue((status, body));

    /// <summary>The prediction <paramref name="id"/>'s status now (what a poll would say before moving it).</summary>
    public string StatusOf(string id) => predictions[id].Status;

    /// <summary>The ids of the predictions created, in order.</summary>
    public IReadOnlyList<string> Created => [.. predictions.Values.OrderBy(p => p.Seq).Select(p => p.Id)];

    /// <summary>A prediction as a webhook or poll carries it.</summary>
    public string PredictionJson(string id) => predictions[id].Json(BaseUrl);

    /// <summary>
    /// Waits until a request has been answered since the last call, or <paramref name="bound"/> passed (false). An event,
    /// not a clock: tests use it to step a fake clock once the gateway has had its answer.
    /// </summary>
    public Task<bool> AnsweredAsync(TimeSpan bound) => arrived.WaitAsync(bound);

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await LoopbackServer.StopAsync(app);

    private async Task HandleAsync(HttpContext http)
    {
        var body = await new StreamReader(http.Request.Body).ReadToEndAsync(http.RequestAborted);
        var path = http.Request.Path.Value ?? "";
        var auth = http.Request.Headers.Authorization.ToString();
        requests.Enqueue(new ReplicateRequest(http.Request.Method, path, auth.Length == 0 ? null : auth, http.Request.Headers["Prefer"].ToString() is { Length: > 0 } p ? p : null, body));
        http.Response.OnCompleted(() =>
        {
            arrived.Release();
            return Task.CompletedTask;
        });
        if (path.StartsWith("/files/", StringComparison.Ordinal))
        {
            await FileAsync(http, path, auth);
            return;
        }

        if (auth != "Bearer " + Token)
        {
            await ProblemAsync(http, 401, "Unauthenticated", "You did not pass a valid authentication token");
            return;
        }

        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        switch (http.Request.Method, segments)
        {
            case ("POST", ["v1", "models", _, _, "predictions"]):
                await CreateAsync(http, $"{segments[2]}/{segments[3]}", body, official: true);
                break;
            case ("POST", ["v1", "predictions"]):
                await CreateAsync(http, null, body, official: false);
                break;
            case ("GET", ["v1", "predictions", var id]) when predictions.TryGetValue(id, out var prediction):
                prediction.Poll();
                await JsonAsync(http, 200, prediction.Json(BaseUrl));
                break;
            case ("POST", ["v1", "predictions", var id, "cancel"]) when predictions.TryGetValue(id, out var prediction):
                prediction.Cancel();
                await JsonAsync(http, 200, prediction.Json(BaseUrl));
                break;
            default:
                await ProblemAsync(http, 404, "Not found", "The requested resource could not be found.");
                break;
        }
    }

    private async Task CreateAsync(HttpContext http, string? model, string body, bool official)
    {
        if (createFailures.TryDequeue(out var failure))
        {
            http.Response.StatusCode = failure.Status;
            http.Response.ContentType = "application/problem+json";
            await http.Response.WriteAsync(failure.Body);
            return;
        }

        if (!PreferOk(http.Request.Headers["Prefer"].ToString()))
        {
            await ProblemAsync(http, 400, "Invalid Prefer header", "Prefer must be 'wait' or 'wait=n' with n from 1 to 60");
            return;
        }

        var video = model?.StartsWith("kwaivgi/", StringComparison.Ordinal) == true;
        if ((video ? InvalidVideo(JsonNode.Parse(body)!.AsObject()) : Invalid(JsonNode.Parse(body)!.AsObject(), official)) is { } invalid)
        {
            await ProblemAsync(http, 422, "Input validation failed", invalid);
            return;
        }

        var request = JsonNode.Parse(body)!;
        var id = $"pred{Interlocked.Increment(ref nextId):D4}q8x";
        var count = request["input"]!["num_outputs"]?.GetValue<int>() ?? 1;
        var prediction = new Prediction(id, model ?? "someone/sdxl-lite", official ? null : Version, count, scripts.TryDequeue(out var s) ? s : PredictionScript.Instant, nextId) { Video = video };
        predictions[id] = prediction;
        await JsonAsync(http, 201, prediction.Json(BaseUrl));
    }

    private static bool PreferOk(string prefer) =>
        prefer.Length == 0 || prefer == "wait" || (prefer.StartsWith("wait=", StringComparison.Ordinal) && int.TryParse(prefer[5..], out var n) && n is >= 1 and <= 60);

    /// <summary>What Replicate's validation would say about the body, or null.</summary>
    private static string? Invalid(JsonObject request, bool official)
    {
        if (request.Select(p => p.Key).FirstOrDefault(k => !TopLevel.Contains(k)) is { } unknown)
        {
            return $"{unknown}: Additional property {unknown} is not allowed";
        }

        if (official == request.ContainsKey("version") || (!official && request["version"]!.GetValue<string>() != Version))
        {
            return official ? "version: a version is not taken for an official model" : "version: Invalid version or not permitted";
        }

        if (request["input"] is not JsonObject input || input["prompt"] is null)
        {
            return "input: prompt is required";
        }

        if (input.Select(p => p.Key).FirstOrDefault(k => !FluxInputs.Contains(k)) is { } field)
        {
            return $"input.{field}: Additional property {field} is not allowed";
        }

        return input["aspect_ratio"] is { } ratio && !AspectRatios.Contains(ratio.GetValue<string>()) ? "input.aspect_ratio: not one of the allowed values"
            : input["output_format"] is { } format && format.GetValue<string>() is not ("webp" or "jpg" or "png") ? "input.output_format: not one of webp, jpg, png"
            : input["num_outputs"] is { } n && n.GetValue<int>() is < 1 or > 4 ? "input.num_outputs: must be between 1 and 4"
            : null;
    }

    /// <summary>What Replicate's validation would say about a Kling create, or null.</summary>
    private static string? InvalidVideo(JsonObject request) =>
        request.Select(p => p.Key).FirstOrDefault(k => !TopLevel.Contains(k) || k == "version") is { } unknown ? $"{unknown}: Additional property {unknown} is not allowed"
        : request["input"] is not JsonObject input || input["prompt"] is null ? "input: prompt is required"
        : input.Select(p => p.Key).FirstOrDefault(k => !KlingInputs.Contains(k)) is { } field ? $"input.{field}: Additional property {field} is not allowed"
        : input["duration"] is { } d && d.GetValue<int>() is not (5 or 10) ? "input.duration: must be one of 5, 10"
        : input["aspect_ratio"] is { } r && r.GetValue<string>() is not ("16:9" or "9:16" or "1:1") ? "input.aspect_ratio: must be one of 16:9, 9:16, 1:1"
        : null;

    private static async Task FileAsync(HttpContext http, string path, string auth)
    {
        if (auth.Length > 0)
        {
            await ProblemAsync(http, 400, "Credentials sent to a file URL", "delivery URLs take no Authorization header");
            return;
        }

        var parts = path["/files/".Length..].Split('/');
        http.Response.ContentType = "image/webp";
        await http.Response.Body.WriteAsync(FileBytes(parts[0], int.Parse(parts[1].Split('.')[0], System.Globalization.CultureInfo.InvariantCulture)));
    }

    private static Task ProblemAsync(HttpContext http, int status, string title, string detail)
    {
        var problem = new JsonObject { ["title"] = title, ["detail"] = detail, ["status"] = status };
        http.Response.ContentType = "application/problem+json";
        http.Response.StatusCode = status;
        return http.Response.WriteAsync(problem.ToJsonString());
    }

    private static Task JsonAsync(HttpContext http, int status, string json)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        return http.Response.WriteAsync(json);
    }

    /// <summary>One prediction's state, moved by polls and cancels only.</summary>
    private sealed class Prediction(string id, string model, string? version, int outputs, PredictionScript script, int seq)
    {
        private int polls;

        public string Id => id;

        /// <summary>A video model's prediction: one output file, given as a string.</summary>
        public bool Video { get; init; }

        public int Seq => seq;

        public string Status { get; private set; } = script == PredictionScript.Instant ? "succeeded" : "starting";

        public string? Error { get; private set; }

        public void Poll()
        {
            lock (this)
            {
                polls++;
                Status = (script, Status) switch
                {
                    (_, "canceled" or "succeeded" or "failed") => Status,
                    (PredictionScript.Slow or PredictionScript.Stubborn, _) => polls >= 2 ? "succeeded" : "processing",
                    (PredictionScript.Nsfw, _) => "failed",
                    _ => "processing",
                };
                Error = Status == "failed" ? "NSFW content detected. Try running it again, or try a different prompt." : null;
            }
        }

        public void Cancel()
        {
            lock (this)
            {
                Status = Status is "succeeded" or "failed" || script == PredictionScript.Stubborn ? Status : "canceled";
            }
        }

        public string Json(string baseUrl)
        {
            lock (this)
            {
                var done = Status is "succeeded" or "failed" or "canceled";
                JsonNode? output = Status != "succeeded" ? null
                    : Video ? JsonValue.Create($"{baseUrl}/files/{id}/0.mp4")
                    : new JsonArray([.. Enumerable.Range(0, outputs).Select(i => (JsonNode)JsonValue.Create($"{baseUrl}/files/{id}/{i}.webp"))]);
                var json = new JsonObject
                {
                    ["id"] = id,
                    ["model"] = model,
                    ["version"] = version ?? "hidden",
                    ["input"] = new JsonObject(),
                    ["logs"] = "",
                    ["output"] = output,
                    ["error"] = Error,
                    ["status"] = Status,
                    ["created_at"] = "2026-12-06T10:00:00.000000Z",
                    ["data_removed"] = false,
                    ["metrics"] = done && Status != "canceled" ? new JsonObject { ["predict_time"] = 2.5, ["total_time"] = 2.6 } : new JsonObject(),
                    ["urls"] = new JsonObject
                    {
                        ["get"] = $"https://api.replicate.example/v1/predictions/{id}",
                        ["cancel"] = $"https://api.replicate.example/v1/predictions/{id}/cancel",
                    },
                };
                return json.ToJsonString();
            }
        }
    }
}
