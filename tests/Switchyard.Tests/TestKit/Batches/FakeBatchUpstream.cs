using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Switchyard.Tests.TestKit.Batches;

/// <summary>
/// An in-process fake of OpenAI's files and batches API (<c>{base}/files</c>, <c>{base}/batches</c>), strict like the
/// real one: a wrong key is a 401, an undocumented multipart field or JSON field a 400 naming it
/// (<c>Unrecognized request argument supplied: X</c>), an unknown id a 404 in OpenAI's words, a batch whose input file
/// is not a <c>batch</c> file, or names a model the fake does not serve, a 400. Objects have OpenAI's shapes (file
/// object, batch object with its timestamps and <c>request_counts</c>). It runs a batch only when the test says so
/// (<see cref="Run"/>): each input line gets an output line whose <c>response.body</c> is a chat completion with
/// <c>usage</c> (prompt tokens 100 + line index, completion tokens 20, cached 10, reasoning 5).
/// </summary>
public sealed class FakeBatchUpstream : IAsyncDisposable
{
    /// <summary>The key the fake expects.</summary>
    public const string Key = "sk-batch-upstream-8c2d";

    /// <summary>The fields OpenAI's upload takes.</summary>
    private static readonly HashSet<string> UploadFields = ["file", "purpose", "expires_after[anchor]", "expires_after[seconds]"];

    private static readonly HashSet<string> CreateFields = ["input_file_id", "endpoint", "completion_window", "metadata", "output_expires_after"];

    private readonly WebApplication app;
    private readonly Dictionary<string, (JsonObject Object, byte[] Content)> files = new(StringComparer.Ordinal);
    private readonly Dictionary<string, JsonObject> batches = new(StringComparer.Ordinal);
    private readonly List<string> requests = [];
    private int next;

    private FakeBatchUpstream(WebApplication app, HashSet<string> models)
    {
        this.app = app;
        Models = models;
    }

    /// <summary>The fake's root; providers point at <c>{BaseUrl}/v1</c>.</summary>
    public string BaseUrl { get; private set; } = "";

    /// <summary>The models a batch line may name (the gateway must have rewritten the alias to one of them).</summary>
    public HashSet<string> Models { get; }

    /// <summary>Every request as <c>METHOD path</c>, in order.</summary>
    public IReadOnlyList<string> Requests
    {
        get
        {
            lock (requests)
            {
                return [.. requests];
            }
        }
    }

    /// <summary>Starts the fake, serving <paramref name="models"/>.</summary>
    public static async Task<FakeBatchUpstream> StartAsync(params string[] models)
    {
        var app = LoopbackServer.Create();
        var fake = new FakeBatchUpstream(app, [.. models]);
        app.Run(fake.HandleAsync);
        fake.BaseUrl = await LoopbackServer.StartAsync(app);
        return fake;
    }

    /// <summary>The bytes the fake keeps for its file <paramref name="id"/>.</summary>
    public byte[] Content(string id)
    {
        lock (files)
        {
            return files[id].Content;
        }
    }

    /// <summary>The fake's own ids of its batches, oldest first.</summary>
    public IReadOnlyList<string> BatchIds
    {
        get
        {
            lock (files)
            {
                return [.. batches.Keys];
            }
        }
    }

    /// <summary>Deletes the fake's file <paramref name="id"/> (as when an output file expires at the provider).</summary>
    public void Forget(string id)
    {
        lock (files)
        {
            files.Remove(id);
        }
    }

    /// <summary>The fake's id of the output file of its batch <paramref name="id"/>, once run.</summary>
    public string? OutputFileOf(string id)
    {
        lock (files)
        {
            return batches[id]["output_file_id"]?.GetValue<string>();
        }
    }

    /// <summary>
    /// Runs batch <paramref name="id"/> (the fake's id): the first <paramref name="lines"/> input lines (all when null)
    /// are answered into an output file, and the batch ends with <paramref name="status"/>.
    /// </summary>
    public void Run(string id, string status = "completed", int? lines = null)
    {
        lock (files)
        {
            var batch = batches[id];
            var input = Encoding.UTF8.GetString(files[batch["input_file_id"]!.GetValue<string>()].Content)
                .Split('\n', StringSplitOptions.RemoveEmptyEntries);
            var done = Math.Min(lines ?? input.Length, input.Length);
            var output = new StringBuilder();
            for (var i = 0; i < done; i++)
            {
                output.Append(OutputLine(JsonNode.Parse(input[i])!.AsObject(), i)).Append('\n');
            }

            var outputId = NewFile(Encoding.UTF8.GetBytes(output.ToString()), "batch_output", id + "_output.jsonl");
            var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            batch["status"] = status;
            batch["output_file_id"] = outputId;
            batch[status + "_at"] = now;
            batch["finalizing_at"] = now;
            batch["request_counts"] = new JsonObject { ["total"] = input.Length, ["completed"] = done, ["failed"] = 0 };
        }
    }

    private static string OutputLine(JsonObject request, int i) => new JsonObject
    {
        ["id"] = $"batch_req_{i}",
        ["custom_id"] = request["custom_id"]!.GetValue<string>(),
        ["response"] = new JsonObject
        {
            ["status_code"] = 200,
            ["request_id"] = $"req_{i}",
            ["body"] = new JsonObject
            {
                ["id"] = $"chatcmpl-{i}", ["object"] = "chat.completion", ["created"] = 1_700_000_000,
                ["model"] = request["body"]!["model"]!.GetValue<string>() + "-2024-07-18",
                ["choices"] = new JsonArray(new JsonObject
                {
                    ["index"] = 0, ["finish_reason"] = "stop",
                    ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = "answer " + i },
                }),
                ["usage"] = new JsonObject
                {
                    ["prompt_tokens"] = 100 + i, ["completion_tokens"] = 20, ["total_tokens"] = 120 + i,
                    ["prompt_tokens_details"] = new JsonObject { ["cached_tokens"] = 10 },
                    ["completion_tokens_details"] = new JsonObject { ["reasoning_tokens"] = 5 },
                },
            },
        },
        ["error"] = null,
    }.ToJsonString();

    private async Task HandleAsync(HttpContext http)
    {
        var path = http.Request.Path.Value ?? "";
        lock (requests)
        {
            requests.Add(http.Request.Method + " " + path);
        }

        if (http.Request.Headers.Authorization.ToString() != "Bearer " + Key)
        {
            await Error(http, 401, "Incorrect API key provided", null, "invalid_api_key");
            return;
        }

        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries); // v1, files|batches, id?, content|cancel?
        await ((http.Request.Method, parts.Length > 1 ? parts[1] : "", parts.Length) switch
        {
            ("POST", "files", 2) => UploadAsync(http),
            ("GET", "files", 2) => ListFiles(http),
            ("GET", "files", 3) => WithFile(http, parts[2], f => Json(http, 200, f.Object)),
            ("DELETE", "files", 3) => DeleteFile(http, parts[2]),
            ("GET", "files", 4) when parts[3] == "content" => WithFile(http, parts[2], f => Bytes(http, f.Content)),
            ("POST", "batches", 2) => CreateBatchAsync(http),
            ("GET", "batches", 3) => WithBatch(http, parts[2], b => Json(http, 200, b)),
            ("POST", "batches", 4) when parts[3] == "cancel" => WithBatch(http, parts[2], b => Cancel(http, b)),
            _ => Error(http, 404, $"Invalid URL ({http.Request.Method} {path})", null, null),
        });
    }

    private async Task UploadAsync(HttpContext http)
    {
        var form = await http.Request.ReadFormAsync();
        var unknown = form.Keys.Concat(form.Files.Select(f => f.Name)).FirstOrDefault(n => !UploadFields.Contains(n));
        if (unknown is not null)
        {
            await Error(http, 400, "Unrecognized request argument supplied: " + unknown, null, null);
            return;
        }

        var purpose = form["purpose"].ToString();
        if (form.Files.GetFile("file") is not { } file || purpose is not ("assistants" or "batch" or "fine-tune" or "vision" or "user_data" or "evals"))
        {
            await Error(http, 400, "'purpose' and 'file' are required; purpose must be one of assistants, batch, fine-tune, vision, user_data, evals", "purpose", null);
            return;
        }

        using var copy = new MemoryStream();
        await file.CopyToAsync(copy);
        string id;
        lock (files)
        {
            id = NewFile(copy.ToArray(), purpose, file.FileName);
        }

        await Json(http, 200, files[id].Object);
    }

    private string NewFile(byte[] content, string purpose, string name)
    {
        var id = $"file-up{Interlocked.Increment(ref next)}";
        files[id] = (new JsonObject
        {
            ["id"] = id, ["object"] = "file", ["bytes"] = content.Length, ["created_at"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ["expires_at"] = null, ["filename"] = name, ["purpose"] = purpose, ["status"] = "processed", ["status_details"] = null,
        }, content);
        return id;
    }

    private Task ListFiles(HttpContext http)
    {
        lock (files)
        {
            var data = new JsonArray([.. files.Values.Select(f => f.Object.DeepClone())]);
            return Json(http, 200, new JsonObject { ["object"] = "list", ["data"] = data, ["has_more"] = false });
        }
    }

    private Task DeleteFile(HttpContext http, string id) => WithFile(http, id, _ =>
    {
        lock (files)
        {
            files.Remove(id);
        }

        return Json(http, 200, new JsonObject { ["id"] = id, ["object"] = "file", ["deleted"] = true });
    });

    private async Task CreateBatchAsync(HttpContext http)
    {
        var body = (await JsonNode.ParseAsync(http.Request.Body))!.AsObject();
        if (body.Select(p => p.Key).FirstOrDefault(k => !CreateFields.Contains(k)) is { } unknown)
        {
            await Error(http, 400, "Unrecognized request argument supplied: " + unknown, null, null);
            return;
        }

        var fileId = body["input_file_id"]?.GetValue<string>() ?? "";
        if (Refusal(fileId) is { } refusal)
        {
            await Error(http, refusal.Status, refusal.Message, "input_file_id", null);
            return;
        }

        var id = $"batch_up{Interlocked.Increment(ref next)}";
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var batch = new JsonObject
        {
            ["id"] = id, ["object"] = "batch", ["endpoint"] = body["endpoint"]!.GetValue<string>(), ["errors"] = null,
            ["input_file_id"] = fileId, ["completion_window"] = body["completion_window"]!.GetValue<string>(), ["status"] = "validating",
            ["output_file_id"] = null, ["error_file_id"] = null, ["created_at"] = now, ["in_progress_at"] = null, ["expires_at"] = now + 86_400,
            ["finalizing_at"] = null, ["completed_at"] = null, ["failed_at"] = null, ["expired_at"] = null, ["cancelling_at"] = null, ["cancelled_at"] = null,
            ["request_counts"] = new JsonObject { ["total"] = 0, ["completed"] = 0, ["failed"] = 0 },
            ["metadata"] = body["metadata"]?.DeepClone(),
        };
        lock (files)
        {
            batches[id] = batch;
        }

        await Json(http, 200, batch);
    }

    /// <summary>Why a batch cannot use file <paramref name="fileId"/>: unknown, not a batch file, or a line naming a model not served here.</summary>
    private (int Status, string Message)? Refusal(string fileId)
    {
        lock (files)
        {
            if (!files.TryGetValue(fileId, out var file))
            {
                return (404, $"No such File object: {fileId}");
            }

            if (file.Object["purpose"]!.GetValue<string>() != "batch")
            {
                return (400, $"File {fileId} has purpose {file.Object["purpose"]}, not batch");
            }

            var lines = Encoding.UTF8.GetString(file.Content).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            var model = lines.Select(l => JsonNode.Parse(l)!["body"]!["model"]!.GetValue<string>()).FirstOrDefault(m => !Models.Contains(m));
            return model is null ? null : (400, $"The model '{model}' does not exist or you do not have access to it.");
        }
    }

    private Task Cancel(HttpContext http, JsonObject seen)
    {
        JsonNode answer;
        lock (files)
        {
            var batch = batches[seen["id"]!.GetValue<string>()];
            batch["status"] = "cancelling";
            batch["cancelling_at"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            answer = batch.DeepClone();
        }

        return Json(http, 200, answer);
    }

    private Task WithFile(HttpContext http, string id, Func<(JsonObject Object, byte[] Content), Task> then)
    {
        (JsonObject, byte[]) file;
        lock (files)
        {
            if (!files.TryGetValue(id, out file))
            {
                return Error(http, 404, $"No such File object: {id}", "id", null);
            }
        }

        return then(file);
    }

    private Task WithBatch(HttpContext http, string id, Func<JsonObject, Task> then)
    {
        JsonObject? batch;
        lock (files)
        {
            batch = batches.GetValueOrDefault(id)?.DeepClone().AsObject();
        }

        return batch is null ? Error(http, 404, $"No batch found with id '{id}'.", null, null) : then(batch);
    }

    private static Task Error(HttpContext http, int status, string message, string? param, string? code) =>
        Json(http, status, new JsonObject
        {
            ["error"] = new JsonObject { ["message"] = message, ["type"] = "invalid_request_error", ["param"] = param, ["code"] = code },
        });

    private static Task Json(HttpContext http, int status, JsonNode body)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        return http.Response.WriteAsync(body.ToJsonString());
    }

    private static async Task Bytes(HttpContext http, byte[] content)
    {
        http.Response.StatusCode = 200;
        http.Response.ContentType = "application/octet-stream";
        http.Response.ContentLength = content.Length;
        await http.Response.Body.WriteAsync(content);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => new(LoopbackServer.StopAsync(app));
}
