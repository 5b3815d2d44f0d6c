using System.Text.Json;
using Switchyard.Canonical;
using Switchyard.Providers.OpenAI;

namespace Switchyard.Tests.Providers.OpenAI;

/// <summary>
/// Hosts of the OpenAI wire format that count differently (OpenAIUsageReader.ApplyHostConventions): xAI reports
/// reasoning beside the completion, DeepSeek its cache hits under its own name. OpenAI's own counts are untouched.
/// </summary>
public sealed class OpenAIUsageConventionsTests
{
    private static TokenUsage Body(string usage) => OpenAIChatResponses.ReadUsage(JsonDocument.Parse(usage).RootElement);

    private static TokenUsage Chunk(string usage)
    {
        var read = default(TokenUsage);
        Assert.True(OpenAIUsageReader.TryRead(System.Text.Encoding.UTF8.GetBytes($$"""{"choices":[],"usage":{{usage}}}"""), ref read, out _));
        return read;
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ReadUsage_OpenAIReasoningInsideCompletion_Unchanged(bool chunk)
    {
        const string usage = """{"prompt_tokens":10,"completion_tokens":50,"total_tokens":60,"completion_tokens_details":{"reasoning_tokens":40}}""";
        var read = chunk ? Chunk(usage) : Body(usage);
        Assert.Equal((50L, 40L), (read.OutputTokens, read.ReasoningTokens));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ReadUsage_XaiReasoningBesideCompletion_AddedToOutput(bool chunk)
    {
        // xAI's own example: prompt 32, completion 9, reasoning 94, total 135.
        const string usage = """{"prompt_tokens":32,"completion_tokens":9,"total_tokens":135,"completion_tokens_details":{"reasoning_tokens":94}}""";
        var read = chunk ? Chunk(usage) : Body(usage);
        Assert.Equal((103L, 94L, 135L), (read.OutputTokens, read.ReasoningTokens, read.TotalTokens));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ReadUsage_DeepSeekCacheHits_AreCacheReads(bool chunk)
    {
        const string usage = """{"prompt_tokens":100,"completion_tokens":5,"total_tokens":105,"prompt_cache_hit_tokens":64,"prompt_cache_miss_tokens":36}""";
        var read = chunk ? Chunk(usage) : Body(usage);
        Assert.Equal((100L, 64L, 5L), (read.InputTokens, read.CacheReadTokens, read.OutputTokens));
    }

    [Fact]
    public void ReadUsage_CachedTokensAndCacheHitsBoth_CachedTokensWin()
    {
        var read = Body("""{"prompt_tokens":100,"completion_tokens":5,"prompt_tokens_details":{"cached_tokens":50},"prompt_cache_hit_tokens":64}""");
        Assert.Equal(50L, read.CacheReadTokens);
    }
}
