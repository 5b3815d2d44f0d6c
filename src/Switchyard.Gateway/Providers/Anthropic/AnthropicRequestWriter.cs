using System.Text;
using System.Text.Json;
using Switchyard.Canonical;

namespace Switchyard.Providers.Anthropic;

/// <summary>
/// Canonical <see cref="ChatRequest"/> → Anthropic Messages request JSON (OpenAI-family clients routed to
/// Anthropic). Pure. What Anthropic cannot express is refused with <see cref="UnsupportedFeatureException"/>,
/// or dropped and listed when the route allows; hints with no Anthropic meaning (unsigned thinking from other
/// providers, image detail, tool strictness) are always dropped and listed.
/// </summary>
public static class AnthropicRequestWriter
{
    /// <summary>
    /// <c>max_tokens</c> when the client sent none: Anthropic requires it, and no deployment setting carries a
    /// model's output limit yet. 4096 is within every Claude model's limit (Claude 3 Haiku's is 4096), so the
    /// default never turns a valid request into a 400; clients wanting longer answers set it.
    /// </summary>
    public const int DefaultMaxTokens = 4096;

    /// <summary>Anthropic's smallest thinking budget.</summary>
    public const int MinThinkingBudget = 1024;

    /// <summary>
    /// Writes the request for <paramref name="model"/> under <paramref name="rules"/>. <paramref name="vertex"/>: the
    /// body goes to Claude on Vertex AI, whose models gained native structured outputs later than the Claude API's.
    /// </summary>
    public static void Write(Utf8JsonWriter w, ChatRequest r, string model, AnthropicVersionRules rules, bool allowDrop, List<string> dropped, bool vertex = false)
    {
        // One delegate shared by every check below (not one per use): refuse, or drop and list when the route allows.
        Action<string, string> unsupported = (field, reason) =>
        {
            if (!allowDrop)
            {
                throw new UnsupportedFeatureException(field, reason);
            }

            dropped.Add(field);
        };

        RefuseUnsupported(r, unsupported);
        var thinking = Thinking(r, rules, unsupported, out var maxTokens);
        var toolChoice = r.ToolChoice;
        if (thinking.Enabled && toolChoice is { Kind: ToolChoiceKind.Required or ToolChoiceKind.Function })
        {
            unsupported("tool_choice", "Anthropic cannot force a tool while thinking");
            toolChoice = null;
        }

        var output = Output(r, model, vertex, thinking.Enabled, unsupported);
        w.WriteStartObject();
        w.WriteString("model", model);
        w.WriteNumber("max_tokens", maxTokens);
        WriteSystem(w, r.System, unsupported);
        WriteMessages(w, r.Messages, dropped);
        if (output.Mode == StructuredOutputMode.ForcedTool)
        {
            AnthropicStructuredOutput.WriteForcedTool(w, output.Schema!);
        }
        else
        {
            WriteTools(w, r, toolChoice, dropped);
        }

        WriteStop(w, r.Stop);
        WriteSampling(w, r, rules, thinking.Enabled, unsupported);
        thinking.Write(w);
        WriteOutputConfig(w, thinking.Effort, output);
        if (r.User is not null)
        {
            w.WriteStartObject("metadata");
            w.WriteString("user_id", r.User);
            w.WriteEndObject();
        }

        if (r.Stream)
        {
            w.WriteBoolean("stream", true);
        }

        w.WriteEndObject();
    }

    /// <summary>The JSON-output plan; a forced output tool cannot go with thinking (Anthropic refuses forced tools then).</summary>
    private static StructuredOutputPlan Output(ChatRequest r, string model, bool vertex, bool thinking, Action<string, string> unsupported)
    {
        var output = AnthropicStructuredOutput.Prepare(r, model, vertex, unsupported);
        if (output.Mode == StructuredOutputMode.ForcedTool && thinking)
        {
            unsupported("response_format", $"'{model}' takes JSON output through a forced tool, which Anthropic refuses while thinking");
            return default;
        }

        return output;
    }

    private static void WriteStop(Utf8JsonWriter w, List<string> stop)
    {
        if (stop.Count > 0)
        {
            w.WriteStartArray("stop_sequences");
            stop.ForEach(w.WriteStringValue);
            w.WriteEndArray();
        }
    }

    /// <summary>Parameters Anthropic has no equivalent for: refused, or dropped and listed when the route allows.</summary>
    private static void RefuseUnsupported(ChatRequest r, Action<string, string> unsupported)
    {
        if (r.N is > 1)
        {
            throw new UnsupportedFeatureException("n", "Anthropic returns one answer per request");
        }

        if (r.PresencePenalty is not null)
        {
            unsupported("presence_penalty", "Anthropic has no presence penalty");
        }

        if (r.FrequencyPenalty is not null)
        {
            unsupported("frequency_penalty", "Anthropic has no frequency penalty");
        }

        if (r.Seed is not null)
        {
            unsupported("seed", "Anthropic has no sampling seed");
        }

    }

    /// <summary><c>output_config</c>: the reasoning effort and the native JSON output format, in one object.</summary>
    private static void WriteOutputConfig(Utf8JsonWriter w, string? effort, StructuredOutputPlan output)
    {
        if (effort is null && output.Mode != StructuredOutputMode.Native)
        {
            return;
        }

        w.WriteStartObject("output_config");
        if (effort is not null)
        {
            w.WriteString("effort", effort);
        }

        if (output.Mode == StructuredOutputMode.Native)
        {
            w.WriteStartObject("format");
            w.WriteString("type", "json_schema");
            w.WritePropertyName("schema");
            output.Schema!.WriteTo(w);
            w.WriteEndObject();
        }

        w.WriteEndObject();
    }

    private static void WriteMessages(Utf8JsonWriter w, List<Message> messages, List<string> dropped)
    {
        w.WriteStartArray("messages");
        foreach (var (role, parts) in Turns(messages, dropped))
        {
            w.WriteStartObject();
            w.WriteString("role", role == Role.User ? "user" : "assistant");
            if (parts is [TextPart { Cache: null } only])
            {
                w.WriteString("content", only.Text); // Anthropic's shorthand for one text block
            }
            else
            {
                w.WriteStartArray("content");
                foreach (var part in parts)
                {
                    AnthropicContentWriter.WriteBlock(w, part, dropped);
                }

                w.WriteEndArray();
            }

            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    /// <summary>How reasoning is expressed: a budget (<c>thinking.type: enabled</c>), or adaptive thinking and/or an effort level.</summary>
    private readonly record struct ThinkingPlan(bool Enabled, int? Budget, bool Adaptive, string? Effort)
    {
        public void Write(Utf8JsonWriter w)
        {
            if (Budget is { } budget)
            {
                w.WriteStartObject("thinking");
                w.WriteString("type", "enabled");
                w.WriteNumber("budget_tokens", budget);
                w.WriteEndObject();
            }
            else if (Adaptive)
            {
                w.WriteStartObject("thinking");
                w.WriteString("type", "adaptive");
                w.WriteEndObject();
            }
        }
    }

    private static ThinkingPlan Thinking(ChatRequest r, AnthropicVersionRules rules, Action<string, string> unsupported, out int maxTokens)
    {
        maxTokens = r.MaxTokens ?? DefaultMaxTokens;
        if (r.Reasoning is not { } reasoning)
        {
            return default;
        }

        if (rules.EffortControl && reasoning.BudgetTokens is null)
        {
            // Thinking counts toward max_tokens: leave room for it when the client set no cap.
            maxTokens = r.MaxTokens ?? DefaultMaxTokens * 4;
            var effort = reasoning.EffortOrDefault() switch
            {
                "minimal" => "low",
                "low" or "medium" or "high" or "xhigh" or "max" => reasoning.EffortOrDefault(),
                _ => "medium",
            };
            return new ThinkingPlan(reasoning.IncludeThoughts, null, reasoning.IncludeThoughts, effort);
        }

        var budget = reasoning.BudgetOr(maxTokens);
        if (r.MaxTokens is null)
        {
            maxTokens = budget + DefaultMaxTokens;
        }
        else if (budget >= maxTokens)
        {
            budget = maxTokens - 1; // Anthropic requires budget_tokens < max_tokens
        }

        if (budget < MinThinkingBudget)
        {
            unsupported("reasoning_effort", $"thinking needs a budget of at least {MinThinkingBudget} tokens below max_tokens ({maxTokens})");
            return default;
        }

        return new ThinkingPlan(true, budget, false, null);
    }

    private static void WriteSampling(Utf8JsonWriter w, ChatRequest r, AnthropicVersionRules rules, bool thinking, Action<string, string> unsupported)
    {
        var version = $"anthropic-version {rules.Version}";
        if (r.Temperature is { } t)
        {
            if (!rules.SamplingParameters)
            {
                unsupported("temperature", $"{version} has no temperature");
            }
            else if (thinking && t != 1)
            {
                unsupported("temperature", "Anthropic takes no temperature other than 1 while thinking");
            }
            else
            {
                w.WriteNumber("temperature", t);
            }
        }

        if (r.TopP is { } p)
        {
            if (!rules.SamplingParameters)
            {
                unsupported("top_p", $"{version} has no top_p");
            }
            else if (thinking && p < 0.95)
            {
                unsupported("top_p", "Anthropic takes top_p only between 0.95 and 1 while thinking");
            }
            else
            {
                w.WriteNumber("top_p", p);
            }
        }

        if (r.TopK is { } k)
        {
            if (!rules.SamplingParameters || thinking)
            {
                unsupported("top_k", thinking ? "Anthropic takes no top_k while thinking" : $"{version} has no top_k");
            }
            else
            {
                w.WriteNumber("top_k", k);
            }
        }
    }

    private static void WriteSystem(Utf8JsonWriter w, List<ContentPart> system, Action<string, string> unsupported)
    {
        if (system.Any(p => p is not TextPart))
        {
            unsupported("system", "Anthropic system prompts take text only");
        }

        var texts = system.OfType<TextPart>().Where(t => t.Text.Length > 0).ToList();
        if (texts.Count == 1 && texts[0].Cache is null)
        {
            w.WriteString("system", texts[0].Text);
        }
        else if (texts.Count > 0)
        {
            w.WriteStartArray("system");
            texts.ForEach(t => AnthropicContentWriter.WriteBlock(w, t, []));
            w.WriteEndArray();
        }
    }

    /// <summary>
    /// Messages as Anthropic wants them: consecutive same-role turns merged, empty ones left out (Anthropic
    /// rejects empty content and empty text blocks), and tool results first in their user turn.
    /// </summary>
    private static List<(Role Role, List<ContentPart> Parts)> Turns(List<Message> messages, List<string> dropped)
    {
        var turns = new List<(Role Role, List<ContentPart> Parts)>();
        foreach (var m in messages)
        {
            var parts = new List<ContentPart>();
            foreach (var part in m.Content)
            {
                if (part is TextPart { Text.Length: 0 })
                {
                    continue;
                }

                // Thinking without a signature (DeepSeek/vLLM reasoning_content) cannot be replayed to Anthropic.
                if (part is ThinkingPart { Signature: null, RedactedData: null })
                {
                    AnthropicContentWriter.AddOnce(dropped, "thinking");
                    continue;
                }

                parts.Add(part);
            }

            if (parts.Count == 0)
            {
                continue;
            }

            if (turns.Count > 0 && turns[^1].Role == m.Role)
            {
                turns[^1].Parts.AddRange(parts);
            }
            else
            {
                turns.Add((m.Role, parts));
            }
        }

        foreach (var (role, parts) in turns)
        {
            if (role == Role.User && parts.Any(p => p is ToolResultPart))
            {
                var ordered = parts.Where(p => p is ToolResultPart).Concat(parts.Where(p => p is not ToolResultPart)).ToList();
                parts.Clear();
                parts.AddRange(ordered);
            }
        }

        return turns;
    }

    private static void WriteTools(Utf8JsonWriter w, ChatRequest r, ToolChoice? choice, List<string> dropped)
    {
        if (r.Tools.Count == 0)
        {
            return; // a tool_choice without tools means nothing to Anthropic
        }

        w.WriteStartArray("tools");
        foreach (var t in r.Tools)
        {
            WriteTool(w, t, dropped);
        }

        w.WriteEndArray();
        if (choice is null && r.ParallelToolCalls != false)
        {
            return;
        }

        var kind = choice?.Kind ?? ToolChoiceKind.Auto;
        w.WriteStartObject("tool_choice");
        w.WriteString("type", kind switch
        {
            ToolChoiceKind.Required => "any",
            ToolChoiceKind.Function => "tool",
            ToolChoiceKind.None => "none",
            _ => "auto",
        });
        if (kind == ToolChoiceKind.Function)
        {
            w.WriteString("name", choice!.FunctionName);
        }

        if (r.ParallelToolCalls == false && kind != ToolChoiceKind.None)
        {
            w.WriteBoolean("disable_parallel_tool_use", true);
        }

        w.WriteEndObject();
    }

    private static void WriteTool(Utf8JsonWriter w, ToolDefinition t, List<string> dropped)
    {
        w.WriteStartObject();
        w.WriteString("name", t.Name);
        if (t.Description is not null)
        {
            w.WriteString("description", t.Description);
        }

        w.WritePropertyName("input_schema");
        if (t.Parameters is { } schema)
        {
            schema.WriteTo(w);
        }
        else
        {
            w.WriteRawValue("""{"type":"object","properties":{}}""", skipInputValidation: true);
        }

        if (t.Strict == true)
        {
            AnthropicContentWriter.AddOnce(dropped, "tools.strict");
        }

        AnthropicJson.WriteCache(w, t.Cache);
        w.WriteEndObject();
    }
}
