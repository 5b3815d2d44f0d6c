using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Switchyard.Providers.OpenAI;

/// <summary>
/// Writes errors in OpenAI's envelope, <c>{"error":{"message","type","param","code"}}</c>, which the
/// OpenAI SDKs turn into typed exceptions. <c>type</c> follows OpenAI's vocabulary
/// (<c>invalid_request_error</c>, <c>authentication_error</c>, <c>rate_limit_error</c>, <c>server_error</c>).
/// </summary>
public static class OpenAIErrors
{
    // Error bodies are JSON for API clients, never HTML: quotes and apostrophes stay readable.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Writes the envelope as the whole response. Does nothing if the response has started.</summary>
    public static Task WriteAsync(HttpContext http, int status, string message, string type, string? param, string? code)
    {
        if (http.Response.HasStarted)
        {
            return Task.CompletedTask;
        }

        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        var buffer = new ArrayBufferWriter<byte>(256);
        Write(buffer, message, type, param, code);
        http.Response.ContentLength = buffer.WrittenCount;
        return http.Response.Body.WriteAsync(buffer.WrittenMemory).AsTask();
    }

    /// <summary>Writes the envelope JSON into <paramref name="output"/>.</summary>
    public static void Write(IBufferWriter<byte> output, string message, string type, string? param, string? code)
    {
        using var w = new Utf8JsonWriter(output, WriterOptions);
        w.WriteStartObject();
        w.WriteStartObject("error");
        w.WriteString("message", message);
        w.WriteString("type", type);
        WriteNullable(w, "param", param);
        WriteNullable(w, "code", code);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>400 for a request refused by <see cref="OpenAIRequestParser"/>.</summary>
    public static Task BadRequestAsync(HttpContext http, in RequestError error) =>
        WriteAsync(http, StatusCodes.Status400BadRequest, error.Message, "invalid_request_error", error.Param, error.Code);

    /// <summary>True when <paramref name="body"/> is <c>{"error": {...}}</c>.</summary>
    public static bool IsErrorBody(ReadOnlySpan<byte> body)
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

    private static void WriteNullable(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null)
        {
            w.WriteNull(name);
        }
        else
        {
            w.WriteString(name, value);
        }
    }
}
