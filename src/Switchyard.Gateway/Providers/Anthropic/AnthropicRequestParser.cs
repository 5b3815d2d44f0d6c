using System.Text.Json;
using Switchyard.Canonical;

namespace Switchyard.Providers.Anthropic;

/// <summary>
/// Reads the top level of an Anthropic Messages body with <see cref="Utf8JsonReader"/>: the model (with its
/// byte offsets, for the passthrough splice), <c>stream</c>, and type checks on the fields Anthropic itself
/// would reject, so bad input is refused before routing in Anthropic's words (<c>max_tokens: Field required</c>).
/// Nested values are skipped, not materialised.
/// </summary>
public static class AnthropicRequestParser
{
    /// <summary>
    /// Parses <paramref name="body"/>. <paramref name="requireMaxTokens"/> is false for <c>count_tokens</c>, whose body
    /// is a Messages body without <c>max_tokens</c>. Null on success, else the 400 to send.
    /// </summary>
    public static ClientError? Parse(ReadOnlySpan<byte> body, bool requireMaxTokens, out RequestHead head)
    {
        head = default;
        head.StreamOptionsStart = -1;

        // Anthropic streams always carry usage (message_start and message_delta): nothing to ask for.
        head.ClientWantsUsage = true;
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
            return Missing("model");
        }

        if (head.Model!.Length == 0)
        {
            return Invalid("model: String should have at least 1 character", "model", "invalid_value");
        }

        if (!seen.Messages)
        {
            return Missing("messages");
        }

        return requireMaxTokens && !seen.MaxTokens ? Missing("max_tokens") : null;
    }

    /// <summary>The fields seen so far (required ones, and those a duplicate of which would be ambiguous).</summary>
    private struct Seen
    {
        public bool Model;
        public bool Messages;
        public bool MaxTokens;
        public bool Stream;
    }

    private static ClientError? ReadRoot(ReadOnlySpan<byte> body, ref Utf8JsonReader reader, ref RequestHead head, ref Seen seen)
    {
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return Invalid("Request body must be a JSON object.", null, "invalid_request_body");
        }

        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                head.RootEnd = (int)reader.TokenStartIndex;
                break;
            }

            var name = reader.GetString()!;
            reader.Read();
            if ((Duplicate(name, ref seen) ?? CheckField(name, ref reader, ref head, ref seen) ?? Needs(body, name, ref reader, ref head)) is { } error)
            {
                return error;
            }

            reader.Skip(); // no-op for scalars; skips arrays and objects
        }

        return reader.Read() ? Malformed() : null; // trailing content after the root object
    }

    /// <summary>Checks the value of <paramref name="name"/> (the reader is on its first token) and records what routing needs.</summary>
    private static ClientError? CheckField(string name, ref Utf8JsonReader reader, ref RequestHead head, ref Seen seen)
    {
        var token = reader.TokenType;
        switch (name)
        {
            case "model":
                if (token != JsonTokenType.String)
                {
                    return TypeError(name, "a valid string");
                }

                head.Model = reader.GetString()!;
                head.ModelStart = (int)reader.TokenStartIndex;
                head.ModelLength = (int)(reader.BytesConsumed - reader.TokenStartIndex);
                seen.Model = true;
                return null;
            case "messages" when token != JsonTokenType.StartArray:
                return TypeError(name, "a valid list");
            case "messages":
                seen.Messages = true;
                return null;
            case "max_tokens":
                if (CheckMaxTokens(ref reader) is { } error)
                {
                    return error;
                }

                seen.MaxTokens = true;
                return null;
            case "stream" when token is JsonTokenType.True or JsonTokenType.False:
                head.Stream = token == JsonTokenType.True;
                return null;
            case "stream" when token != JsonTokenType.Null:
                return TypeError(name, "a valid boolean");
            case "system" when token is not (JsonTokenType.String or JsonTokenType.StartArray or JsonTokenType.Null):
                return TypeError(name, "a valid string or a list of text blocks");
            case "temperature" or "top_p" when token is not (JsonTokenType.Number or JsonTokenType.Null):
                return TypeError(name, "a valid number");
            case "top_k" when token != JsonTokenType.Null && (token != JsonTokenType.Number || !reader.TryGetInt64(out _)):
                return TypeError(name, "a valid integer");
            case "stop_sequences" or "tools" when token is not (JsonTokenType.StartArray or JsonTokenType.Null):
                return TypeError(name, "a valid list");
            case "tool_choice" or "thinking" or "metadata" or "output_config" when token is not (JsonTokenType.StartObject or JsonTokenType.Null):
                return TypeError(name, "a valid dictionary");
            default:
                return null;
        }
    }

    /// <summary>
    /// A second <c>model</c> or <c>stream</c>: parsers disagree on which one counts (we would route on the last,
    /// a provider might serve the first), so the request is ambiguous and refused.
    /// </summary>
    private static ClientError? Duplicate(string name, ref Seen seen) => name switch
    {
        "model" when seen.Model => Invalid("model: the field appears more than once", name, "duplicate_field"),
        "stream" when seen.Stream => Invalid("stream: the field appears more than once", name, "duplicate_field"),
        "stream" => Mark(ref seen.Stream),
        _ => null,
    };

    private static ClientError? Mark(ref bool flag)
    {
        flag = true;
        return null;
    }

    /// <summary>
    /// What a deployment must be able to do for this request (the planner leaves out those that cannot):
    /// tools, images, a JSON-schema output, the output cap. Byte searches over the skipped values: cheap, and
    /// a false "needs images" only narrows the plan to vision-capable deployments.
    /// </summary>
    private static ClientError? Needs(ReadOnlySpan<byte> body, string name, ref Utf8JsonReader reader, ref RequestHead head)
    {
        if (reader.TokenType is not (JsonTokenType.StartArray or JsonTokenType.StartObject or JsonTokenType.Number))
        {
            return null;
        }

        var start = (int)reader.TokenStartIndex;
        if (name == "max_tokens")
        {
            head.Needs.MaxOutputTokens = reader.TryGetInt32(out var max) ? max : null;
            return null;
        }

        reader.Skip();
        var value = body[start..(int)reader.BytesConsumed];
        switch (name)
        {
            case "messages":
                head.Needs.Vision = value.IndexOf("\"image\""u8) >= 0;
                break;
            case "tools":
                head.Needs.Tools = value.IndexOf((byte)'{') >= 0;
                break;
            case "output_format" or "output_config":
                head.Needs.JsonSchema |= value.IndexOf("\"json_schema\""u8) >= 0;
                break;
        }

        return null;
    }

    private static ClientError? CheckMaxTokens(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var max))
        {
            return TypeError("max_tokens", "a valid integer");
        }

        // 0 is valid since the API learned cache pre-warming ("generate nothing, fill the cache").
        return max < 0 ? Invalid("max_tokens: Input should be greater than or equal to 0", "max_tokens", "invalid_value") : null;
    }

    private static ClientError Missing(string field) => Invalid($"{field}: Field required", field, "missing_required_parameter");

    private static ClientError TypeError(string field, string expected) => Invalid($"{field}: Input should be {expected}", field, "invalid_type");

    private static ClientError Malformed() => Invalid("The request body is not valid JSON.", null, "invalid_json");

    private static ClientError Invalid(string message, string? param, string code) =>
        new(400, ErrorCategory.InvalidRequest, message, param, code);
}
