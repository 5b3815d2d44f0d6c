using System.Text.Json;
using Switchyard.Canonical;
using static Switchyard.Providers.OpenAI.OpenAIChatRequestReader;

namespace Switchyard.Providers.OpenAI.Responses;

/// <summary>
/// OpenAI Responses request JSON → canonical <see cref="ChatRequest"/>. Input items become messages:
/// system/developer messages join the system prompt, <c>function_call</c> items become assistant tool calls
/// and <c>function_call_output</c> items user tool results. A conversation turn bound by the Conversations
/// stage supplies what the request continues: the stored conversation of <c>previous_response_id</c> comes
/// first, and each <c>item_reference</c> is replaced by the stored item it names. What depends on OpenAI-side
/// state (stored files, hosted tools) is refused with the field named, never dropped.
/// </summary>
public static class ResponsesRequestReader
{
    /// <summary>Reads <paramref name="root"/>; returns an error naming the field for anything malformed.</summary>
    /// <param name="root">The request body.</param>
    /// <param name="request">The canonical request.</param>
    /// <param name="turn">
    /// The request's conversation turn, if the gateway keeps state for it: its history and referenced items are
    /// read from it, and, when the answer is to be kept, the request's own input items are added to it as kept.
    /// </param>
    public static ClientError? Read(JsonElement root, out ChatRequest request, ConversationTurn? turn = null)
    {
        request = new ChatRequest { Model = Str(root, "model") ?? "" };
        if (Str(root, "instructions") is { Length: > 0 } instructions)
        {
            request.System.Add(new TextPart(instructions));
        }

        if (turn is not null && ReadHistory(turn, request) is { } unreadable)
        {
            return unreadable;
        }

        if (!root.TryGetProperty("input", out var input))
        {
            return Invalid("input", "Missing required parameter: 'input'.");
        }

        if (input.ValueKind == JsonValueKind.String)
        {
            var m = new Message(Role.User);
            m.Content.Add(new TextPart(input.GetString()!));
            request.Messages.Add(m);
            if (turn is { Store: true })
            {
                turn.Input.Add(ResponsesStoredItems.UserText(input.GetString()!, turn.ResponseId));
            }
        }
        else if (input.ValueKind == JsonValueKind.Array)
        {
            if (ReadInput(input, request, turn) is { } error)
            {
                return error;
            }
        }
        else
        {
            return Invalid("input", "Invalid type for 'input': expected a string or an array.");
        }

        return ReadTools(root, request) ?? ReadToolChoice(root, request) ?? ReadOptions(root, request);
    }

    /// <summary>The conversation the request continues, before its own input.</summary>
    private static ClientError? ReadHistory(ConversationTurn turn, ChatRequest request)
    {
        foreach (var stored in turn.History)
        {
            using var doc = JsonDocument.Parse(stored.Json);
            if (ResponsesInputItems.Read(doc.RootElement, request, "previous_response_id") is { } error)
            {
                return error;
            }
        }

        return null;
    }

    private static ClientError? ReadInput(JsonElement input, ChatRequest request, ConversationTurn? turn)
    {
        var i = 0;
        foreach (var item in input.EnumerateArray())
        {
            var path = $"input[{i}]";
            if (item.ValueKind == JsonValueKind.Object && Str(item, "type") == "item_reference")
            {
                var id = Str(item, "id") ?? "";
                if (turn is null || !turn.Referenced.TryGetValue(id, out var stored))
                {
                    // The Conversations stage resolves every reference before routing; only a format used on
                    // its own, without the gateway's store, gets here.
                    return new ClientError(404, ErrorCategory.NotFound, $"Item with id '{id}' not found.", "input", "item_not_found");
                }

                using var doc = JsonDocument.Parse(stored.Json);
                if (ResponsesInputItems.Read(doc.RootElement, request, path) is { } storedError)
                {
                    return storedError;
                }

                Note(turn, stored);
            }
            else if (ResponsesInputItems.Read(item, request, path) is { } error)
            {
                return error;
            }
            else if (turn is { Store: true })
            {
                Note(turn, ResponsesStoredItems.Input(item, turn.ResponseId, i));
            }

            i++;
        }

        return null;
    }

    /// <summary>Adds an input item to what is kept with the answer (nothing when the answer is not kept).</summary>
    private static void Note(ConversationTurn turn, StoredItem item)
    {
        if (turn.Store)
        {
            turn.Input.Add(item);
        }
    }

    private static ClientError? ReadTools(JsonElement root, ChatRequest request)
    {
        if (!root.TryGetProperty("tools", out var tools) || tools.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        var t = 0;
        foreach (var tool in tools.EnumerateArray())
        {
            var type = Str(tool, "type");
            if (type != "function")
            {
                // Hosted tools (web_search, file_search, code_interpreter, mcp, ...) run inside OpenAI's service;
                // no route through this gateway can execute them.
                return Invalid($"tools[{t}].type", $"Tool type '{type}' is not supported by this gateway: only 'function' tools are.");
            }

            if (Str(tool, "name") is not { Length: > 0 } name)
            {
                return Invalid($"tools[{t}].name", "Each function tool needs a 'name'.");
            }

            request.Tools.Add(new ToolDefinition(name, Str(tool, "description"),
                tool.TryGetProperty("parameters", out var p) && p.ValueKind == JsonValueKind.Object ? p.Clone() : null,
                Bool(tool, "strict")));
            t++;
        }

        return null;
    }

    private static ClientError? ReadToolChoice(JsonElement root, ChatRequest request)
    {
        if (!root.TryGetProperty("tool_choice", out var tc) || tc.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        request.ToolChoice = tc.ValueKind switch
        {
            JsonValueKind.String => tc.GetString() switch
            {
                "none" => new ToolChoice(ToolChoiceKind.None),
                "required" => new ToolChoice(ToolChoiceKind.Required),
                "auto" => new ToolChoice(ToolChoiceKind.Auto),
                _ => null,
            },
            JsonValueKind.Object when Str(tc, "type") == "function" && Str(tc, "name") is { Length: > 0 } name =>
                new ToolChoice(ToolChoiceKind.Function, name),
            _ => null,
        };
        return request.ToolChoice is null
            ? Invalid("tool_choice", "Invalid 'tool_choice': expected 'auto', 'none', 'required' or {\"type\": \"function\", \"name\": ...}.")
            : null;
    }

    private static ClientError? ReadOptions(JsonElement root, ChatRequest request)
    {
        request.ParallelToolCalls = Bool(root, "parallel_tool_calls");
        request.MaxTokens = Int(root, "max_output_tokens");
        request.Temperature = Num(root, "temperature");
        request.TopP = Num(root, "top_p");
        request.Stream = Bool(root, "stream") == true;

        // response.completed carries usage, so a translated stream always asks the upstream for it.
        request.StreamUsage = request.Stream;
        request.User = Str(root, "user") ?? Str(root, "safety_identifier");

        if (root.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.Object
            && text.TryGetProperty("format", out var format) && format.ValueKind == JsonValueKind.Object)
        {
            request.ResponseFormat = Str(format, "type") switch
            {
                "text" => new ResponseFormat(ResponseFormatKind.Text),
                "json_object" => new ResponseFormat(ResponseFormatKind.JsonObject),
                "json_schema" => new ResponseFormat(ResponseFormatKind.JsonSchema, Str(format, "name"),
                    format.TryGetProperty("schema", out var schema) && schema.ValueKind == JsonValueKind.Object ? schema.Clone() : null,
                    Bool(format, "strict")),
                _ => null,
            };
            if (request.ResponseFormat is null)
            {
                return Invalid("text.format.type", $"Invalid 'text.format.type': '{Str(format, "type")}'. Supported: text, json_object, json_schema.");
            }

            if (request.ResponseFormat.Kind == ResponseFormatKind.JsonSchema && request.ResponseFormat.Schema is null)
            {
                return Invalid("text.format.schema", "A 'json_schema' text format needs a 'schema' object.");
            }
        }

        // Only an effort maps: a bare summary request would turn into a reasoning_effort that a
        // non-reasoning upstream model rejects.
        if (root.TryGetProperty("reasoning", out var reasoning) && Str(reasoning, "effort") is { } effort)
        {
            request.Reasoning = new ReasoningConfig(effort, null);
        }

        return null;
    }

    internal static ClientError Invalid(string param, string message) =>
        new(400, ErrorCategory.InvalidRequest, message, param, "invalid_value");
}
