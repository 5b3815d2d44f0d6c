using System.Text.Json;
using Switchyard.Canonical;
using Switchyard.Ingress;

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
        bool hasModel = false, hasMessages = false, hasMaxTokens = false;
        try
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
                        hasModel = true;
                        break;
                    case "messages":
                        if (token != JsonTokenType.StartArray)
                        {
                            return TypeError(name, "a valid list");
                        }

                        hasMessages = true;
                        break;
                    case "max_tokens":
                        if (token != JsonTokenType.Number || !reader.TryGetInt64(out var max))
                        {
                            return TypeError(name, "a valid integer");
                        }

                        // 0 is valid since the API learned cache pre-warming ("generate nothing, fill the cache").
                        if (max < 0)
                        {
                            return Invalid("max_tokens: Input should be greater than or equal to 0", name, "invalid_value");
                        }

                        hasMaxTokens = true;
                        break;
                    case "stream":
                        if (token is JsonTokenType.True or JsonTokenType.False)
                        {
                            head.Stream = token == JsonTokenType.True;
                        }
                        else if (token != JsonTokenType.Null)
                        {
                            return TypeError(name, "a valid boolean");
                        }

                        break;
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
                }

                reader.Skip(); // no-op for scalars; skips arrays and objects
            }

            if (reader.Read())
            {
                return Malformed(); // trailing content after the root object
            }
        }
        catch (JsonException)
        {
            return Malformed();
        }

        if (!hasModel)
        {
            return Missing("model");
        }

        if (head.Model!.Length == 0)
        {
            return Invalid("model: String should have at least 1 character", "model", "invalid_value");
        }

        if (!hasMessages)
        {
            return Missing("messages");
        }

        return requireMaxTokens && !hasMaxTokens ? Missing("max_tokens") : null;
    }

    private static ClientError Missing(string field) => Invalid($"{field}: Field required", field, "missing_required_parameter");

    private static ClientError TypeError(string field, string expected) => Invalid($"{field}: Input should be {expected}", field, "invalid_type");

    private static ClientError Malformed() => Invalid("The request body is not valid JSON.", null, "invalid_json");

    private static ClientError Invalid(string message, string? param, string code) =>
        new(400, ErrorCategory.InvalidRequest, message, param, code);
}
