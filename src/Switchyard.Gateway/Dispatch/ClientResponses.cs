using System.Buffers;
using System.Globalization;
using Microsoft.AspNetCore.Http;
using Switchyard.Canonical;

namespace Switchyard.Dispatch;

/// <summary>What the client is told about how its request was served, and how failures reach it.</summary>
public static class ClientResponses
{
    /// <summary>Served upstream model.</summary>
    public const string ModelHeader = "x-switchyard-model";

    /// <summary>Served deployment.</summary>
    public const string DeploymentHeader = "x-switchyard-deployment";

    /// <summary>Upstream attempts made.</summary>
    public const string AttemptsHeader = "x-switchyard-attempts";

    /// <summary>Why the request was retried or fell back (snake_case failure kind), absent when it was not.</summary>
    public const string FallbackReasonHeader = "x-switchyard-fallback-reason";

    /// <summary>Present (<c>true</c>) when a hedged second attempt raced the first.</summary>
    public const string HedgedHeader = "x-switchyard-hedged";

    private static readonly string[] SmallNumbers = Enumerable.Range(0, 33).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();

    /// <summary>Sets the outcome headers; called just before the first byte is written.</summary>
    public static void SetOutcomeHeaders(GatewayContext ctx, DeploymentTarget deployment)
    {
        var headers = ctx.Http.Response.Headers;
        headers[ModelHeader] = deployment.Config.UpstreamModel;
        headers[DeploymentHeader] = deployment.Name;
        headers[AttemptsHeader] = ctx.Attempts < SmallNumbers.Length ? SmallNumbers[ctx.Attempts] : ctx.Attempts.ToString(CultureInfo.InvariantCulture);
        if (ctx.FallbackReason != FailureKind.None)
        {
            headers[FallbackReasonHeader] = FailureKinds.Name(ctx.FallbackReason);
        }

        if (ctx.Hedged)
        {
            headers[HedgedHeader] = "true";
        }

        if (ctx.Dropped is { } dropped)
        {
            headers[TranslatedAttempts.DroppedHeader] = dropped;
        }

        if (ctx.Adapted is { } adapted)
        {
            headers[TranslatedAttempts.AdaptedHeader] = adapted;
        }
    }

    /// <summary>
    /// Writes a committed, whole (non-streamed) answer: outcome headers, status, content type and length, then
    /// the body. A client gone during the write is recorded, not thrown: the answer was already decided.
    /// </summary>
    public static async Task WriteWholeAsync(GatewayContext ctx, DeploymentTarget deployment, int status, string contentType,
        ReadOnlyMemory<byte> body, TimeProvider time)
    {
        ctx.Final = deployment;
        SetOutcomeHeaders(ctx, deployment);
        var http = ctx.Http.Response;
        http.StatusCode = status;
        http.ContentType = contentType;
        http.ContentLength = body.Length;
        ctx.FirstByteTimestamp = time.GetTimestamp();
        try
        {
            await http.Body.WriteAsync(body, ctx.Http.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            ctx.Error = FailureKind.ClientCancelled;
        }
    }

    /// <summary>
    /// Answers with the final failure: an upstream error body already in the client's format (same-protocol
    /// passthrough) is relayed with its status; anything else becomes the client format's envelope with a
    /// status that says whose fault it was (502 unreachable/broken upstream, 504 timeouts).
    /// </summary>
    public static async Task WriteFailureAsync(GatewayContext ctx, UpstreamFailure failure)
    {
        ctx.Error = failure.Kind;
        var http = ctx.Http;
        if (http.Response.HasStarted)
        {
            return;
        }

        if (ctx.Final is { } final)
        {
            SetOutcomeHeaders(ctx, final);
        }

        if (failure.RetryAfter is { } ra)
        {
            // The upstream said when to come back (429, 503, 529, Gemini's RetryInfo) or our own breaker knows:
            // the client gets the same hint, in whole seconds (RFC 9110) and in the milliseconds OpenAI's SDKs read.
            http.Response.Headers.RetryAfter = Math.Ceiling(ra.TotalSeconds).ToString(CultureInfo.InvariantCulture);
            http.Response.Headers["retry-after-ms"] = Math.Ceiling(ra.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
        }

        if (failure.ClientShaped && failure.Kind != FailureKind.Auth && failure.Status >= 400 && failure.Body is { Length: > 0 } body)
        {
            http.Response.StatusCode = failure.Status;
            http.Response.ContentType = "application/json";
            http.Response.ContentLength = body.Length;
            await http.Response.Body.WriteAsync(body).ConfigureAwait(false);
            return;
        }

        await ClientErrors.WriteAsync(http, ctx.Format, ToClientError(failure)).ConfigureAwait(false);
    }

    /// <summary>The client-facing error for a failure that has no client-shaped body.</summary>
    public static ClientError ToClientError(UpstreamFailure failure)
    {
        var detail = failure.Body is { Length: > 0 } raw ? $"{failure.Message}: {Snippet(raw)}" : failure.Message;
        return failure.Kind switch
        {
            // The provider refused *our* credentials: the client's key is fine, so it must not see a 401/403.
            FailureKind.Auth => new(502, ErrorCategory.ServerError, $"{failure.Message}: the upstream provider rejected the gateway's credentials.", null, "upstream_auth_failed"),
            FailureKind.Timeout => new(504, ErrorCategory.Timeout, failure.Message, null, "upstream_timeout"),
            FailureKind.DeadlineExceeded => new(504, ErrorCategory.Timeout, failure.Message, null, "deadline_exceeded"),
            FailureKind.Connection => new(502, ErrorCategory.ServerError, failure.Message, null, "upstream_unreachable"),
            FailureKind.StreamCut => new(502, ErrorCategory.ServerError, failure.Message, null, "upstream_stream_cut"),
            FailureKind.RateLimited => new(429, ErrorCategory.RateLimited, detail, null, "rate_limit_exceeded"),
            FailureKind.ContextWindow => new(400, ErrorCategory.InvalidRequest, detail, "messages", "context_length_exceeded"),
            FailureKind.ContentPolicy => new(400, ErrorCategory.InvalidRequest, detail, null, "content_policy_violation"),
            FailureKind.UnsupportedCapability => new(400, ErrorCategory.InvalidRequest, failure.Message, failure.Param, "unsupported_parameter"),
            FailureKind.BudgetExceeded => new(429, ErrorCategory.RateLimited, failure.Message, null, "budget_exceeded"),
            FailureKind.CircuitOpen => new(503, ErrorCategory.Overloaded, failure.Message, null, "circuit_open"),
            FailureKind.InvalidResponse => new(502, ErrorCategory.ServerError, detail, null, "invalid_response"),
            FailureKind.ResponseTooLarge => new(502, ErrorCategory.ServerError, failure.Message, null, "upstream_response_too_large"),
            FailureKind.ShuttingDown => ShuttingDown,
            FailureKind.ClientError => new(failure.Status, failure.Status == 404 ? ErrorCategory.NotFound : ErrorCategory.InvalidRequest, detail, null, "upstream_rejected_request"),
            _ when failure.Status is 503 or 529 => new(503, ErrorCategory.Overloaded, detail, null, "upstream_overloaded"),
            _ => new(failure.Status is >= 500 and < 600 ? failure.Status : 502, ErrorCategory.ServerError, detail, null, "upstream_error"),
        };
    }

    /// <summary>What a request still unanswered when the shutdown drain ends is told (a stream gets the same as its error event).</summary>
    public static readonly ClientError ShuttingDown = new(503, ErrorCategory.Overloaded,
        "The gateway is shutting down and could not finish this request in time; retry it.", null, "gateway_shutting_down");

    /// <summary>
    /// Why a committed stream's relay stopped, when it threw: the drain ended (shutdown), a timeout fired, or the
    /// upstream broke. The failure kind to record and the error event to end the stream with.
    /// </summary>
    public static (FailureKind Kind, ClientError Error) Broken(AttemptTimer timer, DeploymentTarget deployment, string brokeMessage)
    {
        if (timer.ShuttingDown)
        {
            return (FailureKind.ShuttingDown, ShuttingDown with { Message = "The gateway is shutting down; the stream was ended before the upstream finished it." });
        }

        return timer.TimedOut
            ? (FailureKind.Timeout, new ClientError(504, ErrorCategory.Timeout, timer.Describe(deployment.Name) + "; the stream was ended.", null, "upstream_timeout"))
            : (FailureKind.StreamCut, new ClientError(502, ErrorCategory.ServerError, brokeMessage, null, "upstream_stream_cut"));
    }

    /// <summary>An upstream stream event past <c>server.max_upstream_event_size</c>.</summary>
    public static UpstreamFailure EventTooLarge(DeploymentTarget deployment, int max) => new(FailureKind.ResponseTooLarge,
        $"deployment '{deployment.Name}' sent a stream event larger than {max} bytes (server.max_upstream_event_size)", 502);

    private static string Snippet(byte[] body)
    {
        var text = System.Text.Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, 300)).Trim();
        return body.Length > 300 ? text + "…" : text;
    }
}
