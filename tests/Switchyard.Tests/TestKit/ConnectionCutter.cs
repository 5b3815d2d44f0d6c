using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace Switchyard.Tests.TestKit;

/// <summary>
/// Delivers a deliberately truncated HTTP/1.1 response and then kills the connection.
/// <para>
/// Why not just write through Kestrel and call <see cref="HttpContext.Abort"/>: a Kestrel flush only hands bytes to
/// its output pipe, and abort discards whatever the socket loop has not sent yet — so the client often received
/// nothing at all (not even the headers) instead of "N chunks then a dead connection". Writing the bytes to the socket
/// ourselves guarantees they are in the kernel before the FIN, making the cut deterministic.
/// </para>
/// </summary>
internal static class ConnectionCutter
{
    /// <summary>
    /// Sends status line, headers (from <see cref="HttpResponse.Headers"/> plus <paramref name="contentType"/>) and
    /// <paramref name="bodyParts"/> (chunk-encoded, without the terminating chunk, unless <paramref name="contentLength"/>
    /// is given), half-closes the socket and aborts Kestrel's side of the connection.
    /// </summary>
    internal static async Task SendAndCutAsync(BehaviorContext context, string contentType, IReadOnlyList<byte[]> bodyParts, long? contentLength)
    {
        var http = context.Http;
        var socket = http.Features.Get<IConnectionSocketFeature>()?.Socket;
        if (socket is null || http.Response.HasStarted || http.Request.Protocol != "HTTP/1.1")
        {
            await CutThroughKestrelAsync(context, contentType, bodyParts, contentLength);
            return;
        }

        var head = new StringBuilder();
        head.Append(CultureInfo.InvariantCulture, $"HTTP/1.1 200 {ReasonPhrases.GetReasonPhrase(200)}\r\n");
        head.Append(CultureInfo.InvariantCulture, $"Content-Type: {contentType}\r\n");
        head.Append(contentLength is { } length ? $"Content-Length: {length}\r\n" : "Transfer-Encoding: chunked\r\n");
        foreach (var (name, values) in http.Response.Headers)
        {
            foreach (var value in values)
            {
                head.Append(CultureInfo.InvariantCulture, $"{name}: {value}\r\n");
            }
        }

        head.Append("\r\n");
        await SendAsync(socket, Encoding.ASCII.GetBytes(head.ToString()), context.Aborted);
        foreach (var part in bodyParts)
        {
            await SendAsync(socket, contentLength is null ? Chunk(part) : part, context.Aborted);
        }

        socket.Shutdown(SocketShutdown.Send);
        context.AbortConnection();
    }

    private static byte[] Chunk(byte[] data)
    {
        var prefix = Encoding.ASCII.GetBytes(data.Length.ToString("x", CultureInfo.InvariantCulture) + "\r\n");
        return [.. prefix, .. data, (byte)'\r', (byte)'\n'];
    }

    private static async Task SendAsync(Socket socket, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (!data.IsEmpty)
        {
            var sent = await socket.SendAsync(data, SocketFlags.None, cancellationToken);
            data = data[sent..];
        }
    }

    /// <summary>Fallback for transports without socket access (or HTTP/2): best effort, the client may see less than asked.</summary>
    private static async Task CutThroughKestrelAsync(BehaviorContext context, string contentType, IReadOnlyList<byte[]> bodyParts, long? contentLength)
    {
        var response = context.Response;
        if (!response.HasStarted)
        {
            response.StatusCode = 200;
            response.ContentType = contentType;
            response.ContentLength = contentLength;
        }

        foreach (var part in bodyParts)
        {
            await response.Body.WriteAsync(part, context.Aborted);
        }

        await response.Body.FlushAsync(context.Aborted);
        context.AbortConnection();
    }
}
