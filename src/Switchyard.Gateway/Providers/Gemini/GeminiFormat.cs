using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Switchyard.Canonical;

namespace Switchyard.Providers.Gemini;

/// <summary>
/// Gemini <c>generateContent</c> / <c>streamGenerateContent?alt=sse</c> as an inbound format (Google GenAI SDK
/// clients). The model and the streaming choice come from the URL, not the body. Always translated: there is
/// no Gemini passthrough, so a Gemini client routed to a Gemini deployment also goes through the canonical model.
/// </summary>
public sealed class GeminiFormat : IInboundFormat, IEmbeddingsFormat
{
    private static readonly string[] TopLevel =
    [
        "contents", "systemInstruction", "system_instruction", "tools", "toolConfig", "tool_config",
        "generationConfig", "generation_config", "safetySettings", "safety_settings", "cachedContent", "cached_content", "model",
    ];

    /// <inheritdoc />
    public string Name => "gemini";

    /// <inheritdoc />
    public string? PassthroughProtocol => null;

    /// <summary>Google's SDKs and docs send <c>?key=</c>; it is taken on Gemini paths only.</summary>
    public bool AcceptsKeyInQuery => true;

    /// <inheritdoc />
    public ClientError? ParseHead(ReadOnlySpan<byte> body, HttpContext http, Operation operation, out RequestHead head)
    {
        head = default;
        head.StreamOptionsStart = -1;
        if (GeminiRoute.Parse(http.Request, out var call) is { } routeError)
        {
            return routeError;
        }

        head.Model = call.Model;
        head.Stream = call.Stream;
        head.ClientWantsUsage = true; // Gemini always reports usage
        head.Needs.EstimatedPromptTokens = body.Length / 4;
        if (call.IsEmbedding != (operation == Operation.Embeddings))
        {
            return new ClientError(404, ErrorCategory.NotFound, $"Method '{call.Method}' is not served at this URL.", null, "unknown_method");
        }

        return call.IsEmbedding ? CheckEmbedBody(body) : CheckTopLevel(body, ref head);
    }

    /// <summary>An embed body must be a JSON object; its fields are read (and refused by name) at translation.</summary>
    private static ClientError? CheckEmbedBody(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            return reader.Read() && reader.TokenType == JsonTokenType.StartObject && reader.TrySkip() && !reader.Read()
                ? null
                : Invalid(null, "Invalid JSON payload received. The request body must be a JSON object.", "invalid_request_body");
        }
        catch (JsonException)
        {
            return Malformed();
        }
    }

    /// <inheritdoc />
    public ClientError? ReadEmbeddings(ReadOnlySpan<byte> body, HttpContext http, out EmbeddingsRequest request)
    {
        request = new EmbeddingsRequest([], null, false);
        return GeminiRoute.Parse(http.Request, out var call) ?? GeminiEmbedWire.Read(body, call.Method, out request);
    }

    /// <inheritdoc />
    public void WriteEmbeddings(EmbeddingsResult result, EmbeddingsRequest request, string model, long tokens, IBufferWriter<byte> output) =>
        GeminiEmbedWire.Write(output, result, request.Batch);

    /// <summary>
    /// Type checks of the top level, so bad input is refused before routing. Unknown fields are refused as
    /// Google refuses them (<c>Unknown name "x": Cannot find field.</c>) rather than silently lost in translation.
    /// <c>safetySettings</c> is accepted and has no canonical form: a translated request uses the target's defaults.
    /// </summary>
    private static ClientError? CheckTopLevel(ReadOnlySpan<byte> body, ref RequestHead head)
    {
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 128 });
        var hasContents = false;
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return Invalid(null, "Invalid JSON payload received. The request body must be a JSON object.", "invalid_request_body");
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString()!;
                reader.Read();
                var type = reader.TokenType;
                var start = (int)reader.TokenStartIndex;
                reader.Skip();
                Needs(name, body[start..(int)reader.BytesConsumed], ref head);
                var expected = name switch
                {
                    "contents" or "tools" or "safetySettings" or "safety_settings" => JsonTokenType.StartArray,
                    "cachedContent" or "cached_content" or "model" => JsonTokenType.String,
                    _ when Array.IndexOf(TopLevel, name) >= 0 => JsonTokenType.StartObject,
                    _ => JsonTokenType.None,
                };
                if (expected == JsonTokenType.None)
                {
                    return Invalid(name, $"Invalid JSON payload received. Unknown name \"{name}\": Cannot find field.", "unknown_field");
                }

                // systemInstruction may also be a bare string, which Google accepts as one text part.
                if (type != expected && type != JsonTokenType.Null && !(type == JsonTokenType.String && name.StartsWith("system", StringComparison.Ordinal)))
                {
                    var what = expected switch { JsonTokenType.StartArray => "an array", JsonTokenType.String => "a string", _ => "an object" };
                    return Invalid(name, $"Invalid JSON payload received. Invalid value at '{name}': expected {what}.", "invalid_type");
                }

                hasContents |= name == "contents" && type == JsonTokenType.StartArray;
            }

            if (reader.Read())
            {
                return Malformed();
            }
        }
        catch (JsonException)
        {
            return Malformed();
        }

        return hasContents ? null : Invalid("contents", "* GenerateContentRequest.contents: contents is not specified", "missing_required_parameter");
    }

    /// <summary>What a deployment must be able to do for this request (byte searches over the skipped values).</summary>
    private static void Needs(string name, ReadOnlySpan<byte> value, ref RequestHead head)
    {
        switch (name)
        {
            case "contents":
                head.Needs.Vision = value.IndexOf("\"image/"u8) >= 0; // an inline or file part with an image MIME type
                break;
            case "tools":
                head.Needs.Tools = value.IndexOf("unctionDeclarations\""u8) >= 0 || value.IndexOf("unction_declarations\""u8) >= 0;
                break;
            case "generationConfig" or "generation_config":
                head.Needs.JsonSchema = value.IndexOf("esponseSchema\""u8) >= 0 || value.IndexOf("esponseJsonSchema\""u8) >= 0
                    || value.IndexOf("esponse_schema\""u8) >= 0 || value.IndexOf("esponse_json_schema\""u8) >= 0;
                break;
        }
    }

    /// <inheritdoc />
    public ClientError? Parse(ReadOnlySpan<byte> body, HttpContext http, out ChatRequest request)
    {
        request = new ChatRequest { Model = "" };
        if (GeminiRoute.Parse(http.Request, out var call) is { } routeError)
        {
            return routeError;
        }

        try
        {
            using var doc = JsonDocument.Parse(body.ToArray());
            var error = GeminiRequestReader.Read(doc.RootElement, call, out request);
            if (error is null && (doc.RootElement.TryGetProperty("safetySettings", out _) || doc.RootElement.TryGetProperty("safety_settings", out _)))
            {
                request.InboundDropped.Add("safetySettings"); // the target's own safety defaults apply
            }

            return error;
        }
        catch (JsonException)
        {
            return Malformed();
        }
    }

    /// <inheritdoc />
    public void WriteResponse(ChatResponse response, string alias, IBufferWriter<byte> output)
    {
        using var w = new Utf8JsonWriter(output, GeminiJson.WriterOptions);
        GeminiResponses.Write(w, response, alias);
    }

    /// <inheritdoc />
    public IStreamEncoder CreateStreamEncoder(ChatRequest request, string alias, long createdUnixSeconds) => new GeminiStreamEncoder(alias);

    /// <inheritdoc />
    public void WriteError(in ClientError error, IBufferWriter<byte> output) => GeminiErrors.Write(output, error);

    private static ClientError Invalid(string? param, string message, string code) => new(400, ErrorCategory.InvalidRequest, message, param, code);

    private static ClientError Malformed() =>
        Invalid(null, "Invalid JSON payload received. The body is not valid JSON.", "invalid_json");
}
