using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Switchyard.Tests.TestKit;

/// <summary>
/// Builders for the JSON objects OpenAI puts on the wire (usage, error, embeddings, models). Field names and
/// nesting follow the public API reference; keep them exact, the gateway's parsers are tested against them.
/// </summary>
internal static partial class OpenAIWire
{
    /// <summary>
    /// OpenAI emits raw UTF-8 (not <c>\uXXXX</c> escapes) for non-ASCII text, so the fake does too; that way the
    /// gateway's byte-level relay and its JSON parser are both exercised with realistic payloads.
    /// </summary>
    private static readonly JsonSerializerOptions SerializerOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    internal static string Serialize(JsonNode node) =>
        EscapedSurrogatePair().Replace(node.ToJsonString(SerializerOptions), match =>
            match.Groups[1].Value + (char)Convert.ToInt32(match.Groups[2].Value, 16) + (char)Convert.ToInt32(match.Groups[3].Value, 16));

    /// <summary>
    /// System.Text.Json escapes every character outside the BMP (emoji, ...) as a <c>\uD83D\uDC4B</c> pair whatever the
    /// encoder; un-escaping them afterwards yields raw 4-byte UTF-8 sequences, the hardest case for a byte-level relay.
    /// The look-behind and even run of backslashes ensure only real escapes (not an escaped backslash followed by
    /// the letters "uD83D") are touched.
    /// </summary>
    [GeneratedRegex(@"(?<!\\)((?:\\\\)*)\\u(D[89AB][0-9A-F]{2})\\u(D[C-F][0-9A-F]{2})", RegexOptions.IgnoreCase)]
    private static partial Regex EscapedSurrogatePair();

    internal static JsonObject Usage(FakeUsage usage) => new()
    {
        ["prompt_tokens"] = usage.PromptTokens,
        ["completion_tokens"] = usage.CompletionTokens,
        ["total_tokens"] = usage.TotalTokens,
        ["prompt_tokens_details"] = new JsonObject
        {
            ["cached_tokens"] = usage.CachedTokens,
            ["audio_tokens"] = 0,
        },
        ["completion_tokens_details"] = new JsonObject
        {
            ["reasoning_tokens"] = usage.ReasoningTokens,
            ["audio_tokens"] = 0,
            ["accepted_prediction_tokens"] = 0,
            ["rejected_prediction_tokens"] = 0,
        },
    };

    /// <summary>The <c>{"error": {...}}</c> envelope used both as an HTTP error body and as an in-stream SSE error.</summary>
    /// <summary>
    /// Top-level fields of the real request bodies (OpenAI API reference, Chat Completions and Embeddings);
    /// the real API refuses any other with "Unrecognized request argument supplied: NAME".
    /// </summary>
    private static readonly HashSet<string> ChatFields = new(StringComparer.Ordinal)
    {
        "model", "messages", "audio", "frequency_penalty", "function_call", "functions", "logit_bias", "logprobs",
        "max_completion_tokens", "max_tokens", "metadata", "modalities", "n", "parallel_tool_calls", "prediction",
        "presence_penalty", "prompt_cache_key", "prompt_cache_retention", "reasoning_effort", "response_format",
        "safety_identifier", "seed", "service_tier", "stop", "store", "stream", "stream_options", "temperature",
        "tool_choice", "tools", "top_logprobs", "top_p", "user", "verbosity", "web_search_options",
    };

    private static readonly HashSet<string> EmbeddingsFields = new(StringComparer.Ordinal)
    {
        "model", "input", "dimensions", "encoding_format", "user",
    };

    /// <summary>The first top-level field of <paramref name="body"/> the real endpoint does not know, or null.</summary>
    internal static string? UnrecognizedArgument(UpstreamEndpoint endpoint, string body)
    {
        var known = endpoint switch
        {
            UpstreamEndpoint.ChatCompletions => ChatFields,
            UpstreamEndpoint.Embeddings => EmbeddingsFields,
            _ => null,
        };
        if (known is null || string.IsNullOrWhiteSpace(body))
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(body) is JsonObject root ? root.Select(p => p.Key).FirstOrDefault(k => !known.Contains(k)) : null;
        }
        catch (JsonException)
        {
            return null; // malformed bodies are the behaviour's business (some tests send them on purpose)
        }
    }

    internal static JsonObject Error(string message, string type, string? param, string? code) => new()
    {
        ["error"] = new JsonObject
        {
            ["message"] = message,
            ["type"] = type,
            ["param"] = param,
            ["code"] = code,
        },
    };

    internal static JsonObject EmbeddingList(IEnumerable<JsonNode> embeddings, string model, int promptTokens)
    {
        var data = new JsonArray();
        var index = 0;
        foreach (var embedding in embeddings)
        {
            data.Add(new JsonObject
            {
                ["object"] = "embedding",
                ["index"] = index++,
                ["embedding"] = embedding,
            });
        }

        return new JsonObject
        {
            ["object"] = "list",
            ["data"] = data,
            ["model"] = model,
            ["usage"] = new JsonObject { ["prompt_tokens"] = promptTokens, ["total_tokens"] = promptTokens },
        };
    }

    internal static JsonObject ModelList(IEnumerable<string> ids, long created) => new()
    {
        ["object"] = "list",
        ["data"] = new JsonArray(ids.Select(id => (JsonNode)new JsonObject
        {
            ["id"] = id,
            ["object"] = "model",
            ["created"] = created,
            ["owned_by"] = "system",
        }).ToArray()),
    };
}
