using System.Text.Json;
using Switchyard.Canonical;

namespace Switchyard.Providers.OpenAI;

/// <summary>OpenAI Chat Completions request JSON → canonical <see cref="ChatRequest"/> (the translated path).</summary>
public static class OpenAIChatRequestReader
{
    /// <summary>Reads <paramref name="root"/>; returns an error naming the field for anything malformed.</summary>
    public static ClientError? Read(JsonElement root, out ChatRequest request)
    {
        request = new ChatRequest { Model = root.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : "" };
        if (!root.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array)
        {
            return Invalid("messages", "Missing required parameter: 'messages'.");
        }

        var i = 0;
        foreach (var msg in messages.EnumerateArray())
        {
            if (ReadMessage(msg, request, $"messages[{i}]") is { } error)
            {
                return error;
            }

            i++;
        }

        if (ReadTools(root, request) is { } toolError)
        {
            return toolError;
        }

        ReadParameters(root, request);
        return null;
    }

    /// <summary><c>tools</c> (each needs a function name) and <c>tool_choice</c>.</summary>
    private static ClientError? ReadTools(JsonElement root, ChatRequest request)
    {
        if (root.TryGetProperty("tools", out var tools) && tools.ValueKind == JsonValueKind.Array)
        {
            var t = 0;
            foreach (var tool in tools.EnumerateArray())
            {
                if (!tool.TryGetProperty("function", out var fn) || !fn.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String)
                {
                    return Invalid($"tools[{t}].function.name", "Each tool needs a function with a name.");
                }

                request.Tools.Add(new ToolDefinition(name.GetString()!, Str(fn, "description"),
                    fn.TryGetProperty("parameters", out var p) && p.ValueKind == JsonValueKind.Object ? p.Clone() : null,
                    fn.TryGetProperty("strict", out var s) && s.ValueKind is JsonValueKind.True or JsonValueKind.False ? s.GetBoolean() : null));
                t++;
            }
        }

        if (root.TryGetProperty("tool_choice", out var tc))
        {
            request.ToolChoice = tc.ValueKind switch
            {
                JsonValueKind.String => tc.GetString() switch
                {
                    "none" => new ToolChoice(ToolChoiceKind.None),
                    "required" => new ToolChoice(ToolChoiceKind.Required),
                    _ => new ToolChoice(ToolChoiceKind.Auto),
                },
                JsonValueKind.Object when tc.TryGetProperty("function", out var f) => new ToolChoice(ToolChoiceKind.Function, Str(f, "name")),
                _ => null,
            };
        }

        return null;
    }

    /// <summary>The scalar parameters, <c>stop</c>, <c>response_format</c> and <c>reasoning_effort</c>; wrong types read as absent.</summary>
    private static void ReadParameters(JsonElement root, ChatRequest request)
    {
        request.ParallelToolCalls = Bool(root, "parallel_tool_calls");
        request.MaxTokens = Int(root, "max_completion_tokens") ?? Int(root, "max_tokens");
        request.Temperature = Num(root, "temperature");
        request.TopP = Num(root, "top_p");
        request.PresencePenalty = Num(root, "presence_penalty");
        request.FrequencyPenalty = Num(root, "frequency_penalty");
        request.Seed = root.TryGetProperty("seed", out var seed) && seed.TryGetInt64(out var sv) ? sv : null;
        request.N = Int(root, "n");
        request.Stream = Bool(root, "stream") == true;
        request.StreamUsage = root.TryGetProperty("stream_options", out var so) && so.ValueKind == JsonValueKind.Object && Bool(so, "include_usage") == true;
        request.User = Str(root, "user");
        if (root.TryGetProperty("stop", out var stop))
        {
            if (stop.ValueKind == JsonValueKind.String)
            {
                request.Stop.Add(stop.GetString()!);
            }
            else if (stop.ValueKind == JsonValueKind.Array)
            {
                request.Stop.AddRange(stop.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!));
            }
        }

        if (root.TryGetProperty("response_format", out var rf) && rf.ValueKind == JsonValueKind.Object)
        {
            request.ResponseFormat = Str(rf, "type") switch
            {
                "json_object" => new ResponseFormat(ResponseFormatKind.JsonObject),
                "json_schema" when rf.TryGetProperty("json_schema", out var js) => new ResponseFormat(ResponseFormatKind.JsonSchema,
                    Str(js, "name"), js.TryGetProperty("schema", out var schema) ? schema.Clone() : null, Bool(js, "strict")),
                _ => new ResponseFormat(ResponseFormatKind.Text),
            };
        }

        if (Str(root, "reasoning_effort") is { } effort)
        {
            request.Reasoning = new ReasoningConfig(effort, null);
        }
    }

    private static ClientError? ReadMessage(JsonElement msg, ChatRequest request, string path)
    {
        var role = Str(msg, "role");
        msg.TryGetProperty("content", out var content);
        switch (role)
        {
            case "system" or "developer":
                request.System.AddRange(Parts(content));
                return null;
            case "user":
            {
                var m = new Message(Role.User) { Name = Str(msg, "name") };
                m.Content.AddRange(Parts(content));
                request.Messages.Add(m);
                return null;
            }

            case "assistant":
                request.Messages.Add(Assistant(msg, content));
                return null;
            case "tool":
                return ReadToolResult(msg, content, request, path);

            default:
                return Invalid($"{path}.role", $"Invalid value for 'role': '{role}'. Supported: system, developer, user, assistant, tool.");
        }
    }

    private static Message Assistant(JsonElement msg, JsonElement content)
    {
        var m = new Message(Role.Assistant) { Name = Str(msg, "name") };
        m.Content.AddRange(Parts(content));
        if (msg.TryGetProperty("tool_calls", out var calls) && calls.ValueKind == JsonValueKind.Array)
        {
            foreach (var call in calls.EnumerateArray())
            {
                var fn = call.GetProperty("function");
                m.Content.Add(new ToolCallPart(Str(call, "id") ?? "", Str(fn, "name") ?? "", Str(fn, "arguments") ?? "{}"));
            }
        }

        return m;
    }

    private static ClientError? ReadToolResult(JsonElement msg, JsonElement content, ChatRequest request, string path)
    {
        var id = Str(msg, "tool_call_id");
        if (id is null)
        {
            return Invalid($"{path}.tool_call_id", "Tool messages need 'tool_call_id'.");
        }

        var part = new ToolResultPart(id, Parts(content).ToList());

        // Consecutive tool results belong to one user turn (Anthropic and Gemini require that).
        if (request.Messages.Count > 0 && request.Messages[^1] is { Role: Role.User } last
            && last.Content.Count > 0 && last.Content.All(c => c is ToolResultPart))
        {
            last.Content.Add(part);
        }
        else
        {
            var m = new Message(Role.User);
            m.Content.Add(part);
            request.Messages.Add(m);
        }

        return null;
    }

    /// <summary>OpenAI content (a string or an array of parts) → canonical parts.</summary>
    public static IEnumerable<ContentPart> Parts(JsonElement content)
    {
        if (content.ValueKind == JsonValueKind.String)
        {
            yield return new TextPart(content.GetString()!);
            yield break;
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            yield break;
        }

        foreach (var part in content.EnumerateArray())
        {
            switch (Str(part, "type"))
            {
                case "text":
                    yield return new TextPart(Str(part, "text") ?? "");
                    break;
                case "image_url":
                    var image = part.GetProperty("image_url");
                    yield return ImagePart.FromUrl(image.ValueKind == JsonValueKind.String ? image.GetString()! : Str(image, "url") ?? "", Str(image, "detail"));
                    break;
                case "file" when part.TryGetProperty("file", out var file):
                    var data = Str(file, "file_data");
                    var parsed = data is null ? null : ImagePart.FromUrl(data);
                    yield return new DocumentPart(null, parsed?.MediaType ?? "application/pdf", parsed?.Data, Str(file, "filename"));
                    break;
            }
        }
    }

    private static ClientError Invalid(string param, string message) =>
        new(400, ErrorCategory.InvalidRequest, message, param, "invalid_value");

    internal static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    internal static int? Int(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) ? i : null;

    internal static double? Num(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    internal static bool? Bool(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : null;
}
