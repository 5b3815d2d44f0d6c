using System.Net;
using System.Net.Http.Headers;

namespace Switchyard.Upstream;

/// <summary>
/// A request body over a slice of a pooled buffer. The buffer stays owned by the caller (it outlives
/// retries), so this content never returns it; it only writes it.
/// </summary>
public sealed class PooledContent : HttpContent
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");
    private readonly ReadOnlyMemory<byte> body;

    /// <summary>Wraps <paramref name="body"/> as <c>application/json</c>.</summary>
    public PooledContent(ReadOnlyMemory<byte> body)
    {
        this.body = body;
        Headers.ContentType = Json;
    }

    /// <inheritdoc />
    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        stream.WriteAsync(body).AsTask();

    /// <inheritdoc />
    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken ct) =>
        stream.WriteAsync(body, ct).AsTask();

    /// <inheritdoc />
    protected override void SerializeToStream(Stream stream, TransportContext? context, CancellationToken ct) =>
        stream.Write(body.Span);

    /// <inheritdoc />
    protected override bool TryComputeLength(out long length)
    {
        length = body.Length;
        return true;
    }
}
