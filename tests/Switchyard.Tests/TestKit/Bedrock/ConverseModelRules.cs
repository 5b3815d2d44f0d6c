using System.Text.Json.Nodes;
using Switchyard.Tests.TestKit.Anthropic;

namespace Switchyard.Tests.TestKit.Bedrock;

/// <summary>
/// The rules Bedrock's Converse API applies per model, as a pure function: a Converse body and the model id of
/// the URL (percent-decoded; maybe <c>us.</c>/<c>eu.</c>/<c>global.</c>-prefixed or an inference-profile ARN) in,
/// null or the 400 <c>ValidationException</c> out. Sources:
/// <list type="bullet">
/// <item>InferenceConfiguration (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_InferenceConfiguration.html):
/// temperature and topP 0–1, refused by the API's own validation whatever the model.</item>
/// <item>Prompt caching (https://docs.aws.amazon.com/bedrock/latest/userguide/prompt-caching.html): which models
/// take <c>cachePoint</c>, at most 4 checkpoints, and Nova's cacheable fields (system and messages, not tools).</item>
/// <item>Claude's extended thinking on Bedrock (https://docs.aws.amazon.com/bedrock/latest/userguide/claude-messages-extended-thinking.html):
/// the Anthropic rules, carried in <c>additionalModelRequestFields</c> and answered as "The model returned the
/// following errors: …" (see <see cref="AnthropicModelRules"/>).</item>
/// </list>
/// </summary>
public static class ConverseModelRules
{
    private const string ModelSays = "The model returned the following errors: ";

    /// <summary>Null when Bedrock would accept <paramref name="body"/> for <paramref name="modelId"/>; else its 400.</summary>
    public static ProviderRefusal? Check(JsonObject body, string modelId)
    {
        var bare = modelId[(modelId.LastIndexOf('/') + 1)..];
        var claude = bare.Contains("anthropic.claude", StringComparison.Ordinal);
        var nova = bare.Contains("amazon.nova", StringComparison.Ordinal);
        var message = InferenceRange(body, "temperature") ?? InferenceRange(body, "topP")
            ?? CachePoints(body, claude ? ClaudeModels.Find(bare) : null, claude, nova)
            ?? (claude ? Claude(body, bare, ClaudeModels.Find(bare)) : null);
        return message is null ? null : new ProviderRefusal(400, "ValidationException", message);
    }

    /// <summary>AWS's own field validation, in its Coral wording.</summary>
    private static string? InferenceRange(JsonObject body, string field)
    {
        var value = WireValues.Number((body["inferenceConfig"] as JsonObject)?[field]);
        var bound = value switch { < 0 => "greater than or equal to 0", > 1 => "less than or equal to 1", _ => null };
        return bound is null ? null
            : $"1 validation error detected: Value '{WireValues.Show(value!.Value)}' at 'inferenceConfig.{field}' failed to satisfy constraint: Member must have value {bound}";
    }

    /// <summary>Cache checkpoints: only on models in AWS's table, only where the model takes them, four at most.</summary>
    private static string? CachePoints(JsonObject body, ClaudeModel? model, bool claude, bool nova)
    {
        static List<JsonNode?> Blocks(JsonNode? node) => node is JsonArray a ? [.. a] : [];
        static bool IsPoint(JsonNode? block) => block is JsonObject o && o.ContainsKey("cachePoint");

        var tools = Blocks((body["toolConfig"] as JsonObject)?["tools"]);
        var count = Blocks(body["system"]).Count(IsPoint) + tools.Count(IsPoint)
            + Blocks(body["messages"]).Sum(m => Blocks((m as JsonObject)?["content"]).Count(IsPoint));
        if (count == 0)
        {
            return null;
        }

        // An unknown Claude id is given the benefit of the doubt; a known one must be in the table.
        if (!nova && !(claude && (model is null || model.BedrockCaching)))
        {
            return "You invoked an unsupported model or your request did not allow prompt caching. See the documentation for more information.";
        }

        if (nova && tools.FindIndex(IsPoint) is var at and >= 0)
        {
            return $"Malformed input request: #/toolConfig/tools/{at}: extraneous key [cachePoint] is not permitted, please reformat your input and try again.";
        }

        if (count <= 4)
        {
            return null;
        }

        return claude
            ? $"{ModelSays}A maximum of 4 blocks with cache_control may be provided. Found {count}."
            : $"Malformed input request: {count} cache points were provided, but at most 4 are permitted, please reformat your input and try again.";
    }

    /// <summary>Claude's own rules, seen through Converse: output limit, thinking support, sampling, tool loops.</summary>
    private static string? Claude(JsonObject body, string modelId, ClaudeModel? model)
    {
        var inference = body["inferenceConfig"] as JsonObject;
        var additional = body["additionalModelRequestFields"] as JsonObject;
        var temperature = WireValues.Number(inference?["temperature"]);
        var topP = WireValues.Number(inference?["topP"]);
        var thinking = WireValues.Text((additional?["thinking"] as JsonObject)?["type"]) is "enabled" or "adaptive";
        if (model?.MaxOutput is { } max && WireValues.Number(inference?["maxTokens"]) > max)
        {
            return $"The maximum tokens you requested exceeds the model limit of {max}. Try again with a maximum tokens value that is lower than {max}.";
        }

        var conflict = AnthropicModelRules.ModelConflict(model, modelId, thinking, temperature is not null, topP is not null)
            ?? (thinking ? AnthropicModelRules.ThinkingConflict(temperature, additional!.ContainsKey("top_k"), topP, ToolChoice(body)) : null)
            ?? (thinking ? AnthropicModelRules.FinalAssistantConflict(Turns(body)) : null);
        return conflict is null ? null : ModelSays + conflict;
    }

    /// <summary>Converse's <c>toolChoice</c> (<c>{"any":{}}</c>, <c>{"tool":{…}}</c>, <c>{"auto":{}}</c>) as Anthropic's type.</summary>
    private static string? ToolChoice(JsonObject body) =>
        ((body["toolConfig"] as JsonObject)?["toolChoice"] as JsonObject)?.Select(p => p.Key).FirstOrDefault();

    /// <summary>Roles and block types in Anthropic's names, as Bedrock hands the conversation to Claude (cache
    /// points are markers on the block before them, not blocks).</summary>
    private static List<(string Role, IReadOnlyList<string> Types)> Turns(JsonObject body) =>
        ((body["messages"] as JsonArray) ?? []).Select(m =>
        {
            var blocks = ((m as JsonObject)?["content"] as JsonArray) ?? [];
            IReadOnlyList<string> types = blocks.OfType<JsonObject>().Select(b => b.Select(p => p.Key).FirstOrDefault() switch
            {
                "toolUse" => "tool_use",
                "toolResult" => "tool_result",
                "reasoningContent" when (b["reasoningContent"] as JsonObject)?.ContainsKey("redactedContent") == true => "redacted_thinking",
                "reasoningContent" => "thinking",
                var other => other ?? "",
            }).Where(t => t != "cachePoint").ToList();
            return (WireValues.Text((m as JsonObject)?["role"]) ?? "", types);
        }).ToList();
}
