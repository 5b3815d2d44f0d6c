using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Switchyard.Canonical;

namespace Switchyard.Providers.Gemini;

/// <summary>
/// Google's error envelope, <c>{"error":{"code":400,"message":"...","status":"INVALID_ARGUMENT","details":[...]}}</c>,
/// which the Google GenAI SDKs turn into typed API errors. The gateway's own error code (e.g.
/// <c>context_length_exceeded</c>) travels as a <c>google.rpc.ErrorInfo</c> detail, as Google does with its reasons.
/// </summary>
public static class GeminiErrors
{
    /// <summary>The <c>google.rpc.Code</c> name for an error category and HTTP status.</summary>
    public static string StatusName(ErrorCategory category, int status) => category switch
    {
        ErrorCategory.InvalidRequest or ErrorCategory.RequestTooLarge => "INVALID_ARGUMENT",
        ErrorCategory.Authentication => "UNAUTHENTICATED",
        ErrorCategory.PermissionDenied => "PERMISSION_DENIED",
        ErrorCategory.NotFound => "NOT_FOUND",
        ErrorCategory.RateLimited or ErrorCategory.QuotaExceeded => "RESOURCE_EXHAUSTED",
        ErrorCategory.Overloaded => "UNAVAILABLE",
        ErrorCategory.Timeout => "DEADLINE_EXCEEDED",
        _ => status switch
        {
            503 => "UNAVAILABLE",
            504 => "DEADLINE_EXCEEDED",
            501 => "UNIMPLEMENTED",
            _ => "INTERNAL",
        },
    };

    /// <summary>The category of a Google status name (for errors read from a Gemini upstream).</summary>
    public static ErrorCategory CategoryOf(string? status, int code) => status switch
    {
        "INVALID_ARGUMENT" or "FAILED_PRECONDITION" or "OUT_OF_RANGE" => ErrorCategory.InvalidRequest,
        "UNAUTHENTICATED" => ErrorCategory.Authentication,
        "PERMISSION_DENIED" => ErrorCategory.PermissionDenied,
        "NOT_FOUND" => ErrorCategory.NotFound,
        "RESOURCE_EXHAUSTED" => ErrorCategory.RateLimited,
        "UNAVAILABLE" => ErrorCategory.Overloaded,
        "DEADLINE_EXCEEDED" => ErrorCategory.Timeout,
        _ => code is >= 400 and < 500 ? ErrorCategory.InvalidRequest : ErrorCategory.ServerError,
    };

    /// <summary>Writes the envelope JSON for <paramref name="error"/>.</summary>
    public static void Write(IBufferWriter<byte> output, in ClientError error)
    {
        using var w = new Utf8JsonWriter(output, GeminiJson.WriterOptions);
        WriteObject(w, error);
    }

    /// <summary>Writes the envelope as one JSON object on <paramref name="w"/>.</summary>
    public static void WriteObject(Utf8JsonWriter w, in ClientError error)
    {
        w.WriteStartObject();
        w.WriteStartObject("error");
        w.WriteNumber("code", error.Status);
        w.WriteString("message", error.Message);
        w.WriteString("status", StatusName(error.Category, error.Status));
        if (error.Code is { Length: > 0 } code)
        {
            w.WriteStartArray("details");
            w.WriteStartObject();
            w.WriteString("@type", "type.googleapis.com/google.rpc.ErrorInfo");
            w.WriteString("reason", code.ToUpperInvariant());
            w.WriteString("domain", "switchyard");
            if (error.Param is { } param)
            {
                w.WriteStartObject("metadata");
                w.WriteString("param", param);
                w.WriteEndObject();
            }

            w.WriteEndObject();
            w.WriteEndArray();
        }

        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>Writes <paramref name="error"/> as the whole response (for routes answered before the pipeline).</summary>
    public static Task WriteAsync(HttpContext http, ClientError error)
    {
        if (http.Response.HasStarted)
        {
            return Task.CompletedTask;
        }

        var buffer = new ArrayBufferWriter<byte>(256);
        Write(buffer, error);
        http.Response.StatusCode = error.Status;
        http.Response.ContentType = "application/json; charset=UTF-8";
        http.Response.ContentLength = buffer.WrittenCount;
        return http.Response.Body.WriteAsync(buffer.WrittenMemory).AsTask();
    }
}
