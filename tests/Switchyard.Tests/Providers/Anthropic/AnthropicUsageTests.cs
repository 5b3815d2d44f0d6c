using System.Text.Json;
using Switchyard.Providers.Anthropic;

namespace Switchyard.Tests.Providers.Anthropic;

/// <summary>Anthropic usage → canonical: cache reads and writes added to the input once, the one-hour writes kept apart.</summary>
public sealed class AnthropicUsageTests
{
    [Fact]
    public void ReadUsage_CacheCreationByLifetime_OneHourPartKept()
    {
        var usage = AnthropicJson.ReadUsage(JsonDocument.Parse("""
            {"input_tokens":1000,"cache_creation_input_tokens":4000,"cache_read_input_tokens":20000,"output_tokens":600,
             "cache_creation":{"ephemeral_5m_input_tokens":3000,"ephemeral_1h_input_tokens":1000}}
            """).RootElement);

        Assert.Equal((25_000L, 20_000L, 4000L, 1000L, 600L),
            (usage.InputTokens, usage.CacheReadTokens, usage.CacheWriteTokens, usage.CacheWrite1hTokens, usage.OutputTokens));
    }

    [Fact]
    public void ReadUsage_NoLifetimeSplit_AllWritesFiveMinutes()
    {
        var usage = AnthropicJson.ReadUsage(JsonDocument.Parse("""{"input_tokens":10,"cache_creation_input_tokens":40,"output_tokens":6}""").RootElement);
        Assert.Equal((50L, 40L, 0L), (usage.InputTokens, usage.CacheWriteTokens, usage.CacheWrite1hTokens));
    }

    [Fact]
    public void Merge_StreamEvents_OneHourWritesSurviveTheDelta()
    {
        var start = AnthropicJson.ReadUsage(JsonDocument.Parse("""
            {"input_tokens":10,"cache_creation_input_tokens":40,"output_tokens":1,"cache_creation":{"ephemeral_1h_input_tokens":40}}
            """).RootElement);
        start.Merge(AnthropicJson.ReadUsage(JsonDocument.Parse("""{"output_tokens":77}""").RootElement));
        Assert.Equal((40L, 77L), (start.CacheWrite1hTokens, start.OutputTokens));
    }
}
