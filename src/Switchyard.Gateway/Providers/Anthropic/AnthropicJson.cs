using System.Text.Encodings.Web;
using System.Text.Json;
using Switchyard.Canonical;

namespace Switchyard.Providers.Anthropic;

/// <summary>Small JSON helpers shared by the Anthropic translators (no serializer: AOT).</summary>
internal static class AnthropicJson
{
    /// <summary>Writer options for everything sent to clients and upstreams: quotes and non-ASCII stay readable.</summary>
    public static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public static long Long(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var l) ? l : 0;

    public static bool TryGet(JsonElement e, string name, JsonValueKind kind, out JsonElement value)
    {
        value = default;
        return e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out value) && value.ValueKind == kind;
    }

    /// <summary>
    /// The value as compact JSON text. Tool arguments are carried as text (OpenAI's form); the client's own
    /// indentation would otherwise leak into another provider's <c>arguments</c> string.
    /// </summary>
    public static string Compact(JsonElement value)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            value.WriteTo(w);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>True when <paramref name="json"/> is one complete JSON object (tool arguments must be, for Anthropic's <c>input</c>).</summary>
    public static bool IsObject(string json)
    {
        try
        {
            var reader = new Utf8JsonReader(System.Text.Encoding.UTF8.GetBytes(json));
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            reader.Skip();
            return !reader.Read();
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>
    /// Anthropic usage → canonical. Anthropic's <c>input_tokens</c> excludes cache reads and writes; the canonical
    /// input count includes them (OpenAI semantics), so the three are added (and priced once each: LiteLLM #9812
    /// billed them twice). <c>cache_creation.ephemeral_1h_input_tokens</c> is the part of the writes kept for an
    /// hour, billed at twice the base input rate instead of 1.25 times
    /// (https://platform.claude.com/docs/en/docs/about-claude/pricing). Fields absent from a
    /// <c>message_delta</c> stay 0 and so do not overwrite earlier values in <see cref="TokenUsage.Merge"/>.
    /// </summary>
    public static TokenUsage ReadUsage(JsonElement u)
    {
        var cacheRead = Long(u, "cache_read_input_tokens");
        var cacheWrite = Long(u, "cache_creation_input_tokens");
        var input = Long(u, "input_tokens");
        var usage = new TokenUsage
        {
            InputTokens = input + cacheRead + cacheWrite,
            OutputTokens = Long(u, "output_tokens"),
            CacheReadTokens = cacheRead,
            CacheWriteTokens = cacheWrite,
        };
        if (TryGet(u, "cache_creation", JsonValueKind.Object, out var creation))
        {
            usage.CacheWrite1hTokens = Math.Min(cacheWrite, Long(creation, "ephemeral_1h_input_tokens"));
        }
        if (TryGet(u, "output_tokens_details", JsonValueKind.Object, out var details))
        {
            usage.ReasoningTokens = Long(details, "thinking_tokens");
        }

        return usage;
    }

    /// <summary>Canonical usage → Anthropic's four counters (input without the cached parts).</summary>
    public static void WriteUsageFields(Utf8JsonWriter w, in TokenUsage u)
    {
        w.WriteNumber("input_tokens", Math.Max(0, u.InputTokens - u.CacheReadTokens - u.CacheWriteTokens));
        w.WriteNumber("cache_creation_input_tokens", u.CacheWriteTokens);
        w.WriteNumber("cache_read_input_tokens", u.CacheReadTokens);
        w.WriteNumber("output_tokens", u.OutputTokens);
    }

    /// <summary>Anthropic <c>stop_reason</c> → canonical.</summary>
    public static FinishReason Finish(string? stopReason) => stopReason switch
    {
        "max_tokens" or "model_context_window_exceeded" => FinishReason.Length,
        "tool_use" => FinishReason.ToolCalls,
        "refusal" => FinishReason.ContentFilter,
        _ => FinishReason.Stop, // end_turn, stop_sequence, pause_turn
    };

    /// <summary>Canonical → Anthropic <c>stop_reason</c>.</summary>
    public static string StopReason(FinishReason reason, string? stopSequence) => reason switch
    {
        FinishReason.Length => "max_tokens",
        FinishReason.ToolCalls => "tool_use",
        FinishReason.ContentFilter => "refusal",
        _ when stopSequence is not null => "stop_sequence",
        _ => "end_turn",
    };

    /// <summary>Anthropic message ids start with <c>msg_</c>; ids from other providers are prefixed so clients see the familiar shape.</summary>
    public static string MessageId(string? id) =>
        id is { Length: > 0 } ? (id.StartsWith("msg_", StringComparison.Ordinal) ? id : "msg_" + id) : "msg_switchyard";

    public static CacheControl? ReadCache(JsonElement block) =>
        TryGet(block, "cache_control", JsonValueKind.Object, out var cc)
            ? new CacheControl(Str(cc, "type") ?? "ephemeral", Str(cc, "ttl"))
            : null;

    public static void WriteCache(Utf8JsonWriter w, CacheControl? cache)
    {
        if (cache is null)
        {
            return;
        }

        w.WriteStartObject("cache_control");
        w.WriteString("type", cache.Type);
        if (cache.Ttl is not null)
        {
            w.WriteString("ttl", cache.Ttl);
        }

        w.WriteEndObject();
    }
}
