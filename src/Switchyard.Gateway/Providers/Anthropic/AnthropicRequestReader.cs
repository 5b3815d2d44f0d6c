using System.Text;
using System.Text.Json;
using Switchyard.Canonical;
using static Switchyard.Providers.Anthropic.AnthropicJson;

namespace Switchyard.Providers.Anthropic;

/// <summary>
/// Anthropic Messages request JSON → canonical <see cref="ChatRequest"/> (the translated path: an Anthropic
/// client routed to another provider). Anything the canonical model cannot carry (server tools, MCP servers,
/// containers, unknown block types) is refused with a 400 naming it, never silently lost.
/// </summary>
public static class AnthropicRequestReader
{
    /// <summary>Reads <paramref name="root"/>; returns an error naming the field for anything malformed or untranslatable.</summary>
    public static ClientError? Read(JsonElement root, out ChatRequest request)
    {
        request = new ChatRequest { Model = Str(root, "model") ?? "" };
        foreach (var field in (ReadOnlySpan<string>)["mcp_servers", "container", "context_management"])
        {
            if (root.TryGetProperty(field, out var v) && v.ValueKind != JsonValueKind.Null)
            {
                return Invalid(field, $"{field}: not supported when this model is served by a non-Anthropic provider");
            }
        }

        if (root.TryGetProperty("system", out var system))
        {
            if (system.ValueKind == JsonValueKind.String)
            {
                request.System.Add(new TextPart(system.GetString()!));
            }
            else if (system.ValueKind == JsonValueKind.Array && Blocks(system, "system", request.System, BlockScope.System) is { } e)
            {
                return e;
            }
        }

        if (!TryGet(root, "messages", JsonValueKind.Array, out var messages))
        {
            return Invalid("messages", "messages: Field required");
        }

        var i = 0;
        foreach (var msg in messages.EnumerateArray())
        {
            var path = $"messages.{i++}";
            if (ReadMessage(msg, path, request) is { } messageError)
            {
                return messageError;
            }
        }

        if (ReadTools(root, request) is { } toolError)
        {
            return toolError;
        }

        return ReadSettings(root, request);
    }

    /// <summary>One entry of <c>messages</c>: a user or assistant turn, or a system turn joining the system prompt.</summary>
    private static ClientError? ReadMessage(JsonElement msg, string path, ChatRequest request)
    {
        var roleName = Str(msg, "role");
        if (roleName == "system")
        {
            // Newer API versions accept system turns inside messages; the canonical request has one system
            // prompt, so they join it (their position in the conversation is not kept).
            return SystemTurn(msg, path, request);
        }

        var role = roleName switch
        {
            "user" => Role.User,
            "assistant" => Role.Assistant,
            _ => (Role?)null,
        };
        if (role is null)
        {
            return Invalid(path + ".role", $"{path}.role: Input should be 'user', 'assistant' or 'system'");
        }

        var m = new Message(role.Value);
        if (!msg.TryGetProperty("content", out var content))
        {
            return Invalid(path + ".content", $"{path}.content: Field required");
        }

        if (content.ValueKind == JsonValueKind.String)
        {
            m.Content.Add(new TextPart(content.GetString()!));
        }
        else if (content.ValueKind != JsonValueKind.Array)
        {
            return Invalid(path + ".content", $"{path}.content: Input should be a valid string or list of content blocks");
        }
        else if (Blocks(content, path + ".content", m.Content, role == Role.User ? BlockScope.User : BlockScope.Assistant) is { } e)
        {
            return e;
        }

        request.Messages.Add(m);
        return null;
    }

    private static ClientError? SystemTurn(JsonElement msg, string path, ChatRequest request)
    {
        msg.TryGetProperty("content", out var content);
        if (content.ValueKind == JsonValueKind.String)
        {
            request.System.Add(new TextPart(content.GetString()!));
            return null;
        }

        return content.ValueKind == JsonValueKind.Array
            ? Blocks(content, path + ".content", request.System, BlockScope.System)
            : Invalid(path + ".content", $"{path}.content: Input should be a valid string or list of text blocks");
    }

    private enum BlockScope
    {
        System,
        User,
        Assistant,
        ToolResult,
    }

    private static ClientError? Blocks(JsonElement array, string path, List<ContentPart> into, BlockScope scope)
    {
        var i = 0;
        foreach (var block in array.EnumerateArray())
        {
            var at = $"{path}.{i++}";
            var type = Str(block, "type");
            var cache = ReadCache(block);
            ContentPart? part;
            if (type == "tool_result" && scope == BlockScope.User)
            {
                part = ToolResult(block, at, out var error);
                if (error is not null)
                {
                    return error;
                }
            }
            else
            {
                part = (type, scope) switch
                {
                    ("text", _) => Str(block, "text") is { } text ? new TextPart(text) : null,
                    ("image", not BlockScope.System) => Image(block),
                    ("document", BlockScope.User or BlockScope.ToolResult) => Document(block),
                    ("tool_use", BlockScope.Assistant) => ToolUse(block),
                    ("thinking", BlockScope.Assistant) => new ThinkingPart(Str(block, "thinking") ?? "", Str(block, "signature")),
                    ("redacted_thinking", BlockScope.Assistant) => new ThinkingPart("", null, Str(block, "data") ?? ""),
                    _ => null,
                };
            }

            if (part is null)
            {
                return Invalid($"{at}.type", type is null
                    ? $"{at}.type: Field required"
                    : $"{at}: content block type '{type}' is not supported here when this model is served by a non-Anthropic provider");
            }

            into.Add(cache is null ? part : part with { Cache = cache });
        }

        return null;
    }

    private static ImagePart? Image(JsonElement block)
    {
        if (!TryGet(block, "source", JsonValueKind.Object, out var source))
        {
            return null;
        }

        return Str(source, "type") switch
        {
            "base64" => new ImagePart(null, Str(source, "media_type"), Str(source, "data") ?? ""),
            "url" when Str(source, "url") is { } url => new ImagePart(url, null, null),
            _ => null,
        };
    }

    /// <summary>PDFs (base64 or URL) and plain-text documents; text is carried base64-encoded as <c>text/plain</c>
    /// so <see cref="DocumentPart"/> keeps one meaning for <c>Data</c>.</summary>
    private static DocumentPart? Document(JsonElement block)
    {
        if (!TryGet(block, "source", JsonValueKind.Object, out var source))
        {
            return null;
        }

        var title = Str(block, "title");
        return Str(source, "type") switch
        {
            "base64" => new DocumentPart(null, Str(source, "media_type") ?? "application/pdf", Str(source, "data") ?? "", title),
            "text" => new DocumentPart(null, Str(source, "media_type") ?? "text/plain",
                Convert.ToBase64String(Encoding.UTF8.GetBytes(Str(source, "data") ?? "")), title),
            "url" when Str(source, "url") is { } url => new DocumentPart(url, "application/pdf", null, title),
            _ => null,
        };
    }

    private static ToolCallPart? ToolUse(JsonElement block) =>
        Str(block, "id") is { } id && Str(block, "name") is { } name
            ? new ToolCallPart(id, name, block.TryGetProperty("input", out var input) && input.ValueKind == JsonValueKind.Object ? Compact(input) : "{}")
            : null;

    private static ToolResultPart? ToolResult(JsonElement block, string path, out ClientError? error)
    {
        error = null;
        if (Str(block, "tool_use_id") is not { } id)
        {
            return null;
        }

        var content = new List<ContentPart>();
        if (block.TryGetProperty("content", out var c))
        {
            if (c.ValueKind == JsonValueKind.String)
            {
                content.Add(new TextPart(c.GetString()!));
            }
            else if (c.ValueKind == JsonValueKind.Array)
            {
                error = Blocks(c, path + ".content", content, BlockScope.ToolResult);
                if (error is not null)
                {
                    return null;
                }
            }
        }

        return new ToolResultPart(id, content, block.TryGetProperty("is_error", out var ie) && ie.ValueKind == JsonValueKind.True);
    }

    private static ClientError? ReadTools(JsonElement root, ChatRequest request)
    {
        if (TryGet(root, "tools", JsonValueKind.Array, out var tools))
        {
            var i = 0;
            foreach (var tool in tools.EnumerateArray())
            {
                var at = $"tools.{i++}";
                if (Str(tool, "type") is { } type && type != "custom")
                {
                    return Invalid(at + ".type", $"{at}: server tool '{type}' is not supported when this model is served by a non-Anthropic provider");
                }

                if (Str(tool, "name") is not { } name)
                {
                    return Invalid(at + ".name", $"{at}.name: Field required");
                }

                request.Tools.Add(new ToolDefinition(name, Str(tool, "description"),
                    TryGet(tool, "input_schema", JsonValueKind.Object, out var schema) ? schema.Clone() : null,
                    tool.TryGetProperty("strict", out var strict) && strict.ValueKind is JsonValueKind.True or JsonValueKind.False ? strict.GetBoolean() : null)
                {
                    Cache = ReadCache(tool),
                });
            }
        }

        if (TryGet(root, "tool_choice", JsonValueKind.Object, out var tc))
        {
            request.ToolChoice = Str(tc, "type") switch
            {
                "any" => new ToolChoice(ToolChoiceKind.Required),
                "tool" => new ToolChoice(ToolChoiceKind.Function, Str(tc, "name")),
                "none" => new ToolChoice(ToolChoiceKind.None),
                _ => new ToolChoice(ToolChoiceKind.Auto),
            };
            if (tc.TryGetProperty("disable_parallel_tool_use", out var dp) && dp.ValueKind == JsonValueKind.True)
            {
                request.ParallelToolCalls = false;
            }
        }

        return null;
    }

    private static ClientError? ReadSettings(JsonElement root, ChatRequest request)
    {
        if (root.TryGetProperty("max_tokens", out var max) && max.TryGetInt32(out var maxTokens))
        {
            if (maxTokens == 0)
            {
                return Invalid("max_tokens", "max_tokens: 0 (cache pre-warming) needs an Anthropic deployment; this model is served by another provider");
            }

            request.MaxTokens = maxTokens;
        }

        request.Temperature = Num(root, "temperature");
        request.TopP = Num(root, "top_p");
        request.TopK = root.TryGetProperty("top_k", out var k) && k.TryGetInt32(out var kv) ? kv : null;
        request.Stream = root.TryGetProperty("stream", out var s) && s.ValueKind == JsonValueKind.True;
        request.StreamUsage = true; // Anthropic streams always report usage
        if (TryGet(root, "stop_sequences", JsonValueKind.Array, out var stops))
        {
            request.Stop.AddRange(stops.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!));
        }

        if (TryGet(root, "metadata", JsonValueKind.Object, out var metadata))
        {
            request.User = Str(metadata, "user_id");
        }

        // Manual thinking carries a budget; adaptive thinking lets the model decide, steered by output_config.effort.
        TryGet(root, "output_config", JsonValueKind.Object, out var output);
        var effort = Str(output, "effort");
        if (TryGet(root, "thinking", JsonValueKind.Object, out var thinking))
        {
            request.Reasoning = Str(thinking, "type") switch
            {
                "enabled" => new ReasoningConfig(effort, thinking.TryGetProperty("budget_tokens", out var b) && b.TryGetInt32(out var bv) ? bv : null),
                "adaptive" => new ReasoningConfig(effort ?? "medium", null),
                _ => null,
            };
        }
        else if (effort is not null)
        {
            request.Reasoning = new ReasoningConfig(effort, null, IncludeThoughts: false);
        }

        if (TryGet(output, "format", JsonValueKind.Object, out var format) && Str(format, "type") == "json_schema")
        {
            request.ResponseFormat = new ResponseFormat(ResponseFormatKind.JsonSchema, null,
                TryGet(format, "schema", JsonValueKind.Object, out var schema) ? schema.Clone() : null, true);
        }

        return null;
    }

    private static double? Num(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    internal static ClientError Invalid(string param, string message) => new(400, ErrorCategory.InvalidRequest, message, param, "invalid_value");
}
