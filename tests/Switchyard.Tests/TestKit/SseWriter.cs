using System.Text;
using Microsoft.AspNetCore.Http;

namespace Switchyard.Tests.TestKit;

/// <summary>
/// Writes Server-Sent Events the way OpenAI frames them: <c>data: &lt;payload&gt;\n\n</c>, flushed per event so
/// the client (the gateway) sees each chunk as it is "generated". Public so <see cref="UpstreamBehavior.Raw"/>
/// handlers can produce custom streams with the same framing.
/// </summary>
public static class SseWriter
{
    /// <summary>The content type OpenAI uses for streamed chat completions.</summary>
    public const string ContentType = "text/event-stream; charset=utf-8";

    /// <summary>The terminal sentinel OpenAI sends after the last chunk.</summary>
    public const string Done = "[DONE]";

    /// <summary>Sends status 200 and the SSE headers immediately (so first-byte timers on the client stop).</summary>
    public static async Task BeginAsync(HttpResponse response, CancellationToken cancellationToken)
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = ContentType;
        response.Headers.CacheControl = "no-cache";
        await response.StartAsync(cancellationToken);
        await response.Body.FlushAsync(cancellationToken);
    }

    /// <summary>Writes one <c>data:</c> event and flushes it.</summary>
    public static async Task WriteDataAsync(HttpResponse response, string data, CancellationToken cancellationToken)
    {
        await response.Body.WriteAsync(Frame(data), cancellationToken);
        await response.Body.FlushAsync(cancellationToken);
    }

    /// <summary>The UTF-8 bytes of one event: <c>data: ...\n\n</c> (multi-line payloads become several <c>data:</c> lines).</summary>
    public static byte[] Frame(string data)
    {
        var frame = new StringBuilder(data.Length + 16);
        foreach (var line in data.Split('\n'))
        {
            frame.Append("data: ").Append(line.TrimEnd('\r')).Append('\n');
        }

        frame.Append('\n');
        return Encoding.UTF8.GetBytes(frame.ToString());
    }

    /// <summary>Writes <c>data: [DONE]</c>.</summary>
    public static Task WriteDoneAsync(HttpResponse response, CancellationToken cancellationToken) =>
        WriteDataAsync(response, Done, cancellationToken);
}
