using System.Buffers;
using Microsoft.AspNetCore.Http;

namespace Switchyard.Core;

/// <summary>Writes a <see cref="ClientError"/> as the whole response, in the caller's own format.</summary>
public static class ClientErrors
{
    /// <summary>
    /// Writes <paramref name="error"/> with <paramref name="format"/>'s envelope; nothing when a response has
    /// already started (a stream ends through its encoder instead).
    /// </summary>
    public static Task WriteAsync(HttpContext http, IInboundFormat format, in ClientError error)
    {
        if (http.Response.HasStarted)
        {
            return Task.CompletedTask;
        }

        var buffer = new ArrayBufferWriter<byte>(256);
        format.WriteError(error, buffer);
        http.Response.StatusCode = error.Status;
        http.Response.ContentType = "application/json";
        http.Response.ContentLength = buffer.WrittenCount;
        return http.Response.Body.WriteAsync(buffer.WrittenMemory).AsTask();
    }
}
