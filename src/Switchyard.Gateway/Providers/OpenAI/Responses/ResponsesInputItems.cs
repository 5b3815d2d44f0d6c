using System.Text.Json;
using Switchyard.Canonical;
using static Switchyard.Providers.OpenAI.OpenAIChatRequestReader;

namespace Switchyard.Providers.OpenAI.Responses;

/// <summary>
/// One Responses <c>input</c> item → canonical messages. The Responses API spreads one assistant turn over
/// several items (reasoning, message, one function_call per call); canonical keeps a turn as one message,
/// because Chat Completions (and Anthropic, Gemini) need parallel tool calls inside a single assistant message.
/// </summary>
internal static class ResponsesInputItems
{
    /// <summary>Appends <paramref name="item"/> to <paramref name="request"/>; an error names the item's field.</summary>
    public static ClientError? Read(JsonElement item, ChatRequest request, string path)
    {
        if (item.ValueKind != JsonValueKind.Object)
        {
            return Invalid(path, $"Invalid type for '{path}': expected an object.");
        }

        var type = Str(item, "type");
        switch (type)
        {
            case null or "message":
                return ReadMessage(item, request, path);
            case "function_call":
                return ReadFunctionCall(item, request, path);
            case "function_call_output":
                return ReadFunctionCallOutput(item, request, path);
            case "reasoning":
                ReadReasoning(item, request);
                return null;
            default:
                return Invalid($"{path}.type", $"Input item type '{type}' is not supported by this gateway. Supported: message, function_call, function_call_output, reasoning, item_reference.");
        }
    }

    private static ClientError? ReadFunctionCall(JsonElement item, ChatRequest request, string path)
    {
        if (Str(item, "call_id") is not { Length: > 0 } callId || Str(item, "name") is not { Length: > 0 } name)
        {
            return Invalid($"{path}.call_id", "A 'function_call' item needs 'call_id' and 'name'.");
        }

        AssistantTurn(request, allowAfterCalls: true).Content.Add(new ToolCallPart(callId, name, Str(item, "arguments") ?? "{}"));
        return null;
    }

    private static ClientError? ReadFunctionCallOutput(JsonElement item, ChatRequest request, string path)
    {
        if (Str(item, "call_id") is not { Length: > 0 } callId)
        {
            return Invalid($"{path}.call_id", "A 'function_call_output' item needs 'call_id'.");
        }

        item.TryGetProperty("output", out var output);
        var parts = new List<ContentPart>();
        if (output.ValueKind == JsonValueKind.String)
        {
            parts.Add(new TextPart(output.GetString()!));
        }
        else if (Parts(output, parts, $"{path}.output") is { } error)
        {
            return error;
        }

        AddToolResult(request, new ToolResultPart(callId, parts));
        return null;
    }

    private static void ReadReasoning(JsonElement item, ChatRequest request)
    {
        // The full reasoning text when the client kept it, else its summary.
        var full = string.Concat(Texts(item, "content", "reasoning_text"));
        var text = full.Length > 0 ? full : string.Join("\n\n", Texts(item, "summary", "summary_text"));
        var encrypted = Str(item, "encrypted_content");
        if (text.Length > 0 || encrypted is not null)
        {
            AssistantTurn(request, allowAfterCalls: false).Content.Add(new ThinkingPart(text, encrypted));
        }
    }

    private static ClientError? ReadMessage(JsonElement item, ChatRequest request, string path)
    {
        var role = Str(item, "role");
        item.TryGetProperty("content", out var content);
        var parts = new List<ContentPart>();
        if (content.ValueKind == JsonValueKind.String)
        {
            parts.Add(new TextPart(content.GetString()!));
        }
        else if (content.ValueKind != JsonValueKind.Array)
        {
            return Invalid($"{path}.content", $"Invalid type for '{path}.content': expected a string or an array.");
        }
        else if (Parts(content, parts, $"{path}.content") is { } error)
        {
            return error;
        }

        switch (role)
        {
            case "system" or "developer":
                request.System.AddRange(parts);
                return null;
            case "user":
            {
                var user = new Message(Role.User);
                user.Content.AddRange(parts);
                request.Messages.Add(user);
                return null;
            }

            case "assistant":
                AssistantTurn(request, allowAfterCalls: false).Content.AddRange(parts);
                return null;
            default:
                return Invalid($"{path}.role", $"Invalid value for 'role': '{role}'. Supported: system, developer, user, assistant.");
        }
    }

    /// <summary>
    /// The assistant message to add to: the last message when it is an open assistant turn, else a new one.
    /// A turn stays open for more tool calls; text or reasoning after a tool call starts a new turn so the
    /// order the client sent survives.
    /// </summary>
    private static Message AssistantTurn(ChatRequest request, bool allowAfterCalls)
    {
        if (request.Messages.Count > 0 && request.Messages[^1] is { Role: Role.Assistant } last
            && (allowAfterCalls || !last.Content.Any(c => c is ToolCallPart)))
        {
            return last;
        }

        var m = new Message(Role.Assistant);
        request.Messages.Add(m);
        return m;
    }

    /// <summary>Consecutive tool results share one user turn (Anthropic and Gemini require that).</summary>
    private static void AddToolResult(ChatRequest request, ToolResultPart part)
    {
        if (request.Messages.Count > 0 && request.Messages[^1] is { Role: Role.User } last
            && last.Content.Count > 0 && last.Content.All(c => c is ToolResultPart))
        {
            last.Content.Add(part);
            return;
        }

        var m = new Message(Role.User);
        m.Content.Add(part);
        request.Messages.Add(m);
    }

    /// <summary>Responses content parts → canonical parts.</summary>
    private static ClientError? Parts(JsonElement array, List<ContentPart> parts, string path)
    {
        if (array.ValueKind != JsonValueKind.Array)
        {
            return Invalid(path, $"Invalid type for '{path}': expected a string or an array.");
        }

        var j = 0;
        foreach (var part in array.EnumerateArray())
        {
            var here = $"{path}[{j++}]";
            var type = Str(part, "type");
            switch (type)
            {
                case "input_text" or "output_text":
                    parts.Add(new TextPart(Str(part, "text") ?? ""));
                    break;
                case "refusal":
                    parts.Add(new TextPart(Str(part, "refusal") ?? ""));
                    break;
                case "input_image":
                    if (Str(part, "image_url") is not { Length: > 0 } url)
                    {
                        return StoredFile($"{here}.file_id", "image");
                    }

                    parts.Add(ImagePart.FromUrl(url, Str(part, "detail")));
                    break;
                case "input_file" when Str(part, "file_data") is { Length: > 0 } data:
                    var inline = data.StartsWith("data:", StringComparison.Ordinal) ? ImagePart.FromUrl(data) : null;
                    parts.Add(new DocumentPart(null, inline?.MediaType ?? "application/pdf", inline?.Data ?? data, Str(part, "filename")));
                    break;
                case "input_file" when Str(part, "file_url") is { Length: > 0 } fileUrl:
                    parts.Add(new DocumentPart(fileUrl, null, null, Str(part, "filename")));
                    break;
                case "input_file":
                    return StoredFile($"{here}.file_id", "file");
                default:
                    return Invalid($"{here}.type", $"Content part type '{type}' is not supported. Supported: input_text, input_image, input_file, output_text, refusal.");
            }
        }

        return null;
    }

    private static IEnumerable<string> Texts(JsonElement item, string property, string type) =>
        item.TryGetProperty(property, out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray().Where(p => Str(p, "type") == type).Select(p => Str(p, "text") ?? "")
            : [];

    private static ClientError StoredFile(string param, string what) =>
        Invalid(param, $"An input {what} given by 'file_id' is not supported: this gateway does not store files. Send the {what} inline (a data: URL) or by URL.");

    private static ClientError Invalid(string param, string message) => ResponsesRequestReader.Invalid(param, message);
}
