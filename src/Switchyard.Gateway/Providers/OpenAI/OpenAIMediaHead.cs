using System.Globalization;
using System.Text.Json;

namespace Switchyard.Providers.OpenAI;

/// <summary>
/// The head of a request beyond chat (images, audio, moderation, rerank; docs/adr/0017-beyond-chat.md): the model and
/// its byte offsets (a passthrough body is forwarded with only the model replaced), and what the request asks for
/// (images, their size and quality; characters of speech; documents to rerank), type-checked so bad input is refused
/// before routing. A multipart upload comes here as the JSON of its text fields, every value a string, so numbers
/// are taken in either form.
/// </summary>
public static class OpenAIMediaHead
{
    private static readonly JsonReaderOptions ReaderOptions = new() { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 64 };

    /// <summary>Parses <paramref name="body"/>; null on success, else the 400 to send.</summary>
    public static RequestError? Parse(ReadOnlySpan<byte> body, Operation operation, out RequestHead head)
    {
        head = default;
        head.Model = "";
        head.StreamOptionsStart = -1;
        var facts = new Facts();
        try
        {
            var reader = new Utf8JsonReader(body, ReaderOptions);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return new RequestError("The request body must be a JSON object.", null, "invalid_json");
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString()!;
                reader.Read();
                if (Field(ref reader, name, ref head, ref facts) is { } wrong)
                {
                    return wrong;
                }
            }

            head.RootEnd = (int)reader.TokenStartIndex;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            return new RequestError("We could not parse the JSON body of your request.", null, "invalid_json");
        }

        head.Needs.EstimatedPromptTokens = body.Length / 4;
        head.Needs.Media = new MediaAsk(operation is Operation.ImageGenerations or Operation.ImageEdits ? facts.Images ?? 1 : 0,
            facts.Size, facts.Quality, facts.Characters, facts.Documents, operation == Operation.Videos ? facts.Seconds ?? DefaultVideoSeconds : 0);
        return Required(head, operation, facts);
    }

    /// <summary>OpenAI's default clip length when <c>seconds</c> is absent (its Videos API reference: 4, 8 or 12, default 4).</summary>
    public const int DefaultVideoSeconds = 4;

    /// <summary>What was read beyond the model.</summary>
    private struct Facts
    {
        public int? Images;
        public string? Size;
        public string? Quality;
        public long Characters;
        public int Documents;
        public int? Seconds;
        public bool Prompt;
        public bool Input;
        public bool Query;
        public bool Voice;
    }

    private static RequestError? Field(ref Utf8JsonReader reader, string name, ref RequestHead head, ref Facts facts)
    {
        switch (name)
        {
            case "model" when reader.TokenType == JsonTokenType.String:
                head.Model = reader.GetString()!;
                head.ModelStart = (int)reader.TokenStartIndex;
                head.ModelLength = (int)(reader.BytesConsumed - reader.TokenStartIndex);
                return null;
            case "model":
                return new RequestError("Invalid type for 'model': expected a string.", "model", "invalid_type");
            case "n":
                facts.Images = Count(ref reader);
                return facts.Images is >= 1 and <= 10 ? null : new RequestError("Invalid 'n': expected an integer from 1 to 10.", "n", "invalid_value");
            case "seconds":
                facts.Seconds = Count(ref reader); // OpenAI sends "8" (a string); a number is taken too
                return facts.Seconds is >= 1 and <= 600 ? null : new RequestError("Invalid 'seconds': expected a whole number of seconds.", "seconds", "invalid_value");
            case "size" when reader.TokenType == JsonTokenType.String:
                facts.Size = reader.GetString();
                return null;
            case "quality" when reader.TokenType == JsonTokenType.String:
                facts.Quality = reader.GetString();
                return null;
            case "prompt" or "voice" or "query" when reader.TokenType == JsonTokenType.String:
                facts.Prompt |= name == "prompt";
                facts.Voice |= name == "voice";
                facts.Query |= name == "query";
                return null;
            case "voice" when reader.TokenType == JsonTokenType.StartObject: // gpt-4o-mini-tts custom voices: {"id": ...}
                facts.Voice = true;
                reader.Skip();
                return null;
            case "input":
                facts.Input = true;
                facts.Characters = reader.TokenType == JsonTokenType.String ? reader.GetString()!.Length : 0;
                reader.Skip();
                return null;
            case "documents" when reader.TokenType == JsonTokenType.StartArray:
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    facts.Documents++;
                    reader.Skip();
                }

                return null;
            default:
                reader.Skip();
                return null;
        }
    }

    /// <summary>An integer given as a number or (multipart) as a string; null when it is neither.</summary>
    private static int? Count(ref Utf8JsonReader reader) =>
        reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var n) ? n
        : reader.TokenType == JsonTokenType.String && int.TryParse(reader.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out n) ? n
        : null;

    private static RequestError? Required(in RequestHead head, Operation operation, in Facts facts)
    {
        if (head.Model.Length == 0)
        {
            return new RequestError("Missing required parameter: 'model' (the gateway routes by it).", "model", "missing_required_parameter");
        }

        var missing = operation switch
        {
            Operation.ImageGenerations or Operation.ImageEdits or Operation.Videos when !facts.Prompt => "prompt",
            Operation.Speech when !facts.Input => "input",
            Operation.Speech when !facts.Voice => "voice",
            Operation.Moderations when !facts.Input => "input",
            Operation.Rerank when !facts.Query => "query",
            Operation.Rerank when facts.Documents == 0 => "documents",
            _ => null,
        };
        return missing is null ? null : new RequestError($"Missing required parameter: '{missing}'.", missing, "missing_required_parameter");
    }
}
