using System.Text.Json;

namespace Switchyard.Providers.OpenAI;

/// <summary>
/// Reads the top level of an OpenAI request body with <see cref="Utf8JsonReader"/>: the routing fields, and
/// type checks on the fields every upstream would reject anyway, so bad input is refused here with a clear
/// message and never reaches (or is billed by) a provider. Nested values are skipped, not materialised.
/// </summary>
public static class OpenAIRequestParser
{
    /// <summary>Parses <paramref name="body"/>; returns null on success, else the error to send (HTTP 400).</summary>
    public static RequestError? Parse(ReadOnlySpan<byte> body, Operation operation, out RequestHead result)
    {
        result = default;
        result.StreamOptionsStart = -1;
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 128 });
        var hasModel = false;
        var hasPayload = false; // messages / input
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return new RequestError("The request body must be a JSON object.", null, "invalid_request_body");
            }

            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.EndObject)
                {
                    result.RootEnd = (int)reader.TokenStartIndex;
                    break;
                }

                // Property name at depth 1.
                if (reader.ValueTextEquals("model"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        return TypeError("model", "a string");
                    }

                    result.Model = reader.GetString()!;
                    result.ModelStart = (int)reader.TokenStartIndex;
                    result.ModelLength = (int)(reader.BytesConsumed - reader.TokenStartIndex);
                    hasModel = true;
                }
                else if (reader.ValueTextEquals("stream"u8))
                {
                    reader.Read();
                    if (reader.TokenType is JsonTokenType.True or JsonTokenType.False)
                    {
                        result.Stream = reader.TokenType == JsonTokenType.True;
                    }
                    else if (reader.TokenType != JsonTokenType.Null)
                    {
                        return TypeError("stream", "a boolean");
                    }
                }
                else if (reader.ValueTextEquals("stream_options"u8))
                {
                    reader.Read();
                    var start = (int)reader.TokenStartIndex;
                    if (reader.TokenType == JsonTokenType.StartObject)
                    {
                        if (ReadIncludeUsage(ref reader, out var includeUsage) is { } err)
                        {
                            return err;
                        }

                        result.ClientWantsUsage = includeUsage;
                    }
                    else if (reader.TokenType != JsonTokenType.Null)
                    {
                        return TypeError("stream_options", "an object");
                    }

                    result.StreamOptionsStart = start;
                    result.StreamOptionsLength = (int)(reader.BytesConsumed - start);
                }
                else if (operation == Operation.ChatCompletions && reader.ValueTextEquals("messages"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.StartArray)
                    {
                        return TypeError("messages", "an array");
                    }

                    var start = (int)reader.TokenStartIndex;
                    reader.Skip();
                    hasPayload = true;

                    // Images are rare enough that a byte search beats walking every content part.
                    result.Needs.Vision = body[start..(int)reader.BytesConsumed].IndexOf("\"image_url\""u8) >= 0;
                }
                else if (operation == Operation.Embeddings && reader.ValueTextEquals("input"u8))
                {
                    reader.Read();
                    if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.StartArray))
                    {
                        return TypeError("input", "a string or an array");
                    }

                    reader.Skip();
                    hasPayload = true;
                }
                else if (reader.ValueTextEquals("max_tokens"u8) || reader.ValueTextEquals("max_completion_tokens"u8)
                         || reader.ValueTextEquals("n"u8))
                {
                    // The name is only materialised for an error message: no allocation on the happy path.
                    var isN = reader.ValueTextEquals("n"u8);
                    var name = isN ? "n" : reader.ValueTextEquals("max_tokens"u8) ? "max_tokens" : "max_completion_tokens";
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.Null
                        && (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var v) || v < 1))
                    {
                        return TypeError(name, "a positive integer");
                    }

                    if (!isN && reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var max))
                    {
                        result.Needs.MaxOutputTokens = max;
                    }
                }
                else if (reader.ValueTextEquals("tools"u8))
                {
                    reader.Read();
                    if (reader.TokenType is not (JsonTokenType.StartArray or JsonTokenType.Null))
                    {
                        return TypeError("tools", "an array");
                    }

                    if (reader.TokenType == JsonTokenType.StartArray)
                    {
                        reader.Read();
                        result.Needs.Tools = reader.TokenType != JsonTokenType.EndArray;
                        if (result.Needs.Tools)
                        {
                            reader.Skip();
                            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                            {
                                reader.Skip();
                            }
                        }
                    }
                }
                else if (reader.ValueTextEquals("models"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.StartArray)
                    {
                        return TypeError("models", "an array of model names");
                    }

                    var list = new List<string>();
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    {
                        if (reader.TokenType != JsonTokenType.String)
                        {
                            return TypeError($"models[{list.Count}]", "a string");
                        }

                        list.Add(reader.GetString()!);
                    }

                    result.ClientFallbacks = list.ToArray();
                }
                else if (reader.ValueTextEquals("user"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        result.User = reader.GetString();
                    }
                    else if (reader.TokenType != JsonTokenType.Null)
                    {
                        return TypeError("user", "a string");
                    }
                }
                else if (reader.ValueTextEquals("metadata"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartObject)
                    {
                        result.Metadata = [];
                        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                        {
                            var key = reader.GetString()!;
                            reader.Read();
                            if (reader.TokenType == JsonTokenType.String)
                            {
                                result.Metadata.Add(new(key, reader.GetString()!));
                            }
                            else
                            {
                                reader.Skip();
                            }
                        }
                    }
                    else if (reader.TokenType != JsonTokenType.Null)
                    {
                        return TypeError("metadata", "an object");
                    }
                }
                else if (reader.ValueTextEquals("response_format"u8))
                {
                    reader.Read();
                    var start = (int)reader.TokenStartIndex;
                    reader.Skip();
                    result.Needs.JsonSchema = body[start..(int)reader.BytesConsumed].IndexOf("\"json_schema\""u8) >= 0;
                }
                else if (reader.ValueTextEquals("temperature"u8) || reader.ValueTextEquals("top_p"u8))
                {
                    var name = reader.ValueTextEquals("top_p"u8) ? "top_p" : "temperature";
                    reader.Read();
                    if (reader.TokenType is not (JsonTokenType.Number or JsonTokenType.Null))
                    {
                        return TypeError(name, "a number");
                    }
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            // Trailing content after the root object (e.g. "{}{}") is malformed JSON too.
            if (reader.Read())
            {
                return Malformed();
            }
        }
        catch (JsonException)
        {
            return Malformed();
        }

        result.Needs.EstimatedPromptTokens = body.Length / 4;
        if (!hasModel)
        {
            return new RequestError("Missing required parameter: 'model'.", "model", "missing_required_parameter");
        }

        if (result.Model!.Length == 0)
        {
            return new RequestError("Invalid 'model': must not be empty.", "model", "invalid_value");
        }

        if (!hasPayload)
        {
            var field = operation == Operation.ChatCompletions ? "messages" : "input";
            return new RequestError($"Missing required parameter: '{field}'.", field, "missing_required_parameter");
        }

        if (operation == Operation.Embeddings && result.Stream)
        {
            return new RequestError("Embeddings do not support 'stream'.", "stream", "invalid_value");
        }

        return null;
    }

    private static RequestError? ReadIncludeUsage(ref Utf8JsonReader reader, out bool includeUsage)
    {
        includeUsage = false;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            if (reader.ValueTextEquals("include_usage"u8))
            {
                reader.Read();
                if (reader.TokenType is not (JsonTokenType.True or JsonTokenType.False or JsonTokenType.Null))
                {
                    return TypeError("stream_options.include_usage", "a boolean");
                }

                includeUsage = reader.TokenType == JsonTokenType.True;
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return null;
    }

    private static RequestError TypeError(string param, string expected) =>
        new($"Invalid type for '{param}': expected {expected}.", param, "invalid_type");

    private static RequestError Malformed() =>
        new("We could not parse the JSON body of your request: it is not valid JSON.", null, "invalid_json");
}
