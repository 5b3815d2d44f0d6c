using System.Text.Json;
using Switchyard.Canonical;
using static Switchyard.Providers.Anthropic.AnthropicJson;

namespace Switchyard.Providers.Anthropic;

/// <summary>Anthropic <c>message</c> JSON ⇄ canonical <see cref="ChatResponse"/>.</summary>
public static class AnthropicResponses
{
    /// <summary>Reads an upstream answer.</summary>
    public static ChatResponse Read(JsonElement root)
    {
        var response = new ChatResponse { Id = Str(root, "id") ?? "", Model = Str(root, "model") ?? "" };
        if (TryGet(root, "content", JsonValueKind.Array, out var content))
        {
            foreach (var block in content.EnumerateArray())
            {
                switch (Str(block, "type"))
                {
                    case "text":
                        response.Content.Add(new TextPart(Str(block, "text") ?? ""));
                        break;
                    case "thinking":
                        response.Content.Add(new ThinkingPart(Str(block, "thinking") ?? "", Str(block, "signature")));
                        break;
                    case "redacted_thinking":
                        response.Content.Add(new ThinkingPart("", null, Str(block, "data") ?? ""));
                        break;
                    case "tool_use" when Str(block, "name") == AnthropicStructuredOutput.ToolName:
                        // The gateway's forced output tool: its input is the JSON answer the client asked for.
                        response.Content.Add(new TextPart(TryGet(block, "input", JsonValueKind.Object, out var answer) ? Compact(answer) : "{}"));
                        break;
                    case "tool_use":
                        response.Content.Add(new ToolCallPart(Str(block, "id") ?? "", Str(block, "name") ?? "",
                            TryGet(block, "input", JsonValueKind.Object, out var input) ? Compact(input) : "{}"));
                        break;

                    // Server tool blocks (web search results, code execution) have no canonical form; their
                    // outcome is in the text blocks that follow.
                }
            }
        }

        var stop = Str(root, "stop_reason");
        response.FinishReason = Finish(stop);
        if (response.FinishReason == FinishReason.ToolCalls && !response.Content.Exists(p => p is ToolCallPart))
        {
            response.FinishReason = FinishReason.Stop; // only the forced output tool was "called": a plain answer
        }
        response.StopSequence = Str(root, "stop_sequence");
        if (TryGet(root, "usage", JsonValueKind.Object, out var usage))
        {
            response.Usage = ReadUsage(usage);
        }

        return response;
    }

    /// <summary>Writes an Anthropic <c>message</c> for a client, reporting <paramref name="model"/>.</summary>
    public static void Write(Utf8JsonWriter w, ChatResponse r, string model)
    {
        w.WriteStartObject();
        w.WriteString("id", MessageId(r.Id));
        w.WriteString("type", "message");
        w.WriteString("role", "assistant");
        w.WriteString("model", model);
        w.WriteStartArray("content");
        var wroteText = false;
        foreach (var part in r.Content)
        {
            wroteText |= WriteContentBlock(w, part);
        }

        // An OpenAI refusal is a separate field there; an Anthropic client reads it as the answer's text.
        if (r.Refusal is { Length: > 0 } refusal && !wroteText)
        {
            w.WriteStartObject();
            w.WriteString("type", "text");
            w.WriteString("text", refusal);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        var finish = r.Refusal is { Length: > 0 } ? FinishReason.ContentFilter : r.FinishReason;
        w.WriteString("stop_reason", StopReason(finish, r.StopSequence));
        if (finish == FinishReason.Stop && r.StopSequence is not null)
        {
            w.WriteString("stop_sequence", r.StopSequence);
        }
        else
        {
            w.WriteNull("stop_sequence");
        }

        w.WriteStartObject("usage");
        WriteUsageFields(w, r.Usage);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>One content block of a client-bound message; true when it was text (non-empty).</summary>
    private static bool WriteContentBlock(Utf8JsonWriter w, ContentPart part)
    {
        switch (part)
        {
            case ThinkingPart { RedactedData: { } data }:
                w.WriteStartObject();
                w.WriteString("type", "redacted_thinking");
                w.WriteString("data", data);
                w.WriteEndObject();
                break;
            case ThinkingPart t:
                w.WriteStartObject();
                w.WriteString("type", "thinking");
                w.WriteString("thinking", t.Text);
                w.WriteString("signature", t.Signature ?? "");
                w.WriteEndObject();
                break;
            case TextPart { Text.Length: > 0 } t:
                w.WriteStartObject();
                w.WriteString("type", "text");
                w.WriteString("text", t.Text);
                w.WriteEndObject();
                return true;
            case ToolCallPart c:
                w.WriteStartObject();
                w.WriteString("type", "tool_use");
                w.WriteString("id", c.Id);
                w.WriteString("name", c.Name);
                w.WritePropertyName("input");
                WriteInput(w, c.Arguments);
                w.WriteEndObject();
                break;
        }

        return false;
    }

    /// <summary>
    /// Tool arguments as Anthropic's <c>input</c> object. Other providers' models can emit arguments that are not
    /// a JSON object; those become <c>{}</c> rather than a body the client's SDK cannot parse.
    /// </summary>
    internal static void WriteInput(Utf8JsonWriter w, string arguments) =>
        w.WriteRawValue(IsObject(arguments) ? arguments : "{}", skipInputValidation: true);
}
