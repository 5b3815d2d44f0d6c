using System.Text;
using System.Text.Json;
using Switchyard.Canonical;

namespace Switchyard.Providers.Anthropic;

/// <summary>Canonical content parts → Anthropic content blocks (text, image, document, tool_use, tool_result, thinking).</summary>
internal static class AnthropicContentWriter
{
    /// <summary>Writes one block; hints without an Anthropic meaning are listed in <paramref name="dropped"/>.</summary>
    public static void WriteBlock(Utf8JsonWriter w, ContentPart part, List<string> dropped)
    {
        w.WriteStartObject();
        switch (part)
        {
            case TextPart t:
                w.WriteString("type", "text");
                w.WriteString("text", t.Text);
                break;
            case ImagePart i:
                WriteImage(w, i, dropped);
                break;
            case DocumentPart d:
                WriteDocument(w, d);
                break;
            case ToolCallPart c:
                WriteToolUse(w, c);
                break;
            case ToolResultPart result:
                WriteToolResult(w, result, dropped);
                break;
            case ThinkingPart { RedactedData: { } data }:
                w.WriteString("type", "redacted_thinking");
                w.WriteString("data", data);
                break;
            case ThinkingPart th:
                w.WriteString("type", "thinking");
                w.WriteString("thinking", th.Text);
                w.WriteString("signature", th.Signature);
                break;
        }

        AnthropicJson.WriteCache(w, part.Cache);
        w.WriteEndObject();
    }

    private static void WriteImage(Utf8JsonWriter w, ImagePart i, List<string> dropped)
    {
        if (i.Detail is not null)
        {
            AddOnce(dropped, "image_url.detail");
        }

        w.WriteString("type", "image");
        w.WriteStartObject("source");
        if (i.Url is not null)
        {
            w.WriteString("type", "url");
            w.WriteString("url", i.Url);
        }
        else
        {
            w.WriteString("type", "base64");
            w.WriteString("media_type", i.MediaType ?? "image/png");
            w.WriteString("data", i.Data);
        }

        w.WriteEndObject();
    }

    /// <summary>Anthropic requires <c>input</c> to be an object: empty or blank arguments become <c>{}</c>, anything else is refused.</summary>
    private static void WriteToolUse(Utf8JsonWriter w, ToolCallPart c)
    {
        w.WriteString("type", "tool_use");
        w.WriteString("id", c.Id);
        w.WriteString("name", c.Name);
        w.WritePropertyName("input");
        if (string.IsNullOrWhiteSpace(c.Arguments))
        {
            w.WriteRawValue("{}", skipInputValidation: true);
        }
        else if (AnthropicJson.IsObject(c.Arguments))
        {
            w.WriteRawValue(c.Arguments, skipInputValidation: true);
        }
        else
        {
            throw new UnsupportedFeatureException("messages", $"the arguments of tool call '{c.Id}' are not a JSON object, which Anthropic requires");
        }
    }

    private static void WriteDocument(Utf8JsonWriter w, DocumentPart d)
    {
        w.WriteString("type", "document");
        w.WriteStartObject("source");
        if (d.Url is not null)
        {
            w.WriteString("type", "url");
            w.WriteString("url", d.Url);
        }
        else if (d.MediaType == "text/plain")
        {
            w.WriteString("type", "text");
            w.WriteString("media_type", "text/plain");
            w.WriteString("data", Encoding.UTF8.GetString(Convert.FromBase64String(d.Data ?? "")));
        }
        else
        {
            w.WriteString("type", "base64");
            w.WriteString("media_type", d.MediaType ?? "application/pdf");
            w.WriteString("data", d.Data);
        }

        w.WriteEndObject();
        if (d.Title is not null)
        {
            w.WriteString("title", d.Title);
        }
    }

    private static void WriteToolResult(Utf8JsonWriter w, ToolResultPart result, List<string> dropped)
    {
        w.WriteString("type", "tool_result");
        w.WriteString("tool_use_id", result.ToolCallId);
        if (result.Content is [TextPart { Cache: null } only])
        {
            w.WriteString("content", only.Text);
        }
        else if (result.Content.Count > 0)
        {
            w.WriteStartArray("content");
            foreach (var part in result.Content.Where(p => p is not TextPart { Text.Length: 0 }))
            {
                WriteBlock(w, part, dropped);
            }

            w.WriteEndArray();
        }

        if (result.IsError)
        {
            w.WriteBoolean("is_error", true);
        }
    }

    public static void AddOnce(List<string> list, string item)
    {
        if (!list.Contains(item))
        {
            list.Add(item);
        }
    }
}
