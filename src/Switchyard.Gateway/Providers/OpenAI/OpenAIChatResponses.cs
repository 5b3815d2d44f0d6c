using System.Text.Json;
using Switchyard.Canonical;

namespace Switchyard.Providers.OpenAI;

/// <summary>OpenAI <c>chat.completion</c> JSON ⇄ canonical <see cref="ChatResponse"/>.</summary>
public static class OpenAIChatResponses
{
    /// <summary>Reads an upstream answer (first choice).</summary>
    public static ChatResponse Read(JsonElement root)
    {
        var response = new ChatResponse
        {
            Id = OpenAIChatRequestReader.Str(root, "id") ?? "",
            Model = OpenAIChatRequestReader.Str(root, "model") ?? "",
            Created = root.TryGetProperty("created", out var c) && c.TryGetInt64(out var cv) ? cv : 0,
        };
        if (root.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array && choices.GetArrayLength() > 0)
        {
            var choice = choices[0];
            response.FinishReason = Finish(OpenAIChatRequestReader.Str(choice, "finish_reason"));
            if (choice.TryGetProperty("message", out var message))
            {
                if (OpenAIChatRequestReader.Str(message, "reasoning_content") is { Length: > 0 } reasoning)
                {
                    response.Content.Add(new ThinkingPart(reasoning)); // DeepSeek/vLLM reasoning models
                }

                if (OpenAIChatRequestReader.Str(message, "content") is { Length: > 0 } text)
                {
                    response.Content.Add(new TextPart(text));
                }

                response.Refusal = OpenAIChatRequestReader.Str(message, "refusal");
                if (message.TryGetProperty("tool_calls", out var calls) && calls.ValueKind == JsonValueKind.Array)
                {
                    foreach (var call in calls.EnumerateArray())
                    {
                        var fn = call.GetProperty("function");
                        response.Content.Add(new ToolCallPart(OpenAIChatRequestReader.Str(call, "id") ?? "",
                            OpenAIChatRequestReader.Str(fn, "name") ?? "", OpenAIChatRequestReader.Str(fn, "arguments") ?? "{}"));
                    }
                }
            }
        }

        if (root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
        {
            response.Usage = ReadUsage(usage);
        }

        return response;
    }

    /// <summary>OpenAI usage → canonical usage.</summary>
    public static TokenUsage ReadUsage(JsonElement u)
    {
        var usage = new TokenUsage
        {
            InputTokens = Long(u, "prompt_tokens"),
            OutputTokens = Long(u, "completion_tokens"),
        };
        if (u.TryGetProperty("prompt_tokens_details", out var pd) && pd.ValueKind == JsonValueKind.Object)
        {
            usage.CacheReadTokens = Long(pd, "cached_tokens");
        }

        if (u.TryGetProperty("completion_tokens_details", out var cd) && cd.ValueKind == JsonValueKind.Object)
        {
            usage.ReasoningTokens = Long(cd, "reasoning_tokens");
        }

        OpenAIUsageReader.ApplyHostConventions(ref usage, Long(u, "total_tokens"), Long(u, "prompt_cache_hit_tokens"));
        return usage;
    }

    /// <summary>OpenAI finish_reason → canonical.</summary>
    public static FinishReason Finish(string? reason) => reason switch
    {
        "length" => FinishReason.Length,
        "tool_calls" or "function_call" => FinishReason.ToolCalls,
        "content_filter" => FinishReason.ContentFilter,
        _ => FinishReason.Stop,
    };

    /// <summary>Canonical → OpenAI finish_reason.</summary>
    public static string FinishName(FinishReason reason) => reason switch
    {
        FinishReason.Length => "length",
        FinishReason.ToolCalls => "tool_calls",
        FinishReason.ContentFilter => "content_filter",
        _ => "stop",
    };

    /// <summary>Writes a <c>chat.completion</c> for a client, with <paramref name="model"/> as reported model.</summary>
    public static void Write(Utf8JsonWriter w, ChatResponse r, string model)
    {
        w.WriteStartObject();
        w.WriteString("id", r.Id.StartsWith("chatcmpl", StringComparison.Ordinal) ? r.Id : "chatcmpl-" + r.Id);
        w.WriteString("object", "chat.completion");
        w.WriteNumber("created", r.Created);
        w.WriteString("model", model);
        w.WriteStartArray("choices");
        w.WriteStartObject();
        w.WriteNumber("index", 0);
        w.WriteStartObject("message");
        w.WriteString("role", "assistant");
        var text = string.Concat(r.Content.OfType<TextPart>().Select(t => t.Text));
        var calls = r.Content.OfType<ToolCallPart>().ToList();
        if (text.Length > 0 || calls.Count == 0)
        {
            w.WriteString("content", text);
        }
        else
        {
            w.WriteNull("content");
        }

        var thinking = string.Concat(r.Content.OfType<ThinkingPart>().Select(t => t.Text));
        if (thinking.Length > 0)
        {
            w.WriteString("reasoning_content", thinking);
        }

        if (r.Refusal is null)
        {
            w.WriteNull("refusal");
        }
        else
        {
            w.WriteString("refusal", r.Refusal);
        }

        WriteToolCalls(w, calls);
        w.WriteEndObject();
        w.WriteNull("logprobs");
        w.WriteString("finish_reason", FinishName(r.FinishReason));
        w.WriteEndObject();
        w.WriteEndArray();
        WriteUsage(w, r.Usage);
        w.WriteEndObject();
    }

    /// <summary>Writes a message's <c>tool_calls</c> member (nothing when there are none), as requests and answers both carry it.</summary>
    internal static void WriteToolCalls(Utf8JsonWriter w, IReadOnlyList<ToolCallPart> calls)
    {
        if (calls.Count == 0)
        {
            return;
        }

        w.WriteStartArray("tool_calls");
        foreach (var c in calls)
        {
            w.WriteStartObject();
            w.WriteString("id", c.Id);
            w.WriteString("type", "function");
            w.WriteStartObject("function");
            w.WriteString("name", c.Name);
            w.WriteString("arguments", c.Arguments);
            w.WriteEndObject();
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    /// <summary>Writes canonical usage as an OpenAI <c>usage</c> member.</summary>
    public static void WriteUsage(Utf8JsonWriter w, in TokenUsage u)
    {
        w.WriteStartObject("usage");
        w.WriteNumber("prompt_tokens", u.InputTokens);
        w.WriteNumber("completion_tokens", u.OutputTokens);
        w.WriteNumber("total_tokens", u.TotalTokens);
        w.WriteStartObject("prompt_tokens_details");
        w.WriteNumber("cached_tokens", u.CacheReadTokens);
        w.WriteEndObject();
        w.WriteStartObject("completion_tokens_details");
        w.WriteNumber("reasoning_tokens", u.ReasoningTokens);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static long Long(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var l) ? l : 0;
}
