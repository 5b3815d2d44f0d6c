using System.Text.Json;
using Switchyard.Canonical;

namespace Switchyard.Providers.Bedrock;

/// <summary>
/// Canonical <see cref="ChatRequest"/> → Bedrock Converse / ConverseStream request JSON (the model id travels
/// in the URL, not the body). Pure. What Converse cannot express is refused with
/// <see cref="UnsupportedFeatureException"/>, or dropped and listed when the route allows it; hints with no
/// Converse equivalent (end-user id, cache breakpoints on models without cache points, foreign thinking) are
/// always dropped and listed, as the OpenAI writer does.
/// </summary>
public static class BedrockRequestWriter
{
    /// <summary>Answer tokens granted beyond a thinking budget when the client set no <c>max_tokens</c>
    /// (Claude requires <c>max_tokens</c> &gt; <c>budget_tokens</c>).</summary>
    public const int AnswerTokensBeyondBudget = 4096;

    /// <summary>Claude's smallest thinking budget.</summary>
    public const int MinimumThinkingBudget = 1024;

    /// <summary>Writes the request body for a model with <paramref name="model"/> traits.</summary>
    public static void Write(Utf8JsonWriter w, ChatRequest r, BedrockModelTraits model, bool allowDrop, List<string> dropped)
    {
        var refusals = new Refusals(allowDrop, dropped);
        CheckUnexpressible(r, model, refusals);
        var budget = ThinkingBudget(r, model, refusals);
        var jsonOutput = JsonOutputSchema(r, model, budget, refusals);

        w.WriteStartObject();
        BedrockContentWriter.WriteMessages(w, r.Messages, model, refusals);
        if (r.System.Count > 0)
        {
            BedrockContentWriter.WriteSystem(w, r.System, model, refusals);
        }

        WriteInferenceConfig(w, r, budget);
        if (jsonOutput is not null)
        {
            WriteForcedOutputTool(w, jsonOutput);
        }
        else
        {
            WriteToolConfig(w, r, model, refusals);
        }

        WriteAdditionalFields(w, r, model, budget);
        w.WriteEndObject();
    }

    /// <summary>Fields Converse has no place for, checked before anything is written.</summary>
    private static void CheckUnexpressible(ChatRequest r, BedrockModelTraits model, Refusals refusals)
    {
        if (r.N is > 1)
        {
            refusals.Refuse("n", "Bedrock Converse returns a single choice");
        }

        if (r.ResponseFormat is { Kind: not ResponseFormatKind.Text } && r.Tools.Count > 0)
        {
            // JSON output goes through a forced tool (below), which cannot sit beside the request's own tools.
            refusals.Refuse("response_format", "Bedrock Converse takes JSON output only through a forced tool, which cannot go with the request's own tools");
        }

        if (r.PresencePenalty is not null)
        {
            refusals.Refuse("presence_penalty", "Bedrock Converse has no presence penalty");
        }

        if (r.FrequencyPenalty is not null)
        {
            refusals.Refuse("frequency_penalty", "Bedrock Converse has no frequency penalty");
        }

        if (r.Seed is not null)
        {
            refusals.Refuse("seed", "Bedrock Converse has no sampling seed");
        }

        if (r.ParallelToolCalls == false && r.Tools.Count > 0)
        {
            refusals.Refuse("parallel_tool_calls", "Bedrock Converse cannot forbid parallel tool calls");
        }

        if (r.TopK is not null && !model.Anthropic && !model.Nova)
        {
            refusals.Refuse("top_k", "this Bedrock model takes no top_k through Converse (only Anthropic Claude and Amazon Nova do)");
        }

        if (r.User is not null)
        {
            refusals.Hint("user"); // an abuse-monitoring hint; Converse has no end-user field
        }
    }

    /// <summary>
    /// The Claude thinking budget, or null for no thinking. An effort level becomes a budget
    /// (<see cref="ReasoningConfig.BudgetOr"/>); a budget that does not fit under the client's max_tokens is
    /// shrunk to fit, and refused when not even Claude's minimum fits.
    /// </summary>
    private static int? ThinkingBudget(ChatRequest r, BedrockModelTraits model, Refusals refusals)
    {
        if (r.Reasoning is not { } reasoning || reasoning.Effort == "none" || reasoning.BudgetTokens == 0)
        {
            return null;
        }

        if (!model.Anthropic)
        {
            refusals.Refuse("reasoning", "only Anthropic Claude models take a thinking budget through Bedrock Converse");
            return null;
        }

        var budget = Math.Max(MinimumThinkingBudget, reasoning.BudgetOr(r.MaxTokens ?? 0));
        if (r.MaxTokens is { } max)
        {
            budget = Math.Min(budget, max - 1);
            if (budget < MinimumThinkingBudget)
            {
                refusals.Refuse("reasoning", $"max_tokens {max} leaves no room for Claude's minimum thinking budget of {MinimumThinkingBudget} tokens");
                return null;
            }
        }

        return budget;
    }

    private static void WriteInferenceConfig(Utf8JsonWriter w, ChatRequest r, int? budget)
    {
        var maxTokens = r.MaxTokens ?? (budget is { } b ? b + AnswerTokensBeyondBudget : null);
        if (maxTokens is null && r.Temperature is null && r.TopP is null && r.Stop.Count == 0)
        {
            return;
        }

        w.WriteStartObject("inferenceConfig");
        if (maxTokens is { } max)
        {
            w.WriteNumber("maxTokens", max);
        }

        if (r.Temperature is { } temperature)
        {
            w.WriteNumber("temperature", temperature);
        }

        if (r.TopP is { } topP)
        {
            w.WriteNumber("topP", topP);
        }

        if (r.Stop.Count > 0)
        {
            w.WriteStartArray("stopSequences");
            r.Stop.ForEach(w.WriteStringValue);
            w.WriteEndArray();
        }

        w.WriteEndObject();
    }

    /// <summary>
    /// Converse has no output-format field: JSON output (OpenAI <c>response_format</c>, Responses <c>text.format</c>,
    /// Gemini <c>responseSchema</c>) becomes a tool whose input schema is the output schema, forced with
    /// <c>toolChoice.tool</c>; the reader turns its input back into the answer's text. Not with thinking (Claude
    /// refuses a forced tool while thinking) and not beside the request's own tools (refused above).
    /// </summary>
    private static System.Text.Json.Nodes.JsonNode? JsonOutputSchema(ChatRequest r, BedrockModelTraits model, int? thinkingBudget, Refusals refusals)
    {
        if (r.ResponseFormat is not { Kind: not ResponseFormatKind.Text } format || r.Tools.Count > 0)
        {
            return null;
        }

        if (!model.Anthropic && !model.Nova)
        {
            // Converse forces a named tool only on Claude and Nova; Llama and the rest take "auto" alone.
            refusals.Refuse("response_format", "this Bedrock model cannot be forced to a tool, which is how Converse takes JSON output");
            return null;
        }

        if (thinkingBudget is not null)
        {
            refusals.Refuse("response_format", "Bedrock takes JSON output through a forced tool, which Claude refuses while thinking");
            return null;
        }

        return format.Schema is { } schema
            ? System.Text.Json.Nodes.JsonNode.Parse(schema.GetRawText())
            : new System.Text.Json.Nodes.JsonObject { ["type"] = "object" };
    }

    private static void WriteForcedOutputTool(Utf8JsonWriter w, System.Text.Json.Nodes.JsonNode schema)
    {
        w.WriteStartObject("toolConfig");
        w.WriteStartArray("tools");
        w.WriteStartObject();
        w.WriteStartObject("toolSpec");
        w.WriteString("name", BedrockResponseReader.OutputTool);
        w.WriteString("description", "Give the final answer as this tool's input, which must follow the schema exactly.");
        w.WriteStartObject("inputSchema");
        w.WritePropertyName("json");
        schema.WriteTo(w);
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteStartObject("toolChoice");
        w.WriteStartObject("tool");
        w.WriteString("name", BedrockResponseReader.OutputTool);
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void WriteToolConfig(Utf8JsonWriter w, ChatRequest r, BedrockModelTraits model, Refusals refusals)
    {
        if (r.Tools.Count == 0)
        {
            return;
        }

        // Converse's toolChoice has no "none": leaving the tools out says it exactly — unless the conversation
        // already holds tool calls, for which Converse requires the tools to stay declared.
        var historyHasTools = r.Messages.Any(m => m.Content.Any(p => p is ToolCallPart or ToolResultPart));
        if (r.ToolChoice is { Kind: ToolChoiceKind.None })
        {
            if (!historyHasTools)
            {
                return;
            }

            refusals.Refuse("tool_choice", "Bedrock Converse has no 'none' tool choice while the conversation holds tool calls");
        }

        w.WriteStartObject("toolConfig");
        w.WriteStartArray("tools");
        foreach (var tool in r.Tools)
        {
            WriteTool(w, tool, model, refusals);
        }

        w.WriteEndArray();
        WriteToolChoice(w, r.ToolChoice);
        w.WriteEndObject();
    }

    private static void WriteTool(Utf8JsonWriter w, ToolDefinition tool, BedrockModelTraits model, Refusals refusals)
    {
        w.WriteStartObject();
        w.WriteStartObject("toolSpec");
        w.WriteString("name", tool.Name);
        if (tool.Description is { Length: > 0 } description)
        {
            w.WriteString("description", description);
        }

        w.WriteStartObject("inputSchema");
        w.WritePropertyName("json");
        if (tool.Parameters is { ValueKind: JsonValueKind.Object } schema)
        {
            schema.WriteTo(w);
        }
        else
        {
            // Converse requires a schema; a function without parameters takes an empty object.
            w.WriteStartObject();
            w.WriteString("type", "object");
            w.WriteStartObject("properties");
            w.WriteEndObject();
            w.WriteEndObject();
        }

        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndObject();
        if (tool.Strict == true)
        {
            refusals.Hint("strict");
        }

        if (tool.Cache is not null)
        {
            BedrockContentWriter.CachePoint(w, model, refusals);
        }
    }

    /// <summary>Converse's <c>toolChoice</c>: auto, any or one tool; absent for none or no choice.</summary>
    private static void WriteToolChoice(Utf8JsonWriter w, ToolChoice? choice)
    {
        switch (choice?.Kind)
        {
            case ToolChoiceKind.Auto:
                w.WriteStartObject("toolChoice");
                w.WriteStartObject("auto");
                w.WriteEndObject();
                w.WriteEndObject();
                break;
            case ToolChoiceKind.Required:
                w.WriteStartObject("toolChoice");
                w.WriteStartObject("any");
                w.WriteEndObject();
                w.WriteEndObject();
                break;
            case ToolChoiceKind.Function:
                w.WriteStartObject("toolChoice");
                w.WriteStartObject("tool");
                w.WriteString("name", choice.FunctionName);
                w.WriteEndObject();
                w.WriteEndObject();
                break;
        }
    }

    /// <summary>Model-specific fields Converse passes through untouched: Claude's thinking and top_k, Nova's topK.</summary>
    private static void WriteAdditionalFields(Utf8JsonWriter w, ChatRequest r, BedrockModelTraits model, int? budget)
    {
        var topK = model.Anthropic || model.Nova ? r.TopK : null;
        if (budget is null && topK is null)
        {
            return;
        }

        w.WriteStartObject("additionalModelRequestFields");
        if (budget is { } b)
        {
            w.WriteStartObject("thinking");
            w.WriteString("type", "enabled");
            w.WriteNumber("budget_tokens", b);
            w.WriteEndObject();
        }

        if (topK is { } k)
        {
            if (model.Anthropic)
            {
                w.WriteNumber("top_k", k);
            }
            else
            {
                w.WriteStartObject("inferenceConfig");
                w.WriteNumber("topK", k);
                w.WriteEndObject();
            }
        }

        w.WriteEndObject();
    }
}

/// <summary>Refuse-or-drop bookkeeping for one request.</summary>
internal sealed class Refusals(bool allowDrop, List<string> dropped)
{
    /// <summary>Whether refused fields may be dropped instead.</summary>
    public bool AllowDrop => allowDrop;

    /// <summary>Throws for <paramref name="field"/>, or records it as dropped when the route allows dropping.</summary>
    public void Refuse(string field, string reason)
    {
        if (!allowDrop)
        {
            throw new UnsupportedFeatureException(field, reason);
        }

        Hint(field);
    }

    /// <summary>Records a field dropped without refusal (a hint with no equivalent).</summary>
    public void Hint(string field)
    {
        if (!dropped.Contains(field))
        {
            dropped.Add(field);
        }
    }
}
