using System.Text.Json;

namespace Switchyard.Providers.OpenAI;

/// <summary>
/// Reads the top level of an OpenAI request body with <see cref="Utf8JsonReader"/>: the routing fields, and
/// type checks on the fields every upstream would reject anyway, so bad input is refused here with a clear
/// message and never reaches (or is billed by) a provider. Nested values are skipped, not materialised.
/// </summary>
public static class OpenAIRequestParser
{
    // Comments are not JSON (RFC 8259): a body with one is malformed like any other.
    private static readonly JsonReaderOptions ReaderOptions = new() { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 128 };

    /// <summary>Parses <paramref name="body"/>; returns null on success, else the error to send (HTTP 400).</summary>
    public static RequestError? Parse(ReadOnlySpan<byte> body, Operation operation, out RequestHead result)
    {
        var scan = new HeadScan(body, operation);
        RequestError? error;
        try
        {
            error = scan.ReadRoot();
        }
        catch (JsonException)
        {
            error = Malformed();
        }

        result = scan.Head;
        if (error is not null)
        {
            return error;
        }

        result.Needs.EstimatedPromptTokens = body.Length / 4;
        return CheckRequired(in result, operation, scan.HasModel, scan.HasPayload);
    }

    /// <summary>The checks that need the whole body read: required fields present, and no contradictions.</summary>
    private static RequestError? CheckRequired(in RequestHead head, Operation operation, bool hasModel, bool hasPayload)
    {
        if (!hasModel)
        {
            return new RequestError("Missing required parameter: 'model'.", "model", "missing_required_parameter");
        }

        if (head.Model!.Length == 0)
        {
            return new RequestError("Invalid 'model': must not be empty.", "model", "invalid_value");
        }

        if (!hasPayload)
        {
            var field = operation == Operation.ChatCompletions ? "messages" : "input";
            return new RequestError($"Missing required parameter: '{field}'.", field, "missing_required_parameter");
        }

        if (operation == Operation.Embeddings && head.Stream)
        {
            return new RequestError("Embeddings do not support 'stream'.", "stream", "invalid_value");
        }

        return null;
    }

    /// <summary>
    /// One pass over the root object. A <c>ref struct</c> so the reader, the body and the head being filled
    /// travel together through one small method per field without copies or allocations.
    /// Every <c>Read…</c> method starts with the reader on the field's name and leaves it on the value's last
    /// token; it returns false after putting the error to send in <see cref="Error"/>, so only a bool (not
    /// the 32-byte error) comes back per field on the happy path.
    /// </summary>
    private ref struct HeadScan
    {
        private readonly ReadOnlySpan<byte> body;
        private readonly Operation operation;
        private Utf8JsonReader reader;

        /// <summary>What has been read so far.</summary>
        public RequestHead Head;

        /// <summary>A string <c>model</c> was seen.</summary>
        public bool HasModel;

        /// <summary>The payload was seen: <c>messages</c> (chat) or <c>input</c> (embeddings).</summary>
        public bool HasPayload;

        /// <summary>Why the scan stopped, once a <c>Read…</c> method returned false.</summary>
        public RequestError? Error;

        /// <summary>A <c>stream</c> member was seen (a second one is ambiguous).</summary>
        private bool hasStream;

        /// <summary>Where the current member's name starts.</summary>
        private int memberStart;

        /// <summary>Where the previous member's value ends (0 before the first member).</summary>
        private int previousEnd;

        public HeadScan(ReadOnlySpan<byte> body, Operation operation)
        {
            this.body = body;
            this.operation = operation;
            reader = new Utf8JsonReader(body, ReaderOptions);
            Head = default;
            Head.StreamOptionsStart = -1;
        }

        public RequestError? ReadRoot()
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return new RequestError("The request body must be a JSON object.", null, "invalid_request_body");
            }

            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.EndObject)
                {
                    Head.RootEnd = (int)reader.TokenStartIndex;
                    break;
                }

                memberStart = (int)reader.TokenStartIndex;

                // The dispatch stays in the loop (not a method of its own): one call less per field keeps
                // this within noise of the single-method parser it replaced (bench "parse chat body").
                var ok = reader.ValueTextEquals("model"u8) ? ReadModel()
                    : reader.ValueTextEquals("stream"u8) ? ReadStream()
                    : reader.ValueTextEquals("stream_options"u8) ? ReadStreamOptions()
                    : operation == Operation.ChatCompletions && reader.ValueTextEquals("messages"u8) ? ReadMessages()
                    : operation == Operation.Embeddings && reader.ValueTextEquals("input"u8) ? ReadInput()
                    : reader.ValueTextEquals("max_tokens"u8) ? ReadPositiveInteger("max_tokens", isOutputCap: true)
                    : reader.ValueTextEquals("max_completion_tokens"u8) ? ReadPositiveInteger("max_completion_tokens", isOutputCap: true)
                    : reader.ValueTextEquals("n"u8) ? ReadPositiveInteger("n", isOutputCap: false)
                    : reader.ValueTextEquals("tools"u8) ? ReadTools()
                    : reader.ValueTextEquals("models"u8) ? ReadClientFallbacks()
                    : reader.ValueTextEquals("user"u8) ? ReadUser()
                    : reader.ValueTextEquals("metadata"u8) ? ReadMetadata()
                    : reader.ValueTextEquals("response_format"u8) ? ReadResponseFormat()
                    : reader.ValueTextEquals("temperature"u8) ? ReadNumber("temperature")
                    : reader.ValueTextEquals("top_p"u8) ? ReadNumber("top_p")
                    : SkipValue();
                if (!ok)
                {
                    return Error;
                }

                previousEnd = (int)reader.BytesConsumed;
            }

            // Trailing content after the root object (e.g. "{}{}") is malformed JSON too.
            return reader.Read() ? Malformed() : null;
        }

        /// <summary>An unknown field: skipped unread.</summary>
        private bool SkipValue()
        {
            reader.Read();
            reader.Skip();
            return true;
        }

        /// <summary>Records why the scan stops; always false, for <c>return Fail(...)</c>.</summary>
        private bool Fail(RequestError error)
        {
            Error = error;
            return false;
        }

        private bool ReadModel()
        {
            if (HasModel)
            {
                return Fail(Duplicate("model"));
            }

            reader.Read();
            if (reader.TokenType != JsonTokenType.String)
            {
                return Fail(TypeError("model", "a string"));
            }

            Head.Model = reader.GetString()!;
            Head.ModelStart = (int)reader.TokenStartIndex;
            Head.ModelLength = (int)(reader.BytesConsumed - reader.TokenStartIndex);
            HasModel = true;
            return true;
        }

        private bool ReadStream()
        {
            if (hasStream)
            {
                return Fail(Duplicate("stream"));
            }

            hasStream = true;
            reader.Read();
            if (reader.TokenType is JsonTokenType.True or JsonTokenType.False)
            {
                Head.Stream = reader.TokenType == JsonTokenType.True;
            }
            else if (reader.TokenType != JsonTokenType.Null)
            {
                return Fail(TypeError("stream", "a boolean"));
            }

            return true;
        }

        /// <summary>Records where the value is (the rewriter replaces it to inject <c>include_usage</c>).</summary>
        private bool ReadStreamOptions()
        {
            reader.Read();
            var start = (int)reader.TokenStartIndex;
            if (reader.TokenType == JsonTokenType.StartObject)
            {
                if (ReadIncludeUsage(ref reader, out var includeUsage) is { } err)
                {
                    return Fail(err);
                }

                Head.ClientWantsUsage = includeUsage;
            }
            else if (reader.TokenType != JsonTokenType.Null)
            {
                return Fail(TypeError("stream_options", "an object"));
            }

            Head.StreamOptionsStart = start;
            Head.StreamOptionsLength = (int)(reader.BytesConsumed - start);
            return true;
        }

        private bool ReadMessages()
        {
            reader.Read();
            if (reader.TokenType != JsonTokenType.StartArray)
            {
                return Fail(TypeError("messages", "an array"));
            }

            var start = (int)reader.TokenStartIndex;
            reader.Skip();
            HasPayload = true;

            // Images are rare enough that a byte search beats walking every content part.
            Head.Needs.Vision = body[start..(int)reader.BytesConsumed].IndexOf("\"image_url\""u8) >= 0;
            return true;
        }

        private bool ReadInput()
        {
            reader.Read();
            if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.StartArray))
            {
                return Fail(TypeError("input", "a string or an array"));
            }

            reader.Skip();
            HasPayload = true;
            return true;
        }

        /// <summary><c>max_tokens</c>, <c>max_completion_tokens</c> (the output cap) or <c>n</c>: null or an integer ≥ 1.</summary>
        private bool ReadPositiveInteger(string name, bool isOutputCap)
        {
            reader.Read();
            if (reader.TokenType != JsonTokenType.Null
                && (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var v) || v < 1))
            {
                return Fail(TypeError(name, "a positive integer"));
            }

            if (isOutputCap && reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var max))
            {
                Head.Needs.MaxOutputTokens = max;
            }

            return true;
        }

        /// <summary>Only whether the array is non-empty matters (routing to tool-capable deployments).</summary>
        private bool ReadTools()
        {
            reader.Read();
            if (reader.TokenType is not (JsonTokenType.StartArray or JsonTokenType.Null))
            {
                return Fail(TypeError("tools", "an array"));
            }

            if (reader.TokenType == JsonTokenType.StartArray)
            {
                reader.Read();
                Head.Needs.Tools = reader.TokenType != JsonTokenType.EndArray;
                if (Head.Needs.Tools)
                {
                    reader.Skip();
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    {
                        reader.Skip();
                    }
                }
            }

            return true;
        }

        /// <summary>OpenRouter-style <c>models: [...]</c>; allocates, but only when the client sends one.</summary>
        private bool ReadClientFallbacks()
        {
            if (Head.ClientFallbacks is not null)
            {
                return Fail(Duplicate("models"));
            }

            reader.Read();
            if (reader.TokenType != JsonTokenType.StartArray)
            {
                return Fail(TypeError("models", "an array of model names"));
            }

            var list = new List<string>();
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                if (reader.TokenType != JsonTokenType.String)
                {
                    return Fail(TypeError($"models[{list.Count}]", "a string"));
                }

                list.Add(reader.GetString()!);
            }

            Head.ClientFallbacks = list.ToArray();
            MarkGatewayField();
            return true;
        }

        /// <summary>
        /// Marks the current member (the reader is on its value's last token) as the gateway's own, with one
        /// comma: the one before it, or for a first member the one after it.
        /// </summary>
        private void MarkGatewayField()
        {
            var end = (int)reader.BytesConsumed;
            if (previousEnd > 0)
            {
                Head.GatewayFieldStart = previousEnd;
                Head.GatewayFieldLength = end - previousEnd;
                return;
            }

            var after = end;
            while (after < body.Length && body[after] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
            {
                after++;
            }

            Head.GatewayFieldStart = memberStart;
            Head.GatewayFieldLength = (after < body.Length && body[after] == (byte)',' ? after + 1 : end) - memberStart;
        }

        private bool ReadUser()
        {
            reader.Read();
            if (reader.TokenType == JsonTokenType.String)
            {
                Head.User = reader.GetString();
            }
            else if (reader.TokenType != JsonTokenType.Null)
            {
                return Fail(TypeError("user", "a string"));
            }

            return true;
        }

        /// <summary>Keeps the string members (route matching); other members are skipped.</summary>
        private bool ReadMetadata()
        {
            reader.Read();
            if (reader.TokenType == JsonTokenType.StartObject)
            {
                Head.Metadata = [];
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var key = reader.GetString()!;
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        Head.Metadata.Add(new(key, reader.GetString()!));
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
            }
            else if (reader.TokenType != JsonTokenType.Null)
            {
                return Fail(TypeError("metadata", "an object"));
            }

            return true;
        }

        private bool ReadResponseFormat()
        {
            reader.Read();
            var start = (int)reader.TokenStartIndex;
            reader.Skip();
            Head.Needs.JsonSchema = body[start..(int)reader.BytesConsumed].IndexOf("\"json_schema\""u8) >= 0;
            return true;
        }

        /// <summary><c>temperature</c> or <c>top_p</c>: a number or null; the range is not checked here.</summary>
        private bool ReadNumber(string name)
        {
            reader.Read();
            return reader.TokenType is JsonTokenType.Number or JsonTokenType.Null || Fail(TypeError(name, "a number"));
        }
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

    /// <summary>
    /// A second copy of a field that decides routing: parsers disagree on which copy counts (we would route on
    /// one, a provider might serve the other), so the request is ambiguous and refused.
    /// </summary>
    private static RequestError Duplicate(string field) =>
        new($"'{field}' appears more than once in the request body.", field, "duplicate_field");

    private static RequestError Malformed() =>
        new("We could not parse the JSON body of your request: it is not valid JSON.", null, "invalid_json");
}
