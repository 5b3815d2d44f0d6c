using System.Text.Json;
using Switchyard.Canonical;

namespace Switchyard.Providers.Gemini;

/// <summary>
/// Canonical <see cref="ChatRequest"/> → Gemini <c>GenerateContentRequest</c> JSON. Choices worth knowing:
/// <list type="bullet">
/// <item>Tool results go back as <c>functionResponse</c> by function NAME (looked up from the call with the same
/// id earlier in the conversation); a result that is a JSON object is sent as that object, other text as
/// <c>{"output": text}</c> and errors as <c>{"error": text}</c> (the keys Google documents for FunctionResponse).</item>
/// <item>Call ids are not sent: Gemini pairs calls and responses by name and order, and ids minted by other
/// providers mean nothing to it.</item>
/// <item>Tool parameters and response schemas are sent as JSON Schema (<c>parametersJsonSchema</c>,
/// <c>responseJsonSchema</c>), so nothing is lost converting to Google's OpenAPI subset.</item>
/// <item>Gemini reads files by URL only from its File API, Cloud Storage and YouTube; any other URL is refused
/// (or dropped with <c>drop_unsupported_params</c>): send such images inline as data: URLs.</item>
/// </list>
/// </summary>
public static partial class GeminiRequestWriter
{
    /// <summary>Writes the body. Throws <see cref="UnsupportedFeatureException"/> unless <paramref name="allowDrop"/>,
    /// in which case the field is left out and named in <paramref name="dropped"/>. Pure hints with no Gemini
    /// equivalent (cache breakpoints, <c>user</c>, <c>strict</c>, <c>parallel_tool_calls</c>) are always dropped and named.</summary>
    public static void Write(Utf8JsonWriter w, ChatRequest r, List<string> dropped, bool allowDrop)
    {
        var ctx = new Context(dropped, allowDrop);
        w.WriteStartObject();
        w.WriteStartArray("contents");
        var callNames = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var m in r.Messages)
        {
            if (m.Name is not null)
            {
                ctx.Hint("name"); // Gemini contents have no participant names
            }

            w.WriteStartObject();
            w.WriteString("role", m.Role == Role.Assistant ? "model" : "user");
            w.WriteStartArray("parts");
            WriteParts(w, m.Content, callNames, ctx);
            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        if (r.System.Count > 0)
        {
            w.WriteStartObject("systemInstruction");
            w.WriteStartArray("parts");
            foreach (var part in r.System)
            {
                if (part is TextPart t)
                {
                    w.WriteStartObject();
                    w.WriteString("text", t.Text);
                    w.WriteEndObject();
                }
                else
                {
                    ctx.Refuse("system", "Gemini system instructions carry text only");
                }

                ctx.NoteCache(part);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        WriteTools(w, r, ctx);
        WriteConfig(w, r, ctx);
        if (r.User is not null)
        {
            ctx.Hint("user");
        }

        w.WriteEndObject();
    }

    private static void WriteParts(Utf8JsonWriter w, List<ContentPart> parts, Dictionary<string, string> callNames, Context ctx)
    {
        string? signature = null; // a text-less thinking signature belongs on the next part
        foreach (var part in parts)
        {
            ctx.NoteCache(part);
            switch (part)
            {
                case ThinkingPart { RedactedData: not null }:
                    ctx.Hint("thinking"); // another provider's opaque reasoning: nothing Gemini can read
                    break;
                case ThinkingPart { Text.Length: 0 } empty:
                    signature = empty.Signature;
                    break;
                case ThinkingPart t:
                    w.WriteStartObject();
                    w.WriteString("text", t.Text);
                    w.WriteBoolean("thought", true);
                    Signature(w, t.Signature);
                    w.WriteEndObject();
                    break;
                case TextPart t:
                    w.WriteStartObject();
                    w.WriteString("text", t.Text);
                    Signature(w, signature);
                    signature = null;
                    w.WriteEndObject();
                    break;
                case ImagePart i:
                    Media(w, i.Url, i.MediaType, i.Data, "image_url", ctx);
                    break;
                case DocumentPart d:
                    Media(w, d.Url, d.MediaType, d.Data, "document", ctx);
                    break;
                case ToolCallPart c:
                    callNames[c.Id] = c.Name;
                    w.WriteStartObject();
                    w.WriteStartObject("functionCall");
                    w.WriteString("name", c.Name);
                    w.WritePropertyName("args");
                    Arguments(w, c.Arguments, ctx);
                    w.WriteEndObject();
                    Signature(w, signature);
                    signature = null;
                    w.WriteEndObject();
                    break;
                case ToolResultPart result:
                    var name = result.Name ?? callNames.GetValueOrDefault(result.ToolCallId)
                        ?? throw new UnsupportedFeatureException("tool_call_id",
                            $"no earlier tool call has id '{result.ToolCallId}', and Gemini needs the function name of every tool result");
                    w.WriteStartObject();
                    w.WriteStartObject("functionResponse");
                    w.WriteString("name", name);
                    w.WritePropertyName("response");
                    ToolResponse(w, result);
                    w.WriteEndObject();
                    w.WriteEndObject();
                    break;
            }
        }
    }

    private static void Signature(Utf8JsonWriter w, string? signature)
    {
        if (signature is not null)
        {
            w.WriteString("thoughtSignature", signature);
        }
    }

    private static void Media(Utf8JsonWriter w, string? url, string? mediaType, string? data, string field, Context ctx)
    {
        if (data is not null)
        {
            if (mediaType is null)
            {
                ctx.Refuse(field, "Gemini needs the media type of inline data");
                return;
            }

            w.WriteStartObject();
            w.WriteStartObject("inlineData");
            w.WriteString("mimeType", mediaType);
            w.WriteString("data", data);
            w.WriteEndObject();
            w.WriteEndObject();
            return;
        }

        if (url is null || !IsGeminiFileUri(url))
        {
            ctx.Refuse(field, "Gemini reads files by URL only from its File API, Cloud Storage (gs://) or YouTube; send it inline (a data: URL)");
            return;
        }

        mediaType ??= MediaTypeOf(url);
        if (mediaType is null && url.StartsWith("gs://", StringComparison.Ordinal))
        {
            // Vertex refuses a Cloud Storage file without its type; the File API and YouTube know their own.
            ctx.Refuse(field, "Gemini needs the media type of a Cloud Storage file, and this URL's extension does not name one (use .png, .jpg, .webp, .pdf, ...)");
            return;
        }

        w.WriteStartObject();
        w.WriteStartObject("fileData");
        if (mediaType is not null)
        {
            w.WriteString("mimeType", mediaType);
        }

        w.WriteString("fileUri", url);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>The media type a file's extension names, for the types Gemini reads; null for others.</summary>
    internal static string? MediaTypeOf(string url)
    {
        var path = url.AsSpan();
        var end = path.IndexOfAny('?', '#');
        path = end >= 0 ? path[..end] : path;
        var dot = path.LastIndexOf('.');
        if (dot < 0 || dot < path.LastIndexOf('/'))
        {
            return null;
        }

        return path[(dot + 1)..].ToString().ToLowerInvariant() switch
        {
            "png" => "image/png",
            "jpg" or "jpeg" => "image/jpeg",
            "webp" => "image/webp",
            "heic" => "image/heic",
            "heif" => "image/heif",
            "pdf" => "application/pdf",
            "txt" => "text/plain",
            "mp3" => "audio/mp3",
            "wav" => "audio/wav",
            "mp4" => "video/mp4",
            _ => null,
        };
    }

    private static bool IsGeminiFileUri(string url) =>
        url.StartsWith("gs://", StringComparison.Ordinal)
        || url.StartsWith("https://generativelanguage.googleapis.com/", StringComparison.Ordinal)
        || url.StartsWith("https://www.youtube.com/", StringComparison.Ordinal)
        || url.StartsWith("https://youtu.be/", StringComparison.Ordinal);

    /// <summary>Arguments are a JSON text in canonical form and an object on Gemini's wire.</summary>
    private static void Arguments(Utf8JsonWriter w, string arguments, Context ctx)
    {
        if (string.IsNullOrWhiteSpace(arguments))
        {
            w.WriteStartObject();
            w.WriteEndObject();
            return;
        }

        try
        {
            using var doc = JsonDocument.Parse(arguments);
            if (doc.RootElement.ValueKind == JsonValueKind.Object)
            {
                doc.RootElement.WriteTo(w);
                return;
            }
        }
        catch (JsonException)
        {
        }

        // Not an object: Gemini cannot carry it. Refused, or (when dropping is allowed) sent as no arguments.
        ctx.Refuse("tool_calls.arguments", "Gemini function call arguments must be a JSON object");
        w.WriteStartObject();
        w.WriteEndObject();
    }

    private static void ToolResponse(Utf8JsonWriter w, ToolResultPart result)
    {
        var text = string.Concat(result.Content.Select(p => p switch
        {
            TextPart t => t.Text,
            _ => throw new UnsupportedFeatureException("tool_result.content", "Gemini function responses are translated from text only"),
        }));
        if (!result.IsError)
        {
            try
            {
                using var doc = JsonDocument.Parse(text);
                if (doc.RootElement.ValueKind == JsonValueKind.Object)
                {
                    doc.RootElement.WriteTo(w);
                    return;
                }
            }
            catch (JsonException)
            {
            }
        }

        w.WriteStartObject();
        w.WriteString(result.IsError ? "error" : "output", text);
        w.WriteEndObject();
    }

    private static void WriteTools(Utf8JsonWriter w, ChatRequest r, Context ctx)
    {
        if (r.Tools.Count > 0)
        {
            w.WriteStartArray("tools");
            w.WriteStartObject();
            w.WriteStartArray("functionDeclarations");
            foreach (var t in r.Tools)
            {
                WriteFunctionDeclaration(w, t, ctx);
            }

            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndArray();
        }

        if (r.ToolChoice is { } tc)
        {
            WriteToolConfig(w, tc);
        }

        if (r.ParallelToolCalls == false && r.Tools.Count > 0)
        {
            ctx.Hint("parallel_tool_calls"); // Gemini has no switch for it
        }
    }

    private static void WriteFunctionDeclaration(Utf8JsonWriter w, ToolDefinition t, Context ctx)
    {
        w.WriteStartObject();
        w.WriteString("name", t.Name);
        if (t.Description is not null)
        {
            w.WriteString("description", t.Description);
        }

        if (t.Parameters is { } p)
        {
            w.WritePropertyName("parametersJsonSchema");
            p.WriteTo(w);
        }

        if (t.Strict == true)
        {
            ctx.Hint("strict");
        }

        if (t.Cache is not null)
        {
            ctx.Hint("cache_control");
        }

        w.WriteEndObject();
    }

    private static void WriteToolConfig(Utf8JsonWriter w, ToolChoice tc)
    {
        w.WriteStartObject("toolConfig");
        w.WriteStartObject("functionCallingConfig");
        w.WriteString("mode", tc.Kind switch
        {
            ToolChoiceKind.None => "NONE",
            ToolChoiceKind.Required or ToolChoiceKind.Function => "ANY",
            _ => "AUTO",
        });
        if (tc is { Kind: ToolChoiceKind.Function, FunctionName: { } forced })
        {
            w.WriteStartArray("allowedFunctionNames");
            w.WriteStringValue(forced);
            w.WriteEndArray();
        }

        w.WriteEndObject();
        w.WriteEndObject();
    }
}
