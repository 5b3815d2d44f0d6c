using System.Text.Json;
using Switchyard.Canonical;

namespace Switchyard.Providers.OpenAI;

/// <summary>What a streamed OpenAI chunk is, as far as relaying is concerned.</summary>
public struct ChunkInfo
{
    /// <summary>The chunk carries a non-null <c>usage</c> object.</summary>
    public bool HasUsage;

    /// <summary>The chunk's <c>choices</c> is an empty array: a usage-only chunk the client may not have asked for.</summary>
    public bool ChoicesEmpty;

    /// <summary>The chunk is an error object (<c>{"error": ...}</c>) sent inside a 200 stream.</summary>
    public bool IsError;
}

/// <summary>
/// Reads the <c>usage</c> object of an OpenAI response body or stream chunk without materialising the
/// rest of it (other top-level members are skipped by the reader). Pure: bytes in, numbers out.
/// </summary>
public static class OpenAIUsageReader
{
    /// <summary>Reads top-level <c>usage</c> (and chunk facts) from <paramref name="json"/>; false when it is not JSON.</summary>
    public static bool TryRead(ReadOnlySpan<byte> json, ref TokenUsage usage, out ChunkInfo info)
    {
        info = default;
        var reader = new Utf8JsonReader(json);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("usage"u8))
                {
                    ReadUsage(ref reader, ref usage, ref info);
                }
                else if (reader.ValueTextEquals("choices"u8))
                {
                    ReadChoices(ref reader, ref info);
                }
                else if (reader.ValueTextEquals("error"u8))
                {
                    reader.Read();
                    info.IsError = reader.TokenType == JsonTokenType.StartObject;
                    reader.Skip();
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>From the <c>usage</c> name: reads the object, or skips a null (or anything else).</summary>
    private static void ReadUsage(ref Utf8JsonReader reader, ref TokenUsage usage, ref ChunkInfo info)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.StartObject)
        {
            info.HasUsage = true;
            ReadUsageObject(ref reader, ref usage);
        }
        else
        {
            reader.Skip();
        }
    }

    /// <summary>From the <c>choices</c> name: only whether the array is empty matters; its elements are skipped.</summary>
    private static void ReadChoices(ref Utf8JsonReader reader, ref ChunkInfo info)
    {
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return;
        }

        reader.Read();
        info.ChoicesEmpty = reader.TokenType == JsonTokenType.EndArray;
        if (!info.ChoicesEmpty)
        {
            reader.Skip();
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                reader.Skip();
            }
        }
    }

    /// <summary>
    /// Two hosts of the OpenAI wire format count differently from OpenAI, and the cost of every record depends on it:
    /// <list type="bullet">
    /// <item>xAI reports <c>reasoning_tokens</c> on top of <c>completion_tokens</c>, not inside it: its <c>total_tokens</c>
    /// is prompt + completion + reasoning ("reasoning token consumption will be counted separately from
    /// completion_tokens, but will be counted in the total_tokens", https://docs.x.ai/docs/key-information/consumption-and-rate-limits;
    /// vercel/ai #12425). Read as OpenAI's, the reasoning would be billed nothing. Recognised by the sum, so no host
    /// name is needed: with OpenAI's subset rule the sum can only hold when there is no reasoning at all.</item>
    /// <item>DeepSeek reports its cache hits as <c>prompt_cache_hit_tokens</c> (https://api-docs.deepseek.com/guides/kv_cache),
    /// taken when no <c>prompt_tokens_details.cached_tokens</c> came.</item>
    /// </list>
    /// </summary>
    internal static void ApplyHostConventions(ref TokenUsage usage, long totalTokens, long promptCacheHitTokens)
    {
        if (usage.CacheReadTokens == 0 && promptCacheHitTokens > 0)
        {
            usage.CacheReadTokens = promptCacheHitTokens;
        }

        if (usage.ReasoningTokens > 0 && totalTokens == usage.InputTokens + usage.OutputTokens + usage.ReasoningTokens)
        {
            usage.OutputTokens += usage.ReasoningTokens;
        }
    }

    private static void ReadUsageObject(ref Utf8JsonReader reader, ref TokenUsage usage)
    {
        long total = 0, cacheHit = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("prompt_tokens"u8))
            {
                usage.InputTokens = ReadNumber(ref reader);
            }
            else if (reader.ValueTextEquals("total_tokens"u8))
            {
                total = ReadNumber(ref reader);
            }
            else if (reader.ValueTextEquals("prompt_cache_hit_tokens"u8))
            {
                cacheHit = ReadNumber(ref reader);
            }
            else if (reader.ValueTextEquals("completion_tokens"u8))
            {
                usage.OutputTokens = ReadNumber(ref reader);
            }
            else if (reader.ValueTextEquals("prompt_tokens_details"u8) || reader.ValueTextEquals("completion_tokens_details"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    reader.Skip();
                    continue;
                }

                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    if (reader.ValueTextEquals("cached_tokens"u8))
                    {
                        usage.CacheReadTokens = ReadNumber(ref reader);
                    }
                    else if (reader.ValueTextEquals("reasoning_tokens"u8))
                    {
                        usage.ReasoningTokens = ReadNumber(ref reader);
                    }
                    else
                    {
                        reader.Read();
                        reader.Skip();
                    }
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        ApplyHostConventions(ref usage, total, cacheHit);
    }

    private static long ReadNumber(ref Utf8JsonReader reader)
    {
        reader.Read();
        return reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var v) ? v : 0;
    }
}
