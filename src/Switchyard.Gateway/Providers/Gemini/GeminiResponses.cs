using System.Text.Json;
using Switchyard.Canonical;
using static Switchyard.Providers.Gemini.GeminiJson;

namespace Switchyard.Providers.Gemini;

/// <summary>Gemini <c>GenerateContentResponse</c> JSON ⇄ canonical <see cref="ChatResponse"/>, usage and finish reasons.</summary>
public static class GeminiResponses
{
    /// <summary>Reads an upstream answer: the first candidate (only one is ever asked for).</summary>
    public static ChatResponse Read(JsonElement root, string fallbackModel)
    {
        var response = new ChatResponse
        {
            Id = Str(root, "responseId", "response_id") ?? "",
            Model = Str(root, "modelVersion", "model_version") ?? fallbackModel,
        };
        var ids = new CallIds(response.Id);
        if (Get(root, "candidates", out var candidates) && candidates.ValueKind == JsonValueKind.Array && candidates.GetArrayLength() > 0)
        {
            var candidate = candidates[0];
            if (Get(candidate, "content", out var content) && Get(content, "parts", out var parts) && parts.ValueKind == JsonValueKind.Array)
            {
                foreach (var part in parts.EnumerateArray())
                {
                    ReadPart(part, response.Content, ids);
                }
            }

            response.FinishReason = Finish(Str(candidate, "finishReason", "finish_reason"), ids.Count > 0);
        }
        else if (BlockReason(root) is { } blocked)
        {
            // The prompt itself was blocked: no candidate at all, only promptFeedback.
            response.FinishReason = FinishReason.ContentFilter;
            response.Refusal = $"The prompt was blocked by Gemini's safety filters ({blocked}).";
        }

        if (Get(root, "usageMetadata", "usage_metadata", out var usage))
        {
            response.Usage = ReadUsage(usage);
        }

        return response;
    }

    /// <summary>One part → canonical content. Thought parts become thinking; a signature on any other part
    /// becomes a text-less <see cref="ThinkingPart"/> just before it (see <see cref="GeminiRequestWriter"/>).</summary>
    internal static void ReadPart(JsonElement part, List<ContentPart> into, CallIds ids)
    {
        var signature = Str(part, "thoughtSignature", "thought_signature");
        if (IsTrue(part, "thought"))
        {
            into.Add(new ThinkingPart(Str(part, "text") ?? "", signature));
            return;
        }

        if (signature is not null)
        {
            into.Add(new ThinkingPart("", signature));
        }

        if (Get(part, "functionCall", "function_call", out var fc))
        {
            var args = Get(fc, "args", out var a) ? Compact(a) : "{}";
            into.Add(new ToolCallPart(ids.Next(Str(fc, "id")), Str(fc, "name") ?? "", args));
        }
        else if (Str(part, "text") is { Length: > 0 } text)
        {
            into.Add(new TextPart(text));
        }
    }

    /// <summary><c>promptFeedback.blockReason</c>, when the prompt was blocked.</summary>
    internal static string? BlockReason(JsonElement root) =>
        Get(root, "promptFeedback", "prompt_feedback", out var feedback) ? Str(feedback, "blockReason", "block_reason") : null;

    /// <summary>
    /// Gemini finish reason → canonical. Gemini says STOP after function calls too, so calls decide ToolCalls;
    /// every safety-style stop is a content filter.
    /// </summary>
    public static FinishReason Finish(string? reason, bool sawToolCalls) => reason switch
    {
        "MAX_TOKENS" => FinishReason.Length,
        "SAFETY" or "RECITATION" or "BLOCKLIST" or "PROHIBITED_CONTENT" or "SPII" or "IMAGE_SAFETY" or "IMAGE_PROHIBITED_CONTENT" => FinishReason.ContentFilter,
        _ when sawToolCalls => FinishReason.ToolCalls,
        _ => FinishReason.Stop,
    };

    /// <summary>Canonical → Gemini finish reason.</summary>
    public static string FinishName(FinishReason reason) => reason switch
    {
        FinishReason.Length => "MAX_TOKENS",
        FinishReason.ContentFilter => "SAFETY",
        FinishReason.Error => "OTHER",
        _ => "STOP",
    };

    /// <summary>
    /// Gemini usage → canonical. <c>promptTokenCount</c> already includes cached tokens; <c>candidatesTokenCount</c>
    /// excludes thinking, which Gemini counts in <c>thoughtsTokenCount</c>; canonical output includes reasoning.
    /// </summary>
    public static TokenUsage ReadUsage(JsonElement u)
    {
        var thoughts = Long(u, "thoughtsTokenCount", "thoughts_token_count");
        return new TokenUsage
        {
            InputTokens = Long(u, "promptTokenCount", "prompt_token_count") + Long(u, "toolUsePromptTokenCount", "tool_use_prompt_token_count"),
            OutputTokens = Long(u, "candidatesTokenCount", "candidates_token_count") + thoughts,
            CacheReadTokens = Long(u, "cachedContentTokenCount", "cached_content_token_count"),
            ReasoningTokens = thoughts,
        };
    }

    /// <summary>Writes canonical usage as a Gemini <c>usageMetadata</c> member.</summary>
    public static void WriteUsage(Utf8JsonWriter w, in TokenUsage u)
    {
        w.WriteStartObject("usageMetadata");
        w.WriteNumber("promptTokenCount", u.InputTokens);
        w.WriteNumber("candidatesTokenCount", Math.Max(0, u.OutputTokens - u.ReasoningTokens));
        w.WriteNumber("totalTokenCount", u.TotalTokens);
        if (u.CacheReadTokens > 0)
        {
            w.WriteNumber("cachedContentTokenCount", u.CacheReadTokens);
        }

        if (u.ReasoningTokens > 0)
        {
            w.WriteNumber("thoughtsTokenCount", u.ReasoningTokens);
        }

        w.WriteEndObject();
    }

    /// <summary>Writes a whole <c>GenerateContentResponse</c> for a Gemini client.</summary>
    public static void Write(Utf8JsonWriter w, ChatResponse r, string model)
    {
        w.WriteStartObject();
        w.WriteStartArray("candidates");
        w.WriteStartObject();
        var hasParts = r.Content.Any(p => p is TextPart or ToolCallPart or ThinkingPart { RedactedData: null }) || r.Refusal is { Length: > 0 };
        if (hasParts)
        {
            WriteContent(w, r);
        }

        // A candidate stopped before any output (e.g. SAFETY) has no content at all, as Google sends it.
        w.WriteString("finishReason", FinishName(r.FinishReason));
        w.WriteNumber("index", 0);
        w.WriteEndObject();
        w.WriteEndArray();
        WriteUsage(w, r.Usage);
        w.WriteString("modelVersion", model);
        w.WriteString("responseId", r.Id);
        w.WriteEndObject();
    }

    private static void WriteContent(Utf8JsonWriter w, ChatResponse r)
    {
        w.WriteStartObject("content");
        w.WriteStartArray("parts");
        string? signature = null;
        foreach (var part in r.Content)
        {
            switch (part)
            {
                case ThinkingPart { Text.Length: 0, RedactedData: null } t:
                    signature = t.Signature;
                    break;
                case ThinkingPart { RedactedData: null } t:
                    WriteThought(w, t.Text, t.Signature);
                    break;
                case TextPart t:
                    WriteText(w, t.Text, signature);
                    signature = null;
                    break;
                case ToolCallPart c:
                    WriteCall(w, c.Id, c.Name, c.Arguments, signature);
                    signature = null;
                    break;
            }
        }

        if (r.Refusal is { Length: > 0 } refusal && !r.Content.OfType<TextPart>().Any())
        {
            WriteText(w, refusal, null); // Gemini has no refusal field: the model's words are its answer
        }

        if (signature is not null)
        {
            WriteText(w, "", signature);
        }

        w.WriteEndArray();
        w.WriteString("role", "model");
        w.WriteEndObject();
    }

    internal static void WriteText(Utf8JsonWriter w, string text, string? signature)
    {
        w.WriteStartObject();
        w.WriteString("text", text);
        if (signature is not null)
        {
            w.WriteString("thoughtSignature", signature);
        }

        w.WriteEndObject();
    }

    internal static void WriteThought(Utf8JsonWriter w, string text, string? signature)
    {
        w.WriteStartObject();
        w.WriteString("text", text);
        w.WriteBoolean("thought", true);
        if (signature is not null)
        {
            w.WriteString("thoughtSignature", signature);
        }

        w.WriteEndObject();
    }

    /// <summary>A <c>functionCall</c> part; arguments that are not a JSON object (a broken upstream) become <c>{}</c>.</summary>
    internal static void WriteCall(Utf8JsonWriter w, string id, string name, string arguments, string? signature)
    {
        w.WriteStartObject();
        w.WriteStartObject("functionCall");
        w.WriteString("id", id);
        w.WriteString("name", name);
        w.WritePropertyName("args");
        var written = false;
        try
        {
            using var doc = JsonDocument.Parse(string.IsNullOrWhiteSpace(arguments) ? "{}" : arguments);
            if (doc.RootElement.ValueKind == JsonValueKind.Object)
            {
                doc.RootElement.WriteTo(w);
                written = true;
            }
        }
        catch (JsonException)
        {
        }

        if (!written)
        {
            w.WriteStartObject();
            w.WriteEndObject();
        }

        w.WriteEndObject();
        if (signature is not null)
        {
            w.WriteString("thoughtSignature", signature);
        }

        w.WriteEndObject();
    }
}

/// <summary>
/// Ids for the function calls of one Gemini answer. Gemini usually sends none; other formats need one per
/// call, echoed back with the result. <c>call_{responseId}_{n}</c> keeps them unique across the turns of a
/// conversation (providers such as Anthropic reject repeated ids in one history); the response id is
/// reduced to <c>[A-Za-z0-9_-]</c>, the widest id alphabet every provider accepts.
/// </summary>
internal sealed class CallIds(string responseId)
{
    private readonly string prefix = Prefix(responseId);

    public int Count { get; private set; }

    public string Next(string? given)
    {
        var id = given is { Length: > 0 } ? given : prefix + Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Count++;
        return id;
    }

    private static string Prefix(string responseId)
    {
        var safe = new string(responseId.Where(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-').Take(24).ToArray());
        return safe.Length > 0 ? $"call_{safe}_" : "call_";
    }
}
