using System.Text;
using System.Text.Json;
using Switchyard.Canonical;

namespace Switchyard.Providers.Bedrock;

/// <summary>
/// Canonical content → Converse content blocks (<c>text</c>, <c>image</c>, <c>document</c>, <c>toolUse</c>,
/// <c>toolResult</c>, <c>reasoningContent</c>, <c>cachePoint</c>). Pure; part of <see cref="BedrockRequestWriter"/>.
/// </summary>
internal static class BedrockContentWriter
{
    /// <summary>Writes <c>system</c>: text blocks, with cache points where the client set breakpoints.</summary>
    public static void WriteSystem(Utf8JsonWriter w, List<ContentPart> system, BedrockModelTraits model, Refusals refusals)
    {
        w.WriteStartArray("system");
        foreach (var part in system)
        {
            if (part is not TextPart text)
            {
                refusals.Refuse("system", "Bedrock Converse system prompts take text only");
                continue;
            }

            if (text.Text.Length > 0)
            {
                w.WriteStartObject();
                w.WriteString("text", text.Text);
                w.WriteEndObject();
            }

            if (part.Cache is not null)
            {
                CachePoint(w, model, refusals);
            }
        }

        w.WriteEndArray();
    }

    /// <summary>
    /// Writes <c>messages</c>. Converse wants strictly alternating user/assistant turns with at least one
    /// non-blank block each, while canonical requests may hold consecutive turns of one role (an OpenAI tool
    /// message followed by a user message) or turns left empty once blank text is skipped: those are merged
    /// into one turn, in order.
    /// </summary>
    public static void WriteMessages(Utf8JsonWriter w, List<Message> messages, BedrockModelTraits model, Refusals refusals)
    {
        var turns = new List<(Role Role, List<ContentPart> Parts)>();
        foreach (var message in messages)
        {
            if (message.Name is not null)
            {
                refusals.Hint("name");
            }

            var parts = message.Content.Where(p => Writable(p, model, refusals)).ToList();
            if (parts.Count == 0)
            {
                continue;
            }

            if (turns.Count > 0 && turns[^1].Role == message.Role)
            {
                turns[^1].Parts.AddRange(parts);
            }
            else
            {
                turns.Add((message.Role, parts));
            }
        }

        w.WriteStartArray("messages");
        var documents = 0;
        foreach (var (role, parts) in turns)
        {
            w.WriteStartObject();
            w.WriteString("role", role == Role.User ? "user" : "assistant");
            w.WriteStartArray("content");
            foreach (var part in parts)
            {
                WriteBlock(w, part, model, refusals, ref documents);
                if (part.Cache is not null)
                {
                    CachePoint(w, model, refusals);
                }
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    /// <summary>A prompt-cache checkpoint after the preceding block, where the model takes them.</summary>
    public static void CachePoint(Utf8JsonWriter w, BedrockModelTraits model, Refusals refusals)
    {
        if (!model.CachePoints)
        {
            refusals.Hint("cache_control"); // a hint: the answer is the same without it
            return;
        }

        w.WriteStartObject();
        w.WriteStartObject("cachePoint");
        w.WriteString("type", "default");
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>Whether a part becomes a block; refuses (or drops) what Converse cannot take.</summary>
    private static bool Writable(ContentPart part, BedrockModelTraits model, Refusals refusals)
    {
        switch (part)
        {
            case TextPart t:
                return t.Text.Length > 0; // Converse rejects blank text blocks; nothing is lost
            case ImagePart i:
                return ImageAcceptable(i, refusals);
            case DocumentPart d:
                return DocumentAcceptable(d, refusals);
            case ThinkingPart:
                if (!model.Anthropic)
                {
                    refusals.Hint("thinking"); // another model's reasoning cannot be replayed to this one
                    return false;
                }

                return true;
            case ToolResultPart r:
                // Filtered here so that a dropped image inside a result does not leave a block half-written.
                foreach (var inner in r.Content)
                {
                    switch (inner)
                    {
                        case TextPart or ImagePart or DocumentPart:
                            break;
                        default:
                            throw new UnsupportedFeatureException("tool_result.content", "Bedrock tool results carry text, images and documents only");
                    }
                }

                return true;
            default:
                return true;
        }
    }

    private static bool ImageAcceptable(ImagePart image, Refusals refusals)
    {
        if (image.Url is not null || image.Data is null)
        {
            refusals.Refuse("image_url", "Bedrock Converse takes images as inline base64 data only, not URLs");
            return false;
        }

        if (ImageFormat(image.MediaType) is null)
        {
            refusals.Refuse("image_url", $"Bedrock Converse takes png, jpeg, gif or webp images, not '{image.MediaType}'");
            return false;
        }

        return true;
    }

    private static bool DocumentAcceptable(DocumentPart document, Refusals refusals)
    {
        if (document.Url is not null || document.Data is null)
        {
            refusals.Refuse("document", "Bedrock Converse takes documents as inline base64 data only, not URLs");
            return false;
        }

        if (DocumentFormat(document.MediaType) is null)
        {
            refusals.Refuse("document", $"Bedrock Converse does not take documents of type '{document.MediaType}'");
            return false;
        }

        return true;
    }

    private static void WriteBlock(Utf8JsonWriter w, ContentPart part, BedrockModelTraits model, Refusals refusals, ref int documents)
    {
        switch (part)
        {
            case TextPart t:
                w.WriteStartObject();
                w.WriteString("text", t.Text);
                w.WriteEndObject();
                break;
            case ImagePart i:
                WriteImage(w, i);
                break;
            case DocumentPart d:
                WriteDocument(w, d, ++documents);
                break;
            case ToolCallPart c:
                w.WriteStartObject();
                w.WriteStartObject("toolUse");
                w.WriteString("toolUseId", c.Id);
                w.WriteString("name", c.Name);
                w.WritePropertyName("input");
                WriteArguments(w, c);
                w.WriteEndObject();
                w.WriteEndObject();
                break;
            case ToolResultPart r:
                WriteToolResult(w, r, model, refusals, ref documents);
                break;
            case ThinkingPart th:
                w.WriteStartObject();
                w.WriteStartObject("reasoningContent");
                if (th.RedactedData is { } redacted)
                {
                    w.WriteString("redactedContent", redacted);
                }
                else
                {
                    w.WriteStartObject("reasoningText");
                    w.WriteString("text", th.Text);
                    if (th.Signature is { } signature)
                    {
                        w.WriteString("signature", signature);
                    }

                    w.WriteEndObject();
                }

                w.WriteEndObject();
                w.WriteEndObject();
                break;
        }
    }

    /// <summary>OpenAI carries arguments as JSON text; Converse wants the JSON value itself.</summary>
    private static void WriteArguments(Utf8JsonWriter w, ToolCallPart call)
    {
        if (string.IsNullOrWhiteSpace(call.Arguments))
        {
            w.WriteStartObject();
            w.WriteEndObject();
            return;
        }

        try
        {
            using var doc = JsonDocument.Parse(call.Arguments);
            doc.RootElement.WriteTo(w);
        }
        catch (JsonException)
        {
            // Never "fixed" by substitution: the conversation would then claim a call that was not made.
            throw new UnsupportedFeatureException("tool_calls", $"the arguments of tool call '{call.Id}' are not valid JSON, which Bedrock Converse requires");
        }
    }

    private static void WriteToolResult(Utf8JsonWriter w, ToolResultPart result, BedrockModelTraits model, Refusals refusals, ref int documents)
    {
        w.WriteStartObject();
        w.WriteStartObject("toolResult");
        w.WriteString("toolUseId", result.ToolCallId);
        w.WriteStartArray("content");
        var errorMarked = false;
        foreach (var inner in result.Content)
        {
            switch (inner)
            {
                case TextPart t when t.Text.Length > 0:
                    // Only Claude reads toolResult.status; other models are told in the text, as the OpenAI writer does.
                    var text = result.IsError && !model.Anthropic && !errorMarked ? "[tool error] " + t.Text : t.Text;
                    errorMarked = true;
                    w.WriteStartObject();
                    w.WriteString("text", text);
                    w.WriteEndObject();
                    break;
                case ImagePart i when ImageAcceptable(i, refusals):
                    WriteImage(w, i);
                    break;
                case DocumentPart d when DocumentAcceptable(d, refusals):
                    WriteDocument(w, d, ++documents);
                    break;
            }
        }

        w.WriteEndArray();
        if (result.IsError && model.Anthropic)
        {
            w.WriteString("status", "error");
        }

        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void WriteImage(Utf8JsonWriter w, ImagePart image)
    {
        w.WriteStartObject();
        w.WriteStartObject("image");
        w.WriteString("format", ImageFormat(image.MediaType));
        w.WriteStartObject("source");
        w.WriteString("bytes", image.Data); // base64 in JSON, as the Converse REST API takes blobs
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void WriteDocument(Utf8JsonWriter w, DocumentPart document, int ordinal)
    {
        w.WriteStartObject();
        w.WriteStartObject("document");
        w.WriteString("format", DocumentFormat(document.MediaType));
        w.WriteString("name", DocumentName(document.Title, ordinal));
        w.WriteStartObject("source");
        w.WriteString("bytes", document.Data);
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>Converse's image format for a media type, or null.</summary>
    internal static string? ImageFormat(string? mediaType) => mediaType?.ToLowerInvariant() switch
    {
        "image/png" => "png",
        "image/jpeg" or "image/jpg" => "jpeg",
        "image/gif" => "gif",
        "image/webp" => "webp",
        _ => null,
    };

    /// <summary>Converse's document format for a media type (PDF when unstated), or null.</summary>
    internal static string? DocumentFormat(string? mediaType) => mediaType?.ToLowerInvariant() switch
    {
        null or "application/pdf" => "pdf",
        "text/csv" => "csv",
        "application/msword" => "doc",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => "docx",
        "application/vnd.ms-excel" => "xls",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => "xlsx",
        "text/html" => "html",
        "text/plain" => "txt",
        "text/markdown" => "md",
        _ => null,
    };

    /// <summary>
    /// A document name Converse accepts (letters, digits, single spaces, hyphens, parentheses, brackets): the
    /// title without its extension and with other characters replaced, else <c>document-N</c> (N counts the
    /// request's documents, so untitled ones stay distinct).
    /// </summary>
    internal static string DocumentName(string? title, int ordinal)
    {
        var builder = new StringBuilder();
        foreach (var c in Path.GetFileNameWithoutExtension(title ?? ""))
        {
            var ok = char.IsAsciiLetterOrDigit(c) || c is '-' or '(' or ')' or '[' or ']';
            var next = ok ? c : c == ' ' ? ' ' : '-';
            if (next == ' ' && (builder.Length == 0 || builder[^1] == ' '))
            {
                continue;
            }

            builder.Append(next);
        }

        var name = builder.ToString().Trim();
        return name.Length == 0 ? $"document-{ordinal}" : name;
    }
}
