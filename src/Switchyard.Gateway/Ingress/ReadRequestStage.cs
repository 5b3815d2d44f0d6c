namespace Switchyard.Ingress;

/// <summary>
/// Ingress: reads the request as its format defines it. The deadline header (400 when unreadable), the
/// content type (415 unless JSON), the body (413 over <c>server.max_body_size</c>, read into a pooled buffer)
/// and the head: the fields routing needs, type-checked by the format so that bad input is refused (400, in
/// the caller's shape) before it reaches, or is billed by, a provider.
/// </summary>
public sealed class ReadRequestStage : IStage
{
    /// <inheritdoc />
    public async ValueTask<bool> RunAsync(GatewayContext ctx)
    {
        var request = ctx.Http.Request;
        if (request.Headers[GatewayHeaders.Timeout] is { Count: 1 } timeout)
        {
            if (!ValueParsers.TryParseDuration(timeout[0]!, out var deadline, out var why))
            {
                return await ctx.RefuseAsync(new ClientError(400, ErrorCategory.InvalidRequest,
                    $"Invalid {GatewayHeaders.Timeout} header: {why}.", GatewayHeaders.Timeout, "invalid_timeout")).ConfigureAwait(false);
            }

            ctx.ClientDeadline = deadline;
        }

        if (!IsJson(request.ContentType))
        {
            return await ctx.RefuseAsync(new ClientError(415, ErrorCategory.InvalidRequest,
                $"Unsupported Content-Type '{request.ContentType}': send the body as 'application/json'.", null, "unsupported_media_type")).ConfigureAwait(false);
        }

        var limit = ctx.Table.Config.Server.MaxRequestBodyBytes;
        var (body, tooLarge) = await RequestBody.ReadAsync(request, limit, ctx.Http.RequestAborted).ConfigureAwait(false);
        if (tooLarge)
        {
            return await ctx.RefuseAsync(new ClientError(413, ErrorCategory.RequestTooLarge,
                $"The request body exceeds the gateway's limit of {limit} bytes.", null, "request_too_large")).ConfigureAwait(false);
        }

        ctx.Body = body;
        return ctx.Format.ParseHead(body!.Span, ctx.Http, ctx.Operation, out ctx.Request) is { } error
            ? await ctx.RefuseAsync(error).ConfigureAwait(false)
            : true;
    }

    private static bool IsJson(string? contentType) =>
        contentType is not null
        && (contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase)
            || (contentType.StartsWith("application/", StringComparison.OrdinalIgnoreCase)
                && contentType.Contains("+json", StringComparison.OrdinalIgnoreCase)));
}
