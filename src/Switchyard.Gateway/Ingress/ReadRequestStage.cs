using System.Text.Unicode;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Switchyard.Ingress;

/// <summary>
/// Ingress: reads the request as its format defines it. The deadline header (400 when unreadable), the
/// content type (415 unless JSON), the body (413 over <c>server.max_body_size</c>, refused before it is
/// read or drained; 408 when it does not arrive within <c>server.body_read_timeout</c>), its encoding (400
/// unless UTF-8) and the head: the fields routing needs, type-checked by the format so that bad input is
/// refused (400, in the caller's shape) before it reaches, or is billed by, a provider.
/// </summary>
public sealed class ReadRequestStage(TimeProvider time) : IStage
{
    /// <summary>
    /// Longest model name taken. Real model ids are well under 100 characters; a longer one is refused before
    /// it is echoed in an error or stored in a record (a 7 MiB name once cost 8.7 MB of database per request).
    /// </summary>
    public const int MaxModelNameLength = 256;

    /// <summary>How much of a chunked body beyond the limit Kestrel may drain after the 413 (1 MiB).</summary>
    private const long DrainAllowance = 1024 * 1024;

    /// <inheritdoc />
    public async ValueTask<bool> RunAsync(GatewayContext ctx)
    {
        if (Preconditions(ctx) is { } refused)
        {
            return await ctx.RefuseAsync(refused).ConfigureAwait(false);
        }

        var (body, error) = Multipart(ctx) ? await ReadUploadAsync(ctx).ConfigureAwait(false) : await ReadBodyAsync(ctx).ConfigureAwait(false);
        if (error is { } unread)
        {
            return await ctx.RefuseAsync(unread).ConfigureAwait(false);
        }

        ctx.Body = body;
        if (!Utf8.IsValid(body!.Span))
        {
            // Every API the gateway speaks is UTF-8 JSON; invalid bytes would break translation or be relayed
            // to a provider that refuses them after a paid round trip.
            return await ctx.RefuseAsync(new ClientError(400, ErrorCategory.InvalidRequest,
                "The request body is not valid UTF-8.", null, "invalid_encoding")).ConfigureAwait(false);
        }

        if (ctx.Format.ParseHead(body.Span, ctx.Http, ctx.Operation, out ctx.Request) is { } invalid)
        {
            return await ctx.RefuseAsync(invalid).ConfigureAwait(false);
        }

        ctx.Request.Needs.Operation = ctx.Operation; // the planner keeps deployments that serve it
        if (ModelNameError(ctx.Request) is { } tooLong)
        {
            ctx.Request.Model = ""; // nothing of it is echoed or stored
            ctx.Request.ClientFallbacks = null;
            return await ctx.RefuseAsync(tooLong).ConfigureAwait(false);
        }

        return true;
    }

    /// <summary>The deadline header, the content type and a declared length over the limit: all before any body byte is read.</summary>
    private static ClientError? Preconditions(GatewayContext ctx)
    {
        var request = ctx.Http.Request;
        if (request.Headers[GatewayHeaders.Timeout] is { Count: 1 } timeout)
        {
            if (!ValueParsers.TryParseDuration(timeout[0]!, out var deadline, out var why))
            {
                return new ClientError(400, ErrorCategory.InvalidRequest, $"Invalid {GatewayHeaders.Timeout} header: {why}.", GatewayHeaders.Timeout, "invalid_timeout");
            }

            ctx.ClientDeadline = deadline;
        }

        var multipart = Multipart(ctx);
        if (multipart != IsMultipart(request.ContentType) || (!multipart && !IsJson(request.ContentType)))
        {
            var expected = multipart ? "multipart/form-data" : "application/json";
            return new ClientError(415, ErrorCategory.InvalidRequest,
                $"Unsupported Content-Type '{request.ContentType}': send the body as '{expected}'.", null, "unsupported_media_type");
        }

        var limit = multipart ? ctx.Table.Config.Server.MaxUploadBytes : ctx.Table.Config.Server.MaxRequestBodyBytes;
        if (ctx.Http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            // Kestrel enforces it too. A chunked body over the limit is refused after `limit` bytes; Kestrel then
            // drains at most DrainAllowance more (so a client a little over gets its 413 rather than a broken
            // pipe) and closes the connection on anything larger: never an unbounded drain.
            size.MaxRequestBodySize = request.ContentLength is null ? limit + DrainAllowance : limit;
        }

        return request.ContentLength > limit ? TooLarge(ctx, limit, close: true) : null;
    }

    /// <summary>Whether the body is read as an upload: always for an upload operation, by its content type for a video create.</summary>
    private static bool Multipart(GatewayContext ctx) => MediaOperations.IsMultipart(ctx.Operation)
        || (MediaOperations.MayBeMultipart(ctx.Operation) && IsMultipart(ctx.Http.Request.ContentType));

    /// <summary>
    /// Reads the whole body within <c>server.body_read_timeout</c>. Kestrel's own refusals while reading (its
    /// minimum data rate: 408, its size limit: 413, a malformed chunked body: 400) come back in the caller's
    /// format with their own status, so the record says what the client received.
    /// </summary>
    private async ValueTask<(RequestBody? Body, ClientError? Error)> ReadBodyAsync(GatewayContext ctx)
    {
        var server = ctx.Table.Config.Server;
        using var deadline = new CancellationTokenSource(server.BodyReadTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, ctx.Http.RequestAborted);
        try
        {
            var (body, tooLarge) = await RequestBody.ReadAsync(ctx.Http.Request, server.MaxRequestBodyBytes, linked.Token).ConfigureAwait(false);
            return tooLarge ? (null, TooLarge(ctx, server.MaxRequestBodyBytes, close: ctx.Http.Request.ContentLength is not null)) : (body, null);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !ctx.Http.RequestAborted.IsCancellationRequested)
        {
            ctx.Http.Response.Headers.Connection = "close";
            return (null, new ClientError(408, ErrorCategory.Timeout,
                $"The request body did not arrive within {server.BodyReadTimeout.TotalSeconds:0.###} s.", null, "request_timeout"));
        }
        catch (BadHttpRequestException ex)
        {
            ctx.Http.Response.Headers.Connection = "close";
            return (null, new ClientError(ex.StatusCode, ex.StatusCode switch
            {
                408 => ErrorCategory.Timeout,
                413 => ErrorCategory.RequestTooLarge,
                _ => ErrorCategory.InvalidRequest,
            }, $"The request body could not be read: {ex.Message}", null, ex.StatusCode switch
            {
                408 => "request_timeout",
                413 => "request_too_large",
                _ => "invalid_request_body",
            }));
        }
    }

    /// <summary>
    /// A multipart upload (<see cref="UploadReader"/>): its files spooled to disk, its text fields as the JSON body the
    /// format's head parser and the later stages read. Kestrel's own refusals come back as for a JSON body.
    /// </summary>
    private async ValueTask<(RequestBody? Body, ClientError? Error)> ReadUploadAsync(GatewayContext ctx)
    {
        var server = ctx.Table.Config.Server;
        using var deadline = new CancellationTokenSource(server.BodyReadTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, ctx.Http.RequestAborted);
        try
        {
            var (form, error) = await UploadReader.ReadAsync(ctx.Http.Request, server.MaxUploadBytes, linked.Token).ConfigureAwait(false);
            if (error is { } refused)
            {
                if (refused.Status == 413)
                {
                    ctx.Http.Response.Headers.Connection = "close"; // the rest of the upload is not read
                }

                return (null, refused);
            }

            ctx.Form = form;
            return (RequestBody.Copy(form!.HeadJson()), null);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !ctx.Http.RequestAborted.IsCancellationRequested)
        {
            ctx.Http.Response.Headers.Connection = "close";
            return (null, new ClientError(408, ErrorCategory.Timeout,
                $"The request body did not arrive within {server.BodyReadTimeout.TotalSeconds:0.###} s.", null, "request_timeout"));
        }
        catch (BadHttpRequestException ex)
        {
            ctx.Http.Response.Headers.Connection = "close";
            return (null, ex.StatusCode == 413 ? UploadReader.TooLarge(server.MaxUploadBytes)
                : new ClientError(ex.StatusCode, ex.StatusCode == 408 ? ErrorCategory.Timeout : ErrorCategory.InvalidRequest,
                    $"The request body could not be read: {ex.Message}", null, ex.StatusCode == 408 ? "request_timeout" : "invalid_request_body"));
        }
    }

    /// <summary>
    /// 413. With a declared length the connection is closed after it, so nothing of the rest is read or drained;
    /// a chunked body is drained within <see cref="DrainAllowance"/> (see <see cref="Preconditions"/>).
    /// </summary>
    private static ClientError TooLarge(GatewayContext ctx, long limit, bool close)
    {
        if (close)
        {
            ctx.Http.Response.Headers.Connection = "close";
        }

        return new ClientError(413, ErrorCategory.RequestTooLarge, $"The request body exceeds the gateway's limit of {limit} bytes.", null, "request_too_large");
    }

    /// <summary>The model name (and each entry of the client's own fallback list) within <see cref="MaxModelNameLength"/>.</summary>
    private static ClientError? ModelNameError(in RequestHead head)
    {
        if (head.Model.Length > MaxModelNameLength)
        {
            return new ClientError(400, ErrorCategory.InvalidRequest,
                $"Invalid 'model': longer than {MaxModelNameLength} characters.", "model", "invalid_value");
        }

        for (var i = 0; i < (head.ClientFallbacks?.Length ?? 0); i++)
        {
            if (head.ClientFallbacks![i].Length > MaxModelNameLength)
            {
                return new ClientError(400, ErrorCategory.InvalidRequest,
                    $"Invalid 'models[{i}]': longer than {MaxModelNameLength} characters.", $"models[{i}]", "invalid_value");
            }
        }

        return null;
    }

    private static bool IsMultipart(string? contentType) =>
        contentType is not null && contentType.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase);

    private static bool IsJson(string? contentType) =>
        contentType is not null
        && (contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase)
            || (contentType.StartsWith("application/", StringComparison.OrdinalIgnoreCase)
                && contentType.Contains("+json", StringComparison.OrdinalIgnoreCase)));
}
