using System.Buffers;
using System.Text.Json;
using Switchyard.Canonical;

namespace Switchyard.Providers.Anthropic;

/// <summary>
/// Anthropic's error envelope, <c>{"type":"error","error":{"type":"...","message":"..."}}</c>, which the
/// Anthropic SDKs turn into typed exceptions by HTTP status and <c>error.type</c>.
/// </summary>
public static class AnthropicErrors
{
    /// <summary>Anthropic's <c>error.type</c> for a category (invalid_request_error 400, authentication_error 401,
    /// permission_error 403, not_found_error 404, request_too_large 413, rate_limit_error 429, api_error 500,
    /// timeout_error 504, overloaded_error 529).</summary>
    public static string TypeOf(ErrorCategory category) => category switch
    {
        ErrorCategory.InvalidRequest => "invalid_request_error",
        ErrorCategory.Authentication => "authentication_error",
        ErrorCategory.PermissionDenied => "permission_error",
        ErrorCategory.NotFound => "not_found_error",
        ErrorCategory.RequestTooLarge => "request_too_large",
        ErrorCategory.RateLimited => "rate_limit_error",
        ErrorCategory.QuotaExceeded => "billing_error", // Anthropic's type for spent credits or a reached spend limit
        ErrorCategory.Overloaded => "overloaded_error",
        ErrorCategory.Timeout => "timeout_error",
        _ => "api_error",
    };

    /// <summary>True for Anthropic's own error types (an upstream's in-stream error code can then be kept as is).</summary>
    public static bool IsKnownType(string? type) => type is "invalid_request_error" or "authentication_error" or "billing_error"
        or "permission_error" or "not_found_error" or "request_too_large" or "rate_limit_error" or "api_error" or "timeout_error"
        or "overloaded_error";

    /// <summary>Writes the envelope JSON.</summary>
    public static void Write(IBufferWriter<byte> output, string type, string message)
    {
        using var w = new Utf8JsonWriter(output, AnthropicJson.WriterOptions);
        w.WriteStartObject();
        w.WriteString("type", "error");
        w.WriteStartObject("error");
        w.WriteString("type", type);
        w.WriteString("message", message);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>Writes an SSE <c>event: error</c> carrying the envelope (how Anthropic ends a broken stream).</summary>
    public static void WriteEvent(IBufferWriter<byte> output, string type, string message)
    {
        output.Write("event: error\ndata: "u8);
        Write(output, type, message);
        output.Write("\n\n"u8);
    }

    /// <summary>The error type for a gateway stream-failure code (<c>upstream_timeout</c> → timeout_error).</summary>
    public static string TypeOfStreamCode(string? code) => code == "upstream_timeout" ? "timeout_error" : "api_error";

    /// <summary>Reads <c>error.type</c> and <c>error.message</c>; nulls when the body is not Anthropic's envelope.</summary>
    public static (string? Type, string? Message) Read(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            using var doc = JsonDocument.ParseValue(ref reader);
            var root = doc.RootElement;
            if (AnthropicJson.TryGet(root, "error", JsonValueKind.Object, out var error))
            {
                return (AnthropicJson.Str(error, "type"), AnthropicJson.Str(error, "message"));
            }
        }
        catch (JsonException)
        {
        }

        return (null, null);
    }

    /// <summary>True when <paramref name="body"/> is Anthropic's envelope (<c>"type":"error"</c> with an <c>error</c> object).</summary>
    public static bool IsErrorBody(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            bool typeIsError = false, hasError = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("type"u8))
                {
                    reader.Read();
                    typeIsError = reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("error"u8);
                }
                else if (reader.ValueTextEquals("error"u8))
                {
                    reader.Read();
                    hasError = reader.TokenType == JsonTokenType.StartObject;
                    reader.Skip();
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            return typeIsError && hasError;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
