using System.Text.Json.Nodes;

namespace Switchyard.Tests.TestKit.Anthropic;

/// <summary>
/// The content rules Anthropic's Messages API enforces per body and per model, as a pure function: a body and
/// its model in, null or the 400 the real API answers out. Used by <see cref="FakeAnthropicUpstream"/> and by
/// Claude on the Vertex fake (same API behind a different door), and its thinking rules by the Bedrock fake.
/// Sources: the Messages API reference (https://docs.anthropic.com/en/api/messages: temperature and top_p ranges),
/// prompt caching (https://docs.anthropic.com/en/docs/build-with-claude/prompt-caching: at most 4 breakpoints),
/// extended thinking (https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking: sampling, forced
/// tools, thinking blocks in tool loops) and <see cref="ClaudeModels"/> for per-model limits. Wording follows the
/// messages the real API returns, as quoted in public bug reports.
/// </summary>
public static class AnthropicModelRules
{
    /// <summary>Where Anthropic's thinking messages send the reader.</summary>
    public const string ThinkingDocs = "https://docs.claude.com/en/docs/build-with-claude/extended-thinking";

    /// <summary>Null when the real API would accept <paramref name="body"/> for <paramref name="model"/>; else its 400.</summary>
    public static ProviderRefusal? Check(JsonObject body, string model)
    {
        var thinking = ThinkingOn(body);
        var temperature = WireValues.Number(body["temperature"]);
        var topP = WireValues.Number(body["top_p"]);
        var message = Range("temperature", temperature) ?? Range("top_p", topP)
            ?? MaxTokens(ClaudeModels.Find(model), model, WireValues.Number(body["max_tokens"]))
            ?? ModelConflict(ClaudeModels.Find(model), model, thinking, temperature is not null, topP is not null)
            ?? CacheBreakpoints(body)
            ?? (thinking ? ThinkingConflict(temperature, body.ContainsKey("top_k"), topP, WireValues.Text((body["tool_choice"] as JsonObject)?["type"])) : null)
            ?? (thinking ? FinalAssistantConflict(Turns(body)) : null);
        return message is null ? null : new ProviderRefusal(400, "invalid_request_error", message);
    }

    /// <summary>
    /// What a model refuses whatever the rest of the body: thinking on a model without extended thinking, and
    /// temperature with top_p on the models that take only one of them. Shared with Bedrock, where Claude says the same.
    /// </summary>
    public static string? ModelConflict(ClaudeModel? model, string modelId, bool thinking, bool temperature, bool topP)
    {
        if (model is null)
        {
            return null;
        }

        if (thinking && !model.Thinking)
        {
            return $"'{ClaudeModels.DisplayId(modelId)}' does not support thinking.";
        }

        return model.ExclusiveSampling && temperature && topP
            ? "`temperature` and `top_p` cannot both be specified for this model. Please use only one."
            : null;
    }

    /// <summary>
    /// The sampling and tool rules of extended thinking ("Thinking isn't compatible with temperature or top_k
    /// modifications as well as forced tool use"; top_p may stay between 0.95 and 1). Shared with Bedrock.
    /// </summary>
    public static string? ThinkingConflict(double? temperature, bool topK, double? topP, string? toolChoice)
    {
        if (temperature is { } t && t != 1)
        {
            return $"`temperature` may only be set to 1 when thinking is enabled. Please consult our documentation at {ThinkingDocs}#important-considerations-when-using-extended-thinking";
        }

        if (topK)
        {
            return $"`top_k` must be unset when thinking is enabled. Please consult our documentation at {ThinkingDocs}#important-considerations-when-using-extended-thinking";
        }

        if (topP is < 0.95)
        {
            return $"`top_p` must be greater than or equal to 0.95 or unset when thinking is enabled. Please consult our documentation at {ThinkingDocs}#important-considerations-when-using-extended-thinking";
        }

        return toolChoice is "any" or "tool" ? "Thinking may not be enabled when tool_choice forces tool use." : null;
    }

    /// <summary>
    /// Thinking in a tool loop: when the conversation ends with tool results, the assistant turn that made the
    /// calls must open with its (signed) thinking block. <paramref name="turns"/> are role and block types in
    /// order, in Anthropic's names (Bedrock maps its own). Shared with Bedrock.
    /// </summary>
    public static string? FinalAssistantConflict(IReadOnlyList<(string Role, IReadOnlyList<string> Types)> turns)
    {
        if (turns.Count == 0 || turns[^1] is not { Role: "user" } last || !last.Types.Contains("tool_result"))
        {
            return null;
        }

        for (var i = turns.Count - 2; i >= 0; i--)
        {
            if (turns[i].Role != "assistant")
            {
                continue;
            }

            var types = turns[i].Types;
            if (!types.Contains("tool_use") || types[0] is "thinking" or "redacted_thinking")
            {
                return null;
            }

            return $"messages.{i}.content.0.type: Expected `thinking` or `redacted_thinking`, but found `{types[0]}`. When `thinking` is enabled, a final `assistant` message must start with a thinking block (preceeding the lastmost set of `tool_use` and `tool_result` blocks). We recommend you include thinking blocks from previous turns. To avoid this requirement, disable `thinking`. Please consult our documentation at {ThinkingDocs}";
        }

        return null;
    }

    private static bool ThinkingOn(JsonObject body) => WireValues.Text((body["thinking"] as JsonObject)?["type"]) is "enabled" or "adaptive";

    private static string? Range(string field, double? value) => value switch
    {
        < 0 => $"{field}: Input should be greater than or equal to 0",
        > 1 => $"{field}: Input should be less than or equal to 1",
        _ => null,
    };

    private static string? MaxTokens(ClaudeModel? model, string modelId, double? maxTokens) =>
        model?.MaxOutput is { } max && maxTokens > max
            ? $"max_tokens: {WireValues.Show(maxTokens.Value)} > {max}, which is the maximum allowed number of output tokens for {ClaudeModels.DisplayId(modelId)}"
            : null;

    /// <summary>Blocks carrying <c>cache_control</c> anywhere Anthropic takes one: tools, system blocks, message
    /// content blocks and the content of tool results. The API allows four.</summary>
    private static string? CacheBreakpoints(JsonObject body)
    {
        static int Count(JsonNode? node) => node is JsonArray blocks
            ? blocks.Sum(b => b is JsonObject o ? (o.ContainsKey("cache_control") ? 1 : 0) + Count(o["content"]) : 0)
            : 0;

        var found = Count(body["tools"]) + Count(body["system"])
            + ((body["messages"] as JsonArray) ?? []).Sum(m => Count((m as JsonObject)?["content"]));
        return found > 4 ? $"A maximum of 4 blocks with cache_control may be provided. Found {found}." : null;
    }

    private static List<(string Role, IReadOnlyList<string> Types)> Turns(JsonObject body) =>
        ((body["messages"] as JsonArray) ?? []).Select(m =>
        {
            IReadOnlyList<string> types = (m as JsonObject)?["content"] is JsonArray blocks
                ? blocks.Select(b => b is JsonObject o ? WireValues.Text(o["type"]) ?? "" : "").ToList()
                : ["text"]; // a string content is one text block
            return (m is JsonObject o ? WireValues.Text(o["role"]) ?? "" : "", types);
        }).ToList();
}
