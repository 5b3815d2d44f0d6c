using System.Buffers;
using Switchyard.Canonical;

namespace Switchyard.Cache;

/// <summary>
/// Serves a hit in the client's own format: the stored events through the format's stream encoder for a client that
/// asked for a stream, or folded into a whole answer for one that did not, whatever the format and the stream flag of
/// the request that filled the entry. The body carries the stored answer's usage (it describes the answer); the usage
/// record says the request cost nothing upstream (Settle).
/// </summary>
public static class CacheReplay
{
    /// <summary>The header naming the model whose answer is served (as Dispatch sets it for a fresh answer).</summary>
    public const string ModelHeader = "x-switchyard-model";

    /// <summary>Writes <paramref name="answer"/> as the response to <paramref name="ctx"/>; a client gone meanwhile is recorded, not thrown.</summary>
    /// <param name="result">The <c>x-switchyard-cache</c> value: <c>hit</c>, or <c>semantic-hit; similarity=…</c>.</param>
    public static async Task WriteAsync(GatewayContext ctx, CachedAnswer answer, TimeProvider time, string result)
    {
        var http = ctx.Http.Response;
        ctx.Final = answer.Deployment; // the record names the deployment whose answer this is; no attempt was made
        http.Headers[CacheDirectives.Header] = result;
        http.Headers[ModelHeader] = answer.Model;
        http.StatusCode = 200;
        var created = time.GetUtcNow().ToUnixTimeSeconds();
        ctx.FirstByteTimestamp = time.GetTimestamp();
        try
        {
            if (ctx.Request.Stream)
            {
                await StreamAsync(ctx, answer, created).ConfigureAwait(false);
            }
            else
            {
                await WholeAsync(ctx, answer, created).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            ctx.Error = FailureKind.ClientCancelled;
        }
    }

    private static async Task StreamAsync(GatewayContext ctx, CachedAnswer answer, long created)
    {
        // The encoders read only the stream options of the request (OpenAI's include_usage), which the head holds:
        // no full parse of the body for a hit.
        var request = new ChatRequest { Model = ctx.Request.Model, Stream = true, StreamUsage = ctx.Request.ClientWantsUsage };
        var encoder = ctx.Format.CreateStreamEncoder(request, answer.Model, created);
        var http = ctx.Http.Response;
        http.ContentType = encoder.ContentType;
        http.Headers.CacheControl = "no-cache";
        var writer = http.BodyWriter;
        foreach (var e in answer.Events)
        {
            encoder.Write(e, writer);
        }

        encoder.Complete(writer);
        await writer.FlushAsync(ctx.Http.RequestAborted).ConfigureAwait(false);
    }

    private static async Task WholeAsync(GatewayContext ctx, CachedAnswer answer, long created)
    {
        var output = new ArrayBufferWriter<byte>(1024);
        ctx.Format.WriteResponse(CachedAnswers.ToResponse(answer, created), answer.Model, output);
        var http = ctx.Http.Response;
        http.ContentType = "application/json";
        http.ContentLength = output.WrittenCount;
        await http.Body.WriteAsync(output.WrittenMemory, ctx.Http.RequestAborted).ConfigureAwait(false);
    }
}
