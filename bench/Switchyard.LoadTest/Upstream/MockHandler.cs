using System.Buffers;

namespace Switchyard.LoadTest.Upstream;

/// <summary>The fake upstream's single request handler: path and method switch, static bytes out.</summary>
/// <param name="delay">Wait before answering a POST (simulated upstream latency).</param>
/// <param name="chunkGap">Gap between SSE events; zero sends the whole stream in one write.</param>
public sealed class MockHandler(TimeSpan delay, TimeSpan chunkGap)
{
    private static readonly Microsoft.Extensions.Primitives.StringValues RequestId = "req_loadtest_0001";

    /// <summary>Answers one request.</summary>
    public async Task HandleAsync(HttpContext ctx)
    {
        var req = ctx.Request;
        var res = ctx.Response;
        res.Headers["x-request-id"] = RequestId;
        var path = req.Path.Value;
        if (HttpMethods.IsPost(req.Method) && path == "/v1/chat/completions")
        {
            var stream = await RequestsStreamAsync(req).ConfigureAwait(false);
            if (delay > TimeSpan.Zero) await Task.Delay(delay, ctx.RequestAborted).ConfigureAwait(false);
            if (stream) await WriteSseAsync(ctx).ConfigureAwait(false);
            else await WriteAsync(res, "application/json", MockBodies.ChatCompletion).ConfigureAwait(false);
        }
        else if (HttpMethods.IsPost(req.Method) && path == "/v1/embeddings")
        {
            await DrainAsync(req).ConfigureAwait(false);
            if (delay > TimeSpan.Zero) await Task.Delay(delay, ctx.RequestAborted).ConfigureAwait(false);
            await WriteAsync(res, "application/json", MockBodies.Embeddings).ConfigureAwait(false);
        }
        else if (HttpMethods.IsGet(req.Method) && path == "/v1/models")
        {
            await WriteAsync(res, "application/json", MockBodies.Models).ConfigureAwait(false);
        }
        else if (HttpMethods.IsGet(req.Method) && path == "/health")
        {
            await WriteAsync(res, "text/plain", "ok"u8.ToArray()).ConfigureAwait(false);
        }
        else
        {
            res.StatusCode = 404;
            await WriteAsync(res, "application/json", MockBodies.NotFound).ConfigureAwait(false);
        }
    }

    private static async ValueTask WriteAsync(HttpResponse res, string contentType, byte[] body)
    {
        res.ContentType = contentType;
        res.ContentLength = body.Length;
        await res.BodyWriter.WriteAsync(body).ConfigureAwait(false);
    }

    /// <summary>SSE without Content-Length (chunked, like OpenAI): in one write, or event by event with a gap.</summary>
    private async Task WriteSseAsync(HttpContext ctx)
    {
        var res = ctx.Response;
        res.ContentType = "text/event-stream";
        res.Headers.CacheControl = "no-cache";
        if (chunkGap == TimeSpan.Zero)
        {
            await res.BodyWriter.WriteAsync(MockBodies.SseBody).ConfigureAwait(false);
            return;
        }
        for (var i = 0; i < MockBodies.SseEvents.Length; i++)
        {
            if (i > 0) await Task.Delay(chunkGap, ctx.RequestAborted).ConfigureAwait(false);
            await res.BodyWriter.WriteAsync(MockBodies.SseEvents[i], ctx.RequestAborted).ConfigureAwait(false);
        }
    }

    /// <summary>Reads the whole body and reports whether it asks for streaming.</summary>
    private static async ValueTask<bool> RequestsStreamAsync(HttpRequest req)
    {
        var reader = req.BodyReader;
        while (true)
        {
            var r = await reader.ReadAsync().ConfigureAwait(false);
            if (r.IsCompleted)
            {
                var stream = r.Buffer.IsSingleSegment ? HasStreamTrue(r.Buffer.FirstSpan) : HasStreamTrue(r.Buffer.ToArray());
                reader.AdvanceTo(r.Buffer.End);
                return stream;
            }
            reader.AdvanceTo(r.Buffer.Start, r.Buffer.End); // keep buffering until the body is complete
        }
    }

    private static async ValueTask DrainAsync(HttpRequest req)
    {
        var reader = req.BodyReader;
        while (true)
        {
            var r = await reader.ReadAsync().ConfigureAwait(false);
            reader.AdvanceTo(r.Buffer.End);
            if (r.IsCompleted) return;
        }
    }

    /// <summary>True when the JSON has <c>"stream"</c> : <c>true</c> (any whitespace). A byte search, not a
    /// JSON parse: the upstream must stay cheaper than anything it is used to measure.</summary>
    internal static bool HasStreamTrue(ReadOnlySpan<byte> json)
    {
        var key = "\"stream\""u8;
        while (true)
        {
            var i = json.IndexOf(key);
            if (i < 0) return false;
            var rest = json[(i + key.Length)..].TrimStart(" \t\r\n"u8);
            if (rest.Length > 0 && rest[0] == (byte)':' && rest[1..].TrimStart(" \t\r\n"u8).StartsWith("true"u8)) return true;
            json = json[(i + key.Length)..];
        }
    }
}
