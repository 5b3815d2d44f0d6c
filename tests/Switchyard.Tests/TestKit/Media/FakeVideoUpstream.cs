using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Switchyard.Tests.TestKit.Media;

/// <summary>One upstream video job as the fake keeps it.</summary>
/// <param name="Id">Its id there (OpenAI <c>video_up…</c>; a Veo operation name).</param>
/// <param name="Model">The model it was made with.</param>
/// <param name="Seconds">Its length.</param>
/// <param name="Size">Its size (OpenAI) or aspect ratio (Veo).</param>
public sealed record FakeVideoJob(string Id, string Model, int Seconds, string Size)
{
    /// <summary><c>queued</c>, <c>in_progress</c>, <c>completed</c> or <c>failed</c>.</summary>
    public string Status { get; set; } = "queued";
}

/// <summary>
/// An in-process fake of two video APIs behind one Kestrel socket, strict like the real ones (a wrong key is a 401, an
/// undocumented field a 400 naming it, an unsupported length a 400), checked with the search tool against each vendor's
/// reference:
/// OpenAI's Videos API under <c>/openai/v1/videos</c> (create as JSON or multipart with <c>input_reference</c>, retrieve,
/// content with <c>variant</c>, delete), and Veo on the Gemini API under <c>/gemini/v1beta</c>
/// (<c>models/{m}:predictLongRunning</c>, the operation <c>models/{m}/operations/{id}</c>, the generated file
/// <c>files/{id}:download</c>, which redirects, like Google's, to a storage URL that must be fetched without the key).
/// Jobs stay queued until the test ends them (<see cref="Complete"/>, <see cref="Fail"/>); a download can be held
/// after its first chunk (<see cref="HoldContent"/>) so a test sees whether the gateway relays before the end.
/// </summary>
public sealed class FakeVideoUpstream : IAsyncDisposable
{
    /// <summary>The key both providers expect.</summary>
    public const string Key = "sk-video-upstream-77a1";

    /// <summary>The video's bytes, in the chunks every download writes.</summary>
    public static readonly byte[][] VideoChunks = [Encoding.ASCII.GetBytes("\0\0\0 ftypmp42-first|"), Encoding.ASCII.GetBytes("moov-second|"), Encoding.ASCII.GetBytes("mdat-last")];

    private static readonly HashSet<string> OpenAICreate = ["model", "prompt", "seconds", "size", "input_reference"];
    private static readonly HashSet<string> VeoTop = ["instances", "parameters"];
    private static readonly HashSet<string> VeoInstance = ["prompt", "image", "lastFrame", "video", "referenceImages"];
    private static readonly HashSet<string> VeoParameters = ["aspectRatio", "negativePrompt", "personGeneration", "durationSeconds", "resolution", "numberOfVideos", "seed"];

    private readonly WebApplication app;
    private readonly List<MediaRequest> requests = [];
    private readonly Dictionary<string, FakeVideoJob> jobs = new(StringComparer.Ordinal);
    private readonly Queue<(string PathEnd, int Status, string Body)> failures = new();
    private TaskCompletionSource? contentGate;
    private int next;

    private FakeVideoUpstream(WebApplication app) => this.app = app;

    /// <summary>The fake's root (<c>http://127.0.0.1:PORT</c>).</summary>
    public string BaseUrl { get; private set; } = "";

    /// <summary>Every request received, in order (a snapshot).</summary>
    public IReadOnlyList<MediaRequest> Requests
    {
        get
        {
            lock (requests)
            {
                return [.. requests];
            }
        }
    }

    /// <summary>The jobs made so far (a snapshot).</summary>
    public IReadOnlyList<FakeVideoJob> Jobs
    {
        get
        {
            lock (jobs)
            {
                return [.. jobs.Values];
            }
        }
    }

    /// <summary>Starts the fake.</summary>
    public static async Task<FakeVideoUpstream> StartAsync()
    {
        var app = LoopbackServer.Create();
        var fake = new FakeVideoUpstream(app);
        app.Run(fake.HandleAsync);
        fake.BaseUrl = await LoopbackServer.StartAsync(app);
        return fake;
    }

    /// <summary>Ends a job with its video.</summary>
    public void Complete(string id) => Job(id).Status = "completed";

    /// <summary>Ends a job without one.</summary>
    public void Fail(string id) => Job(id).Status = "failed";

    /// <summary>Marks a job as rendering.</summary>
    public void Start(string id) => Job(id).Status = "in_progress";

    /// <summary>The next request whose path ends with <paramref name="pathEnd"/> gets <paramref name="status"/> and <paramref name="body"/>.</summary>
    public void FailNext(string pathEnd, int status, string body)
    {
        lock (failures)
        {
            failures.Enqueue((pathEnd, status, body));
        }
    }

    /// <summary>Holds the next download after its first chunk until <see cref="ReleaseContent"/>.</summary>
    public void HoldContent() => contentGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Lets a held download finish.</summary>
    public void ReleaseContent() => contentGate?.TrySetResult();

    private FakeVideoJob Job(string id)
    {
        lock (jobs)
        {
            return jobs[id];
        }
    }

    private FakeVideoJob? Find(string id)
    {
        lock (jobs)
        {
            return jobs.GetValueOrDefault(id);
        }
    }

    private async Task HandleAsync(HttpContext http)
    {
        var path = http.Request.Path.Value ?? "";
        var recorded = await RecordAsync(http, path);
        (string PathEnd, int Status, string Body)? failure = null;
        lock (failures)
        {
            if (failures.Count > 0 && path.EndsWith(failures.Peek().PathEnd, StringComparison.Ordinal))
            {
                failure = failures.Dequeue();
            }
        }

        if (failure is { } f)
        {
            await WriteAsync(http, f.Status, f.Body);
            return;
        }

        if (path.StartsWith("/storage/", StringComparison.Ordinal))
        {
            await StorageAsync(http, recorded, path);
            return;
        }

        var gemini = path.StartsWith("/gemini/", StringComparison.Ordinal);
        if (recorded.Auth != (gemini ? Key : "Bearer " + Key))
        {
            await WriteAsync(http, 401, gemini
                ? """{"error":{"code":401,"message":"API key not valid. Please pass a valid API key.","status":"UNAUTHENTICATED"}}"""
                : """{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}""");
            return;
        }

        await (gemini ? GeminiAsync(http, recorded, path) : OpenAIAsync(http, recorded, path));
    }

    private async Task OpenAIAsync(HttpContext http, MediaRequest r, string path)
    {
        const string Root = "/openai/v1/videos";
        var method = http.Request.Method;
        if (path == Root && method == "POST")
        {
            await OpenAICreateAsync(http, r);
            return;
        }

        var rest = path.StartsWith(Root + "/", StringComparison.Ordinal) ? path[(Root.Length + 1)..] : null;
        var id = rest?.Split('/')[0];
        if (id is null || Find(id) is not { } job)
        {
            await WriteAsync(http, 404, $$$"""{"error":{"message":"Video with id '{{{id}}}' not found.","type":"invalid_request_error","param":null,"code":null}}""");
            return;
        }

        switch (method, rest == id ? "" : rest![(id.Length + 1)..])
        {
            case ("GET", ""):
                await WriteAsync(http, 200, OpenAIVideo(job).ToJsonString());
                break;
            case ("DELETE", ""):
                lock (jobs)
                {
                    jobs.Remove(id);
                }

                await WriteAsync(http, 200, $$"""{"id":"{{id}}","object":"video.deleted","deleted":true}""");
                break;
            case ("GET", "content") when job.Status != "completed":
                await WriteAsync(http, 400, """{"error":{"message":"Video is not ready yet, use GET /v1/videos/{video_id} to check status.","type":"invalid_request_error","param":null,"code":null}}""");
                break;
            case ("GET", "content") when http.Request.Query["variant"].ToString() is "" or "video":
                await ChunksAsync(http, "video/mp4");
                break;
            case ("GET", "content"):
                await WriteAsync(http, 200, "thumbnail-bytes", "image/webp");
                break;
            case ("POST", "remix"):
                await RemixAsync(http, r, job);
                break;
            default:
                await WriteAsync(http, 404, """{"error":{"message":"no such route","type":"invalid_request_error"}}""");
                break;
        }
    }

    private async Task OpenAICreateAsync(HttpContext http, MediaRequest r)
    {
        var names = r.Body.Length > 0 ? r.Json.AsObject().Select(p => p.Key) : r.Fields.Keys.Concat(r.Files.Select(f => f.Name));
        if (names.FirstOrDefault(n => !OpenAICreate.Contains(n)) is { } unknown)
        {
            await WriteAsync(http, 400, $$$"""{"error":{"message":"Unrecognized request argument supplied: {{{unknown}}}","type":"invalid_request_error","param":null,"code":null}}""");
            return;
        }

        var seconds = Str(r, "seconds") ?? "4";
        if (seconds is not ("4" or "8" or "12"))
        {
            await WriteAsync(http, 400, $$$"""{"error":{"message":"Invalid value: '{{{seconds}}}'. Supported values are: '4', '8', and '12'.","type":"invalid_request_error","param":"seconds","code":"invalid_value"}}""");
            return;
        }

        var job = Add($"video_up{Interlocked.Increment(ref next)}", Str(r, "model") ?? "sora-2", int.Parse(seconds, CultureInfo.InvariantCulture), Str(r, "size") ?? "720x1280");
        await WriteAsync(http, 200, OpenAIVideo(job).ToJsonString());
    }

    /// <summary>OpenAI's remix: <c>{"prompt"}</c> only, of a completed video; a new job of the same model, length and size.</summary>
    private async Task RemixAsync(HttpContext http, MediaRequest r, FakeVideoJob source)
    {
        if (r.Json.AsObject().Select(p => p.Key).FirstOrDefault(n => n != "prompt") is { } unknown)
        {
            await WriteAsync(http, 400, $$$"""{"error":{"message":"Unrecognized request argument supplied: {{{unknown}}}","type":"invalid_request_error","param":null,"code":null}}""");
            return;
        }

        if (source.Status != "completed")
        {
            await WriteAsync(http, 400, """{"error":{"message":"Only completed videos can be remixed.","type":"invalid_request_error","param":null,"code":null}}""");
            return;
        }

        var job = Add($"video_up{Interlocked.Increment(ref next)}", source.Model, source.Seconds, source.Size);
        var video = OpenAIVideo(job);
        video["remixed_from_video_id"] = source.Id;
        await WriteAsync(http, 200, video.ToJsonString());
    }

    private static JsonObject OpenAIVideo(FakeVideoJob job) => new()
    {
        ["id"] = job.Id, ["object"] = "video", ["model"] = job.Model, ["status"] = job.Status,
        ["progress"] = job.Status switch { "completed" => 100, "in_progress" => 40, _ => 0 },
        ["created_at"] = 1764950400, ["completed_at"] = job.Status == "completed" ? 1764950460 : null, ["expires_at"] = null,
        ["size"] = job.Size, ["seconds"] = job.Seconds.ToString(CultureInfo.InvariantCulture), ["quality"] = "standard",
        ["remixed_from_video_id"] = null,
        ["error"] = job.Status == "failed" ? new JsonObject { ["code"] = "moderation_blocked", ["message"] = "Your request was blocked by our moderation system." } : null,
    };

    private async Task GeminiAsync(HttpContext http, MediaRequest r, string path)
    {
        const string Models = "/gemini/v1beta/models/";
        if (path.StartsWith(Models, StringComparison.Ordinal) && path.EndsWith(":predictLongRunning", StringComparison.Ordinal) && http.Request.Method == "POST")
        {
            await VeoCreateAsync(http, r, path[Models.Length..^":predictLongRunning".Length]);
        }
        else if (path.StartsWith(Models, StringComparison.Ordinal) && path.Contains("/operations/", StringComparison.Ordinal) && Find(path["/gemini/v1beta/".Length..]) is { } job)
        {
            await WriteAsync(http, 200, Operation(job).ToJsonString());
        }
        else if (path.StartsWith("/gemini/v1beta/files/", StringComparison.Ordinal) && path.EndsWith(":download", StringComparison.Ordinal))
        {
            http.Response.StatusCode = 302; // Google's file download redirects to its storage
            http.Response.Headers.Location = $"{BaseUrl}/storage/{path["/gemini/v1beta/files/".Length..^":download".Length]}.mp4";
        }
        else
        {
            await WriteAsync(http, 404, """{"error":{"code":404,"message":"Requested entity was not found.","status":"NOT_FOUND"}}""");
        }
    }

    private async Task VeoCreateAsync(HttpContext http, MediaRequest r, string model)
    {
        var json = r.Json;
        var unknown = json.AsObject().Select(p => p.Key).FirstOrDefault(n => !VeoTop.Contains(n))
            ?? json["instances"]!.AsArray().SelectMany(i => i!.AsObject().Select(p => p.Key)).FirstOrDefault(n => !VeoInstance.Contains(n))
            ?? json["parameters"]?.AsObject().Select(p => p.Key).FirstOrDefault(n => !VeoParameters.Contains(n));
        if (unknown is not null)
        {
            await WriteAsync(http, 400, $$$"""{"error":{"code":400,"message":"Invalid JSON payload received. Unknown name \"{{{unknown}}}\": Cannot find field.","status":"INVALID_ARGUMENT"}}""");
            return;
        }

        var seconds = json["parameters"]?["durationSeconds"]?.GetValue<int>() ?? 8;
        if (seconds is not (4 or 6 or 8))
        {
            await WriteAsync(http, 400, """{"error":{"code":400,"message":"The number value for `durationSeconds` is out of bound. Please provide a value between 4 and 8, inclusive.","status":"INVALID_ARGUMENT"}}""");
            return;
        }

        var job = Add($"models/{model}/operations/op{Interlocked.Increment(ref next)}", model, seconds, json["parameters"]?["aspectRatio"]?.GetValue<string>() ?? "16:9");
        await WriteAsync(http, 200, $$"""{"name":"{{job.Id}}"}""");
    }

    /// <summary>A google.longrunning.Operation: not done, done with the generated video, or done with a google.rpc.Status error.</summary>
    private JsonObject Operation(FakeVideoJob job) => job.Status switch
    {
        "completed" => new JsonObject
        {
            ["name"] = job.Id, ["done"] = true,
            ["response"] = new JsonObject
            {
                ["@type"] = "type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse",
                ["generateVideoResponse"] = new JsonObject
                {
                    ["generatedSamples"] = new JsonArray(new JsonObject
                    {
                        ["video"] = new JsonObject { ["uri"] = $"{BaseUrl}/gemini/v1beta/files/{job.Id.Split('/')[^1]}:download?alt=media" },
                    }),
                },
            },
        },
        "failed" => new JsonObject
        {
            ["name"] = job.Id, ["done"] = true,
            ["error"] = new JsonObject { ["code"] = 3, ["message"] = "The prompt could not be submitted.", ["status"] = "INVALID_ARGUMENT" },
        },
        _ => new JsonObject { ["name"] = job.Id, ["metadata"] = new JsonObject { ["@type"] = "type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningMetadata" } },
    };

    /// <summary>The storage a file uri redirects to: it takes no API key (a request that carries one is refused, so a leak fails the test).</summary>
    private Task StorageAsync(HttpContext http, MediaRequest r, string path) =>
        !string.IsNullOrEmpty(r.Auth) || http.Request.Headers.ContainsKey("x-goog-api-key")
            ? WriteAsync(http, 400, "<Error><Code>InvalidArgument</Code><Message>Unexpected credentials.</Message></Error>", "application/xml")
            : ChunksAsync(http, "video/mp4");

    private FakeVideoJob Add(string id, string model, int seconds, string size)
    {
        var job = new FakeVideoJob(id, model, seconds, size);
        lock (jobs)
        {
            jobs[id] = job;
        }

        return job;
    }

    private async Task ChunksAsync(HttpContext http, string contentType)
    {
        http.Response.StatusCode = 200;
        http.Response.ContentType = contentType;
        http.Response.ContentLength = VideoChunks.Sum(c => c.Length);
        await http.Response.Body.WriteAsync(VideoChunks[0]);
        await http.Response.Body.FlushAsync();
        if (Volatile.Read(ref contentGate) is { Task.IsCompleted: false } gate)
        {
            await gate.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }

        foreach (var chunk in VideoChunks.Skip(1))
        {
            await http.Response.Body.WriteAsync(chunk);
            await http.Response.Body.FlushAsync();
        }
    }

    private static string? Str(MediaRequest r, string name) =>
        r.Fields.TryGetValue(name, out var v) ? v : r.Body.Length > 0 && r.Json[name] is JsonValue j && j.TryGetValue<string>(out var s) ? s : null;

    private async Task<MediaRequest> RecordAsync(HttpContext http, string path)
    {
        var auth = path.StartsWith("/openai/", StringComparison.Ordinal) ? http.Request.Headers.Authorization.ToString() : http.Request.Headers["x-goog-api-key"].ToString();
        var recorded = await MediaRequest.ReadAsync(http, path, auth);
        lock (requests)
        {
            requests.Add(recorded);
        }

        return recorded;
    }

    private static Task WriteAsync(HttpContext http, int status, string body, string contentType = "application/json") =>
        MediaRequest.WriteAsync(http, status, body, contentType);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        ReleaseContent();
        await LoopbackServer.StopAsync(app);
    }
}
