using System.Collections.Concurrent;
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
using Switchyard.Providers.Bedrock;

namespace Switchyard.Tests.TestKit.Bedrock;

/// <summary>One request as the fake Bedrock received it.</summary>
/// <param name="RawTarget">The request target exactly as sent (still percent-encoded), e.g. <c>/model/a.b-v1%3A0/converse</c>.</param>
/// <param name="SignatureProblem">Null when the SigV4 signature verified; otherwise why it did not.</param>
public sealed record BedrockRecordedRequest(string Method, string RawTarget, IReadOnlyDictionary<string, string> Headers, string Body, string? SignatureProblem)
{
    /// <summary>The body as JSON.</summary>
    public JsonNode? Json => Body.Length == 0 ? null : JsonNode.Parse(Body);

    /// <summary>True for <c>converse-stream</c>.</summary>
    public bool IsStream => RawTarget.EndsWith("/converse-stream", StringComparison.Ordinal);
}

/// <summary>
/// An in-process Bedrock runtime on a real Kestrel socket (127.0.0.1, random port): <c>POST
/// /model/{modelId}/converse</c> and <c>/converse-stream</c>, with real event-stream framing. Every request's
/// SigV4 signature is recomputed (<see cref="SigV4Verifier"/>) against the credentials it was started with; a bad
/// one is answered 403 <c>InvalidSignatureException</c>, as AWS does. A body the named model refuses (inference
/// ranges, cache points, Claude's output limits and thinking rules: <see cref="ConverseModelRules"/>) is answered
/// 400 <c>ValidationException</c> before any scripted reply is used. Answers come from a FIFO of
/// <see cref="BedrockReply"/>s, then a default text answer.
/// </summary>
public sealed class FakeBedrockUpstream : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly AwsCredentials credentials;
    private readonly string region;
    private readonly ConcurrentQueue<BedrockReply> replies = new();
    private readonly ConcurrentQueue<BedrockRecordedRequest> requests = new();

    private FakeBedrockUpstream(WebApplication app, AwsCredentials credentials, string region)
    {
        this.app = app;
        this.credentials = credentials;
        this.region = region;
    }

    /// <summary>The endpoint root, e.g. <c>http://127.0.0.1:51234</c> (what <c>base_url</c> takes).</summary>
    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>Every request, in arrival order.</summary>
    public IReadOnlyList<BedrockRecordedRequest> Requests => requests.ToArray();

    /// <summary>Starts a fake that accepts signatures by <paramref name="credentials"/> for <paramref name="region"/>.</summary>
    public static async Task<FakeBedrockUpstream> StartAsync(AwsCredentials credentials, string region = "us-east-1")
    {
        var app = LoopbackServer.Create();
        var fake = new FakeBedrockUpstream(app, credentials, region);
        app.Run(fake.HandleAsync);
        var address = await LoopbackServer.StartAsync(app);
        fake.BaseUrl = new Uri(address.TrimEnd('/'));
        return fake;
    }

    /// <summary>Scripts the next answers, in order.</summary>
    public void Enqueue(params BedrockReply[] next)
    {
        foreach (var reply in next)
        {
            replies.Enqueue(reply);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await LoopbackServer.StopAsync(app);
    }

    private async Task HandleAsync(HttpContext http)
    {
        using var body = new MemoryStream();
        await http.Request.Body.CopyToAsync(body, http.RequestAborted);
        var bytes = body.ToArray();
        var rawTarget = http.Features.GetRequiredFeature<IHttpRequestFeature>().RawTarget;
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in http.Request.Headers)
        {
            headers[name] = values.ToString();
        }

        var problem = SigV4Verifier.Verify(http.Request.Method, rawTarget, headers, bytes, credentials, region, BedrockAdapter.SigningService);
        requests.Enqueue(new BedrockRecordedRequest(http.Request.Method, rawTarget, headers, Encoding.UTF8.GetString(bytes), problem));

        var path = rawTarget.Split('?')[0];
        var stream = path.EndsWith("/converse-stream", StringComparison.Ordinal);
        var invoke = path.EndsWith("/invoke", StringComparison.Ordinal);
        if (http.Request.Method != "POST" || !path.StartsWith("/model/", StringComparison.Ordinal) || !(stream || invoke || path.EndsWith("/converse", StringComparison.Ordinal)))
        {
            await WriteAsync(http, BedrockReply.Error(404, "UnknownOperationException", $"unknown operation {http.Request.Method} {path}").Render(false));
            return;
        }

        if (problem is not null)
        {
            await WriteAsync(http, BedrockReply.Error(403, "InvalidSignatureException",
                "The request signature we calculated does not match the signature you provided. (" + problem + ")").Render(stream));
            return;
        }

        if (invoke)
        {
            var modelId = Uri.UnescapeDataString(path["/model/".Length..path.LastIndexOf('/')]);
            await WriteAsync(http, BedrockImageModels.Invoke(modelId, Encoding.UTF8.GetString(bytes)).Render(false));
            return;
        }

        if (ModelRefusal(path, bytes) is { } refusal)
        {
            await WriteAsync(http, BedrockReply.Error(refusal.Status, refusal.Type, refusal.Message).Render(stream));
            return;
        }

        var reply = replies.TryDequeue(out var next) ? next : BedrockReply.Text("Hello from the fake Bedrock.");
        await WriteAsync(http, reply.Render(stream), reply.ChunkDelay);
    }

    /// <summary>
    /// What Bedrock refuses for the model named in the path (<c>/model/{modelId}/converse</c>, percent-decoded so
    /// that ARNs and <c>:0</c> versions read as sent), per <see cref="ConverseModelRules"/>. A body that is not a
    /// JSON object is left alone: the fake never checked Converse's schema.
    /// </summary>
    private static ProviderRefusal? ModelRefusal(string path, byte[] body)
    {
        var modelId = Uri.UnescapeDataString(path["/model/".Length..path.LastIndexOf('/')]);
        try
        {
            return JsonNode.Parse(body) is JsonObject json ? ConverseModelRules.Check(json, modelId) : null;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private static async Task WriteAsync(HttpContext http, (int Status, string ContentType, string? ErrorType, IReadOnlyList<byte[]> Chunks) answer,
        TimeSpan chunkDelay = default)
    {
        http.Response.StatusCode = answer.Status;
        http.Response.ContentType = answer.ContentType;
        http.Response.Headers["x-amzn-RequestId"] = Guid.NewGuid().ToString();
        if (answer.ErrorType is { } type)
        {
            http.Response.Headers["x-amzn-ErrorType"] = type + ":http://internal.amazon.com/coral/com.amazon.bedrock/";
        }

        foreach (var chunk in answer.Chunks)
        {
            if (chunkDelay > TimeSpan.Zero && http.Response.HasStarted)
            {
                await Task.Delay(chunkDelay, http.RequestAborted);
            }

            await http.Response.Body.WriteAsync(chunk, http.RequestAborted);
            await http.Response.Body.FlushAsync(http.RequestAborted);
        }
    }
}
