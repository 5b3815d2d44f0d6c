using System.Text.Json;
using Switchyard.Canonical;

namespace Switchyard.Providers.OpenAI.Responses;

/// <summary>
/// Reads the top level of a <c>POST /v1/responses</c> body with <see cref="Utf8JsonReader"/>: the model and
/// stream flag routing needs, type checks on the fields every upstream would reject, and the refusals of what
/// the gateway does not keep (conversation objects, prompt templates, background runs). Nested values are
/// skipped, not materialised.
/// </summary>
internal static class ResponsesHeadParser
{
    /// <summary>Parses <paramref name="body"/>; null on success, else the 400 to send.</summary>
    public static ClientError? Parse(ReadOnlySpan<byte> body, out RequestHead head)
    {
        head = default;
        head.StreamOptionsStart = -1; // no passthrough for this format: the offsets stay unset
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 128 });
        var seen = default(Seen);
        try
        {
            if (ReadRoot(body, ref reader, ref head, ref seen) is { } error)
            {
                return error;
            }
        }
        catch (JsonException)
        {
            return Malformed();
        }

        head.Needs.EstimatedPromptTokens = body.Length / 4;
        if (!seen.Model)
        {
            return Invalid("Missing required parameter: 'model'.", "model", "missing_required_parameter");
        }

        if (head.Model!.Length == 0)
        {
            return Invalid("Invalid 'model': must not be empty.", "model", "invalid_value");
        }

        return seen.Input ? null : Invalid("Missing required parameter: 'input'.", "input", "missing_required_parameter");
    }

    /// <summary>The fields seen so far (required ones, and those a duplicate of which would be ambiguous).</summary>
    private struct Seen
    {
        public bool Model;
        public bool Input;
        public bool Stream;
    }

    private static ClientError? ReadRoot(ReadOnlySpan<byte> body, ref Utf8JsonReader reader, ref RequestHead head, ref Seen seen)
    {
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return Invalid("The request body must be a JSON object.", null, "invalid_request_body");
        }

        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var name = reader.GetString()!;
            reader.Read();
            if ((CheckType(name, ref reader) ?? Record(name, ref reader, ref head, ref seen)) is { } error)
            {
                return error;
            }

            var start = (int)reader.TokenStartIndex;
            reader.Skip();
            Needs(name, body[start..(int)reader.BytesConsumed], ref head);
        }

        return reader.Read() ? Malformed() : null; // trailing content after the root object
    }

    /// <summary>Type checks on the fields every upstream would reject; the reader is on the value's first token.</summary>
    private static ClientError? CheckType(string name, ref Utf8JsonReader reader)
    {
        var token = reader.TokenType;
        return name switch
        {
            "model" => token == JsonTokenType.String ? null : TypeError(name, "a string"),
            "input" => token is JsonTokenType.String or JsonTokenType.StartArray ? null : TypeError(name, "a string or an array"),
            "instructions" or "user" or "safety_identifier" or "previous_response_id" =>
                token is JsonTokenType.String or JsonTokenType.Null ? null : TypeError(name, "a string"),
            "tools" => token is JsonTokenType.StartArray or JsonTokenType.Null ? null : TypeError(name, "an array"),
            "text" or "reasoning" or "metadata" => token is JsonTokenType.StartObject or JsonTokenType.Null ? null : TypeError(name, "an object"),
            "stream" or "store" or "parallel_tool_calls" or "background" =>
                token is JsonTokenType.True or JsonTokenType.False or JsonTokenType.Null ? null : TypeError(name, "a boolean"),
            "temperature" or "top_p" => token is JsonTokenType.Number or JsonTokenType.Null ? null : TypeError(name, "a number"),
            "max_output_tokens" => token == JsonTokenType.Null || (token == JsonTokenType.Number && reader.TryGetInt32(out var v) && v >= 1)
                ? null : TypeError(name, "a positive integer"),
            _ => null,
        };
    }

    /// <summary>Records what routing needs from a well-typed value, and refuses what needs server-side state.</summary>
    private static ClientError? Record(string name, ref Utf8JsonReader reader, ref RequestHead head, ref Seen seen)
    {
        var token = reader.TokenType;
        switch (name)
        {
            case "model" or "stream" when name == "model" ? seen.Model : seen.Stream:
                // Parsers disagree on which of two copies counts: the request is ambiguous.
                return Invalid($"'{name}' appears more than once in the request body.", name, "duplicate_field");
            case "model":
                head.Model = reader.GetString()!;
                seen.Model = true;
                break;
            case "input":
                seen.Input = true;
                break;
            case "stream":
                head.Stream = token == JsonTokenType.True;
                seen.Stream = true;
                break;
            case "max_output_tokens" when token == JsonTokenType.Number:
                head.Needs.MaxOutputTokens = reader.GetInt32();
                break;

            // The gateway keeps responses and their items (previous_response_id and item_reference resolve
            // from its store, Conversations stage), but no conversation objects or prompt templates: a request
            // that depends on those cannot be honoured by any route, so it is refused rather than answered
            // without the context the client expects the model to have.
            case "conversation" or "prompt" when token != JsonTokenType.Null:
                return Invalid($"'{name}' is not supported: this gateway does not store {(name == "prompt" ? "prompt templates" : "conversation objects")}. "
                    + "Continue with 'previous_response_id', or send the whole conversation in 'input'.", name, "unsupported_parameter");
            case "background" when token == JsonTokenType.True:
                return Invalid("'background' mode is not supported: this gateway does not run responses to poll later. "
                    + "Use 'stream': true for long generations.", name, "unsupported_parameter");
        }

        return null;
    }

    /// <summary>What a deployment must be able to do for this request (byte searches over the skipped values).</summary>
    private static void Needs(string name, ReadOnlySpan<byte> value, ref RequestHead head)
    {
        switch (name)
        {
            case "input":
                head.Needs.Vision = value.IndexOf("\"input_image\""u8) >= 0;
                break;
            case "tools":
                head.Needs.Tools = value.IndexOf((byte)'{') >= 0;
                break;
            case "text":
                head.Needs.JsonSchema = value.IndexOf("\"json_schema\""u8) >= 0;
                break;
        }
    }

    private static ClientError Invalid(string message, string? param, string code) =>
        new(400, ErrorCategory.InvalidRequest, message, param, code);

    private static ClientError TypeError(string param, string expected) =>
        Invalid($"Invalid type for '{param}': expected {expected}.", param, "invalid_type");

    private static ClientError Malformed() =>
        Invalid("We could not parse the JSON body of your request: it is not valid JSON.", null, "invalid_json");
}
