using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Switchyard.Ingress;
using Switchyard.Pipeline;
using Switchyard.Routing;

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
    }

    /// <summary>
    /// Answers with the final failure: an upstream's own OpenAI-shaped error body is relayed with its status
    /// (the caller's SDK understands it); anything else is wrapped in the OpenAI envelope with a status that
    /// says whose fault it was (502 unreachable/broken upstream, 504 timeouts).
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

        if (failure.Kind == FailureKind.Auth)
        {
            // The provider refused *our* credentials: the client's key is fine, so it must not see a 401/403.
            await OpenAIErrors.WriteAsync(http, StatusCodes.Status502BadGateway,
                $"{failure.Message}: the upstream provider rejected the gateway's credentials.", "server_error", null, "upstream_auth_failed").ConfigureAwait(false);
            return;
        }

        if (failure.Status >= 400 && failure.Body is { Length: > 0 } body && IsOpenAIError(body))
        {
            http.Response.StatusCode = failure.Status;
            if (failure.RetryAfter is { } ra && failure.Kind == FailureKind.RateLimited)
            {
                http.Response.Headers.RetryAfter = Math.Ceiling(ra.TotalSeconds).ToString(CultureInfo.InvariantCulture);
            }

            http.Response.ContentType = "application/json";
            http.Response.ContentLength = body.Length;
            await http.Response.Body.WriteAsync(body).ConfigureAwait(false);
            return;
        }

        var (status, type, code) = failure.Kind switch
        {
            FailureKind.Timeout => (StatusCodes.Status504GatewayTimeout, "server_error", "upstream_timeout"),
            FailureKind.DeadlineExceeded => (StatusCodes.Status504GatewayTimeout, "server_error", "deadline_exceeded"),
            FailureKind.Connection => (StatusCodes.Status502BadGateway, "server_error", "upstream_unreachable"),
            FailureKind.StreamCut => (StatusCodes.Status502BadGateway, "server_error", "upstream_stream_cut"),
            FailureKind.RateLimited => (StatusCodes.Status429TooManyRequests, "rate_limit_error", "rate_limit_exceeded"),
            FailureKind.ClientError => (failure.Status, "invalid_request_error", "upstream_rejected_request"),
            _ => (failure.Status is >= 500 and < 600 ? failure.Status : StatusCodes.Status502BadGateway, "server_error", "upstream_error"),
        };
        var message = failure.Body is { Length: > 0 } raw
            ? $"{failure.Message}: {Snippet(raw)}"
            : failure.Message;
        await OpenAIErrors.WriteAsync(http, status, message, type, null, code).ConfigureAwait(false);
    }

    private static bool IsOpenAIError(byte[] body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isError = reader.ValueTextEquals("error"u8);
                reader.Read();
                if (isError)
                {
                    return reader.TokenType == JsonTokenType.StartObject;
                }

                reader.Skip();
            }
        }
        catch (JsonException)
        {
        }

        return false;
    }

    private static string Snippet(byte[] body)
    {
        var text = System.Text.Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, 300)).Trim();
        return body.Length > 300 ? text + "…" : text;
    }
}
