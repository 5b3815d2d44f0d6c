using Switchyard.Canonical;
using Switchyard.Usage;

namespace Switchyard.Tests.Usage;

/// <summary>
/// The cost function on each provider's usage shape, as its decoder leaves it in the canonical usage, with the
/// expected micro-dollars worked out by hand from the published rates (USD per million tokens = µ$ per token).
/// </summary>
public sealed class CostCalculatorTests
{
    // OpenAI o4-mini: $1.10 input, $0.275 cached input, $4.40 output.
    private static readonly Price O4Mini = new(1.10m, 4.40m) { CachedInput = 0.275m };

    // Anthropic Claude Sonnet 4.5: $3 input, $3.75 5-minute write, $6 1-hour write, $0.30 cache hit, $15 output.
    private static readonly Price Sonnet45 = new(3m, 15m)
    {
        CacheWrite = 3.75m,
        CacheWrite1h = 6m,
        CachedInput = 0.30m,
        LongContext = new LongContextPrice(200_000, new Price(6m, 22.50m)),
    };

    // Gemini 2.5 Pro: $1.25 / $0.125 cached / $10 (≤ 200K); $2.50 / $0.25 / $15 above.
    private static readonly Price GeminiPro = new(1.25m, 10m)
    {
        CachedInput = 0.125m,
        LongContext = new LongContextPrice(200_000, new Price(2.50m, 15m) { CachedInput = 0.25m }),
    };

    [Fact]
    public void Micros_OpenAICachedAndReasoning_EachTokenOnceAndReasoningStaysInOutput()
    {
        // prompt_tokens 2000 of which cached 1500; completion_tokens 800 of which reasoning 500.
        var usage = new TokenUsage { InputTokens = 2000, CacheReadTokens = 1500, OutputTokens = 800, ReasoningTokens = 500 };

        // 500 × 1.10 + 1500 × 0.275 + 800 × 4.40 (300 visible + 500 reasoning, all at the output rate) = 4482.5
        Assert.Equal(4482.5m, CostCalculator.Micros(usage, O4Mini));
        Assert.Equal(4483, CostCalculator.Round(CostCalculator.Micros(usage, O4Mini)));
    }

    [Fact]
    public void Micros_ReasoningPresent_OutputIsNotDropped()
    {
        // agentgateway #3228 billed only the reasoning when it was present; all 800 output tokens cost.
        var usage = new TokenUsage { OutputTokens = 800, ReasoningTokens = 800 };
        Assert.Equal(800 * 4.40m, CostCalculator.Micros(usage, O4Mini));
    }

    [Fact]
    public void Micros_AnthropicCacheReadAndWrites5mAnd1h_CacheTokensBilledOnce()
    {
        // Anthropic: input_tokens 1000, cache_read 20000, cache_creation 4000 of which 1h 1000, output 600.
        // The decoder makes InputTokens 25000 (the three added), so billing InputTokens at $3 on top of the cache
        // parts would be LiteLLM #9812.
        var usage = new TokenUsage
        {
            InputTokens = 25_000, CacheReadTokens = 20_000, CacheWriteTokens = 4000, CacheWrite1hTokens = 1000, OutputTokens = 600,
        };

        // 1000 × 3 + 20000 × 0.30 + 3000 × 3.75 + 1000 × 6 + 600 × 15 = 3000 + 6000 + 11250 + 6000 + 9000
        Assert.Equal(35_250m, CostCalculator.Micros(usage, Sonnet45));
    }

    [Fact]
    public void Micros_GeminiThoughtsAndCachedContent_ThoughtsAtTheOutputRate()
    {
        // promptTokenCount 3000 (cached 2000), candidates 400, thoughts 600: output = 1000.
        var usage = new TokenUsage { InputTokens = 3000, CacheReadTokens = 2000, OutputTokens = 1000, ReasoningTokens = 600 };

        // 1000 × 1.25 + 2000 × 0.125 + 1000 × 10 = 1250 + 250 + 10000
        Assert.Equal(11_500m, CostCalculator.Micros(usage, GeminiPro));
    }

    [Fact]
    public void Micros_BedrockCacheReadAndWrite_WritesAtTheFiveMinuteRate()
    {
        // Bedrock Claude 3.5 Haiku: $0.80 / $0.08 read / $1 write / $4. Converse: inputTokens 100, cacheRead 5000, cacheWrite 2000.
        var haiku = new Price(0.80m, 4m) { CachedInput = 0.08m, CacheWrite = 1m };
        var usage = new TokenUsage { InputTokens = 7100, CacheReadTokens = 5000, CacheWriteTokens = 2000, OutputTokens = 300 };

        // 100 × 0.80 + 5000 × 0.08 + 2000 × 1 + 300 × 4 = 80 + 400 + 2000 + 1200
        Assert.Equal(3680m, CostCalculator.Micros(usage, haiku));
    }

    [Fact]
    public void Micros_LongContext_EveryKindAtTheTierAndMissingTierRatesFromTheBase()
    {
        var gemini = new TokenUsage { InputTokens = 300_000, CacheReadTokens = 100_000, OutputTokens = 2000 };

        // 200000 × 2.50 + 100000 × 0.25 + 2000 × 15
        Assert.Equal(555_000m, CostCalculator.Micros(gemini, GeminiPro));

        // Sonnet above 200K: input and output at $6 / $22.50; the tier lists no cache rates, so the base ones apply.
        var sonnet = new TokenUsage { InputTokens = 250_000, CacheReadTokens = 50_000, CacheWriteTokens = 10_000, OutputTokens = 1000 };
        Assert.Equal((190_000 * 6m) + (50_000 * 0.30m) + (10_000 * 3.75m) + (1000 * 22.50m), CostCalculator.Micros(sonnet, Sonnet45));

        // At the threshold itself the base rates apply ("above 200K").
        Assert.Equal(200_000 * 1.25m, CostCalculator.Micros(new TokenUsage { InputTokens = 200_000 }, GeminiPro));
    }

    [Fact]
    public void Micros_RatesLeftOut_BilledAtTheRateTheyRefine()
    {
        var plain = new Price(2m, 8m);
        var usage = new TokenUsage
        {
            InputTokens = 100, CacheReadTokens = 10, CacheWriteTokens = 20, CacheWrite1hTokens = 5, OutputTokens = 50, ReasoningTokens = 30,
        };

        // No cached, write or reasoning rate: nothing is free, nothing is surcharged.
        Assert.Equal((100 * 2m) + (50 * 8m), CostCalculator.Micros(usage, plain));

        // A 1-hour write without its own rate costs the 5-minute one.
        var writes = plain with { CacheWrite = 2.5m };
        Assert.Equal((70 * 2m) + (10 * 2m) + (20 * 2.5m) + (50 * 8m), CostCalculator.Micros(usage, writes));

        // A reasoning rate of its own prices the reasoning part only.
        var reasoning = plain with { Reasoning = 10m };
        Assert.Equal((100 * 2m) + (20 * 8m) + (30 * 10m), CostCalculator.Micros(usage, reasoning));
    }

    [Fact]
    public void Micros_PartsLargerThanTheirWhole_NeverNegative()
    {
        var usage = new TokenUsage { InputTokens = 10, CacheReadTokens = 50, OutputTokens = 5, ReasoningTokens = 9 };
        Assert.Equal((10 * 0.275m) + (5 * 4.40m), CostCalculator.Micros(usage, O4Mini));
    }

    [Theory]
    [InlineData("0.4", 0)]
    [InlineData("0.5", 1)]
    [InlineData("1.4999", 1)]
    [InlineData("2.5", 3)]
    [InlineData("0", 0)]
    public void Round_HalfUp(string micros, long expected) =>
        Assert.Equal(expected, CostCalculator.Round(decimal.Parse(micros, System.Globalization.CultureInfo.InvariantCulture)));

    [Fact]
    public void Round_OncePerRecord_NotPerKind()
    {
        // Three kinds at 0.4 µ$ each: rounding each would make 0, the record's sum rounds to 1.
        var price = new Price(0.4m, 0.4m) { CachedInput = 0.4m };
        var usage = new TokenUsage { InputTokens = 2, CacheReadTokens = 1, OutputTokens = 1 };
        Assert.Equal(1, CostCalculator.Round(CostCalculator.Micros(usage, price)));
    }

    [Fact]
    public void Round_Enormous_Saturates() => Assert.Equal(long.MaxValue, CostCalculator.Round(decimal.MaxValue));
}
