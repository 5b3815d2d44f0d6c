using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Switchyard.Tests.TestKit.Media;

/// <summary>One request as the fake media upstream received it.</summary>
/// <param name="Path">The path (the provider prefix included: <c>/openai/v1/images/generations</c>).</param>
/// <param name="Query">The query string.</param>
/// <param name="Auth">The <c>Authorization</c> (or <c>x-goog-api-key</c>) header.</param>
/// <param name="Body">A JSON body as text, else empty.</param>
/// <param name="Fields">A multipart upload's text fields.</param>
/// <param name="Files">A multipart upload's files: field name, file name, content type, bytes.</param>
public sealed record MediaRequest(string Path, string Query, string? Auth, string Body, IReadOnlyDictionary<string, string> Fields,
    IReadOnlyList<(string Name, string FileName, string? ContentType, byte[] Bytes)> Files)
{
    /// <summary>The JSON body.</summary>
    public JsonNode Json => JsonNode.Parse(Body)!;

    /// <summary>Reads what the gateway sent (a JSON body, or a multipart upload's fields and files) as the fakes record it.</summary>
    public static async Task<MediaRequest> ReadAsync(HttpContext http, string path, string? auth)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        var files = new List<(string, string, string?, byte[])>();
        var body = "";
        if (http.Request.HasFormContentType)
        {
            var form = await http.Request.ReadFormAsync();
            foreach (var (name, value) in form)
            {
                fields[name] = value.ToString();
            }

            foreach (var file in form.Files)
            {
                using var copy = new MemoryStream();
                await file.CopyToAsync(copy);
                files.Add((file.Name, file.FileName, file.ContentType, copy.ToArray()));
            }
        }
        else
        {
            using var reader = new StreamReader(http.Request.Body);
            body = await reader.ReadToEndAsync();
        }

        return new MediaRequest(path, http.Request.QueryString.Value ?? "", auth, body, fields, files);
    }

    /// <summary>Writes one whole answer, as the fakes do.</summary>
    public static async Task WriteAsync(HttpContext http, int status, string body, string contentType = "application/json")
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = contentType;
        await http.Response.WriteAsync(body);
    }
}

/// <summary>
/// An in-process fake of the media APIs behind one Kestrel socket, one path prefix per provider: OpenAI
/// (<c>/openai/v1/...</c>: moderations, images generations and edits, audio speech, transcriptions, translations),
/// Gemini's Imagen (<c>/gemini/v1beta/models/{m}:predict</c>), Cohere (<c>/cohere/v2/rerank</c>), Jina
/// (<c>/jina/v1/rerank</c>) and Voyage (<c>/voyage/v1/rerank</c>). Strict like the real APIs: a wrong key is a 401, a
/// field the API does not document a 400 naming it (<see cref="MediaWire"/>). Speech is written in chunks and can be
/// held after the first (<see cref="HoldSpeech"/>), so a test sees whether the gateway relays before the upstream ends.
/// </summary>
public sealed class FakeMediaUpstream : IAsyncDisposable
{
    /// <summary>The key every provider of the fake expects.</summary>
    public const string Key = "sk-media-upstream-5e1f";

    private readonly WebApplication app;
    private readonly List<MediaRequest> requests = [];
    private readonly Queue<(string PathEnd, int Status, string Body)> failures = new();
    private TaskCompletionSource? speechGate;

    private FakeMediaUpstream(WebApplication app) => this.app = app;

    /// <summary>The fake's root (<c>http://127.0.0.1:PORT</c>); providers add their prefix.</summary>
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

    /// <summary>The speech chunks written, in order (the audio is their concatenation).</summary>
    public static readonly byte[][] SpeechChunks = [Encoding.ASCII.GetBytes("ID3-first-chunk|"), Encoding.ASCII.GetBytes("second-chunk|"), Encoding.ASCII.GetBytes("last")];

    /// <summary>Starts the fake.</summary>
    public static async Task<FakeMediaUpstream> StartAsync()
    {
        var app = LoopbackServer.Create();
        var fake = new FakeMediaUpstream(app);
        app.Run(fake.HandleAsync);
        fake.BaseUrl = await LoopbackServer.StartAsync(app);
        return fake;
    }

    /// <summary>The next request whose path ends with <paramref name="pathEnd"/> gets <paramref name="status"/> and <paramref name="body"/>.</summary>
    public void FailNext(string pathEnd, int status, string body)
    {
        lock (failures)
        {
            failures.Enqueue((pathEnd, status, body));
        }
    }

    /// <summary>Holds the next speech answer after its first chunk until <see cref="ReleaseSpeech"/>.</summary>
    public void HoldSpeech() => speechGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Lets a held speech answer finish.</summary>
    public void ReleaseSpeech() => speechGate?.TrySetResult();

    private async Task HandleAsync(HttpContext http)
    {
        var path = http.Request.Path.Value ?? "";
        var recorded = await RecordAsync(http, path);
        if (Refusal(http, path, recorded) is { } refusal)
        {
            await WriteAsync(http, refusal.Status, refusal.Body);
            return;
        }

        var (allowed, answer) = Route(path);
        if (allowed is null)
        {
            await WriteAsync(http, 404, """{"error":{"message":"no such route","type":"invalid_request_error"}}""");
            return;
        }

        if (Unknown(recorded, allowed, path) is { } unknown)
        {
            await WriteAsync(http, 400, unknown);
            return;
        }

        await answer!(http, recorded);
    }

    private (int Status, string Body)? Refusal(HttpContext http, string path, MediaRequest recorded)
    {
        lock (failures)
        {
            if (failures.Count > 0 && path.EndsWith(failures.Peek().PathEnd, StringComparison.Ordinal))
            {
                var (_, status, body) = failures.Dequeue();
                return (status, body);
            }
        }

        var expected = path.StartsWith("/gemini/", StringComparison.Ordinal) ? Key : "Bearer " + Key;
        return recorded.Auth == expected ? null : (401, """{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","code":"invalid_api_key"}}""");
    }

    private (HashSet<string>? Allowed, Func<HttpContext, MediaRequest, Task>? Answer) Route(string path) => path switch
    {
        "/openai/v1/moderations" => (MediaWire.Moderation, (h, r) => WriteAsync(h, 200, MediaWire.ModerationAnswer(Model(r), Str(r, "input")!.Contains("attack", StringComparison.Ordinal) ? "violence" : null))),
        "/openai/v1/images/generations" => (MediaWire.ImageGeneration, Images),
        "/openai/v1/images/edits" => (MediaWire.ImageEdit, Images),
        "/openai/v1/audio/speech" => (MediaWire.Speech, SpeechAsync),
        "/openai/v1/audio/transcriptions" => (MediaWire.Transcription, Transcript),
        "/openai/v1/audio/translations" => (MediaWire.Translation, Transcript),
        "/cohere/v2/rerank" => (MediaWire.CohereRerank, (h, r) => Rerank(h, r, "cohere")),
        "/jina/v1/rerank" => (MediaWire.JinaRerank, (h, r) => Rerank(h, r, "jina")),
        "/voyage/v1/rerank" => (MediaWire.VoyageRerank, (h, r) => Rerank(h, r, "voyage")),
        _ when path.StartsWith("/gemini/v1beta/models/", StringComparison.Ordinal) && path.EndsWith(":predict", StringComparison.Ordinal) => (MediaWire.ImagenTop, Imagen),
        _ => (null, null),
    };

    private static string Model(MediaRequest r) => Str(r, "model") ?? "";

    private static string? Str(MediaRequest r, string name) =>
        r.Fields.TryGetValue(name, out var v) ? v : r.Body.Length > 0 && r.Json[name] is JsonValue j && j.TryGetValue<string>(out var s) ? s : null;

    /// <summary>The 400 a real API gives for an undocumented field (OpenAI's words; Google's for Imagen), or null.</summary>
    private static string? Unknown(MediaRequest r, HashSet<string> allowed, string path)
    {
        var names = r.Body.Length > 0 ? r.Json.AsObject().Select(p => p.Key) : r.Fields.Keys.Concat(r.Files.Select(f => f.Name));
        var unknown = names.FirstOrDefault(n => !allowed.Contains(n));
        if (unknown is null && path.EndsWith(":predict", StringComparison.Ordinal))
        {
            var json = r.Json;
            unknown = json["instances"]!.AsArray().SelectMany(i => i!.AsObject().Select(p => p.Key)).FirstOrDefault(n => !MediaWire.ImagenInstance.Contains(n))
                ?? json["parameters"]?.AsObject().Select(p => p.Key).FirstOrDefault(n => !MediaWire.ImagenParameters.Contains(n));
        }

        return unknown is null ? null
            : path.EndsWith(":predict", StringComparison.Ordinal)
                ? $$$"""{"error":{"code":400,"message":"Invalid JSON payload received. Unknown name \"{{{unknown}}}\": Cannot find field.","status":"INVALID_ARGUMENT"}}"""
                : $$$"""{"error":{"message":"Unrecognized request argument supplied: {{{unknown}}}","type":"invalid_request_error","param":null,"code":null}}""";
    }

    private static Task Images(HttpContext http, MediaRequest r)
    {
        var model = Model(r);
        var count = int.TryParse(Str(r, "n") ?? (r.Body.Length > 0 ? r.Json["n"]?.ToString() : null), out var n) ? n : 1;
        var gptImage = model.StartsWith("gpt-image", StringComparison.Ordinal);
        var urls = !gptImage && Str(r, "response_format") != "b64_json";
        return WriteAsync(http, 200, MediaWire.ImagesAnswer(count, urls, gptImage ? (20, 4160 * count) : null));
    }

    private async Task SpeechAsync(HttpContext http, MediaRequest r)
    {
        http.Response.StatusCode = 200;
        http.Response.ContentType = "audio/mpeg";
        await http.Response.Body.WriteAsync(SpeechChunks[0]);
        await http.Response.Body.FlushAsync();
        if (speechGate is { } gate)
        {
            await gate.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }

        foreach (var chunk in SpeechChunks.Skip(1))
        {
            await http.Response.Body.WriteAsync(chunk);
            await http.Response.Body.FlushAsync();
        }
    }

    private static Task Transcript(HttpContext http, MediaRequest r)
    {
        var file = r.Files.Single(f => f.Name == "file");
        var text = $"heard {file.Bytes.Length} bytes of {file.FileName}";
        return Str(r, "response_format") switch
        {
            "text" => WriteAsync(http, 200, text, "text/plain; charset=utf-8"),
            "verbose_json" => WriteAsync(http, 200, new JsonObject
            {
                ["task"] = "transcribe", ["language"] = "english", ["duration"] = 42.5, ["text"] = text, ["segments"] = new JsonArray(),
            }.ToJsonString()),
            _ => WriteAsync(http, 200, new JsonObject
            {
                ["text"] = text, ["usage"] = new JsonObject { ["type"] = "duration", ["seconds"] = 30 },
            }.ToJsonString()),
        };
    }

    private static Task Imagen(HttpContext http, MediaRequest r)
    {
        var count = r.Json["parameters"]?["sampleCount"]?.GetValue<int>() ?? 1;
        var predictions = new JsonArray();
        for (var i = 0; i < count; i++)
        {
            predictions.Add(new JsonObject { ["bytesBase64Encoded"] = Convert.ToBase64String(MediaWire.FakeImage(i)), ["mimeType"] = "image/png" });
        }

        return WriteAsync(http, 200, new JsonObject { ["predictions"] = predictions }.ToJsonString());
    }

    /// <summary>Scores documents by descending index (the last is the most relevant), in each vendor's answer shape.</summary>
    private static Task Rerank(HttpContext http, MediaRequest r, string vendor)
    {
        var json = r.Json;
        var documents = json["documents"]!.AsArray();
        var top = json[vendor == "voyage" ? "top_k" : "top_n"]?.GetValue<int>() ?? documents.Count;
        var withDocuments = vendor != "cohere" && json["return_documents"]?.GetValue<bool>() == true;
        var results = new JsonArray();
        for (var i = documents.Count - 1; i >= 0 && results.Count < top; i--)
        {
            var result = new JsonObject { ["index"] = i, ["relevance_score"] = 0.5 + (i / 100.0) };
            if (withDocuments)
            {
                result["document"] = vendor == "jina" ? new JsonObject { ["text"] = documents[i]!.GetValue<string>() } : documents[i]!.GetValue<string>();
            }

            results.Add(result);
        }

        var answer = vendor switch
        {
            "cohere" => new JsonObject
            {
                ["id"] = "rr-1", ["results"] = results,
                ["meta"] = new JsonObject { ["api_version"] = new JsonObject { ["version"] = "2" }, ["billed_units"] = new JsonObject { ["search_units"] = 1 } },
            },
            "jina" => new JsonObject { ["model"] = Model(r), ["usage"] = new JsonObject { ["total_tokens"] = 815 }, ["results"] = results },
            _ => new JsonObject { ["object"] = "list", ["data"] = results, ["model"] = Model(r), ["usage"] = new JsonObject { ["total_tokens"] = 1200 } },
        };
        return WriteAsync(http, 200, answer.ToJsonString());
    }

    private async Task<MediaRequest> RecordAsync(HttpContext http, string path)
    {
        var auth = path.StartsWith("/gemini/", StringComparison.Ordinal) ? http.Request.Headers["x-goog-api-key"].ToString() : http.Request.Headers.Authorization.ToString();
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
        ReleaseSpeech();
        await LoopbackServer.StopAsync(app);
    }
}
