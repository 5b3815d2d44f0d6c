using System.Text.Json;
using Switchyard.Canonical;

namespace Switchyard.Providers.Bedrock;

/// <summary>Bedrock Converse response JSON → canonical <see cref="ChatResponse"/>; stop reasons and usage for both paths. Pure.</summary>
public static class BedrockResponseReader
{
    /// <summary>The forced tool that carries JSON output (see BedrockRequestWriter); its input is the answer's text.</summary>
    public const string OutputTool = "structured_output";

    /// <summary>
    /// Reads a Converse answer. Converse returns no response id and no model name, so both are given:
    /// <paramref name="id"/> by the adapter, <paramref name="model"/> from the deployment.
    /// </summary>
    public static ChatResponse Read(JsonElement root, string id, string model)
    {
        var response = new ChatResponse { Id = id, Model = model };
        if (root.TryGetProperty("output", out var output) && output.ValueKind == JsonValueKind.Object
            && output.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.Object
            && message.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.Array)
        {
            foreach (var block in content.EnumerateArray())
            {
                if (Part(block) is { } part)
                {
                    response.Content.Add(part);
                }
            }
        }

        var stopReason = Str(root, "stopReason");
        response.FinishReason = Finish(stopReason);
        if (response.FinishReason == FinishReason.ToolCalls && !response.Content.Exists(p => p is ToolCallPart))
        {
            response.FinishReason = FinishReason.Stop; // only the forced output tool was "called": a plain answer
        }
        if (stopReason == "stop_sequence"
            && root.TryGetProperty("additionalModelResponseFields", out var extra) && extra.ValueKind == JsonValueKind.Object)
        {
            response.StopSequence = Str(extra, "stop_sequence"); // Claude says which one
        }

        if (root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
        {
            response.Usage = Usage(usage);
        }

        return response;
    }

    /// <summary>
    /// Converse stop reason → canonical. A guardrail or content filter is a content-filter finish; an input that
    /// overflowed the window mid-answer is a length finish; a malformed model output ends as an error.
    /// </summary>
    public static FinishReason Finish(string? stopReason) => stopReason switch
    {
        "tool_use" => FinishReason.ToolCalls,
        "max_tokens" or "model_context_window_exceeded" => FinishReason.Length,
        "guardrail_intervened" or "content_filtered" => FinishReason.ContentFilter,
        "malformed_model_output" or "malformed_tool_use" => FinishReason.Error,
        _ => FinishReason.Stop, // end_turn, stop_sequence, and reasons added after this was written
    };

    /// <summary>
    /// Converse usage → canonical. Bedrock's <c>inputTokens</c> excludes cache reads and writes (as Anthropic's
    /// does), while canonical input counts every input token, so the three are added.
    /// </summary>
    public static TokenUsage Usage(JsonElement usage)
    {
        var cacheRead = Long(usage, "cacheReadInputTokens");
        var cacheWrite = Long(usage, "cacheWriteInputTokens");
        return new TokenUsage
        {
            InputTokens = Long(usage, "inputTokens") + cacheRead + cacheWrite,
            OutputTokens = Long(usage, "outputTokens"),
            CacheReadTokens = cacheRead,
            CacheWriteTokens = cacheWrite,
        };
    }

    private static ContentPart? Part(JsonElement block)
    {
        if (Str(block, "text") is { } text)
        {
            return text.Length > 0 ? new TextPart(text) : null;
        }

        if (block.TryGetProperty("toolUse", out var output) && output.ValueKind == JsonValueKind.Object && Str(output, "name") == OutputTool)
        {
            return new TextPart(output.TryGetProperty("input", out var answer) && answer.ValueKind != JsonValueKind.Null ? answer.GetRawText() : "{}");
        }

        if (block.TryGetProperty("toolUse", out var toolUse) && toolUse.ValueKind == JsonValueKind.Object)
        {
            // OpenAI-style clients take the arguments as JSON text: the input object is kept as sent.
            var input = toolUse.TryGetProperty("input", out var i) && i.ValueKind != JsonValueKind.Null ? i.GetRawText() : "{}";
            return new ToolCallPart(Str(toolUse, "toolUseId") ?? "", Str(toolUse, "name") ?? "", input);
        }

        if (block.TryGetProperty("reasoningContent", out var reasoning) && reasoning.ValueKind == JsonValueKind.Object)
        {
            if (reasoning.TryGetProperty("reasoningText", out var rt) && rt.ValueKind == JsonValueKind.Object)
            {
                return new ThinkingPart(Str(rt, "text") ?? "", Str(rt, "signature"));
            }

            if (Str(reasoning, "redactedContent") is { } redacted)
            {
                return new ThinkingPart("", null, redacted);
            }
        }

        return null; // images, citations, guard content: nothing an answer carries to chat clients
    }

    internal static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static long Long(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var l) ? l : 0;
}
