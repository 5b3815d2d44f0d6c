using Switchyard.Canonical;

namespace Switchyard.Usage;

/// <summary>
/// What tokens cost at a price, in micro-dollars. A price is in USD per million tokens, which is micro-dollars per
/// token, so the cost is a plain sum of tokens × rate, exact in <see cref="decimal"/>; it is rounded once per record
/// (<see cref="Round"/>), never per token kind, so three kinds at 0.4 µ$ each make 1 µ$, not 0.
/// <para>
/// Every token is priced once, in exactly one kind, from the canonical usage (<see cref="TokenUsage"/>), whatever the
/// provider's format (each decoder maps its own, see docs/adr/0008-price-book.md):
/// <list type="bullet">
/// <item>input = <see cref="TokenUsage.InputTokens"/>, which already includes cache reads and writes: the uncached part
/// is input − reads − writes at <see cref="Price.Input"/> (billing the whole input and the cache parts again was
/// LiteLLM #9812 / #11364);</item>
/// <item>cache reads at <see cref="Price.CachedInput"/>; cache writes at <see cref="Price.CacheWrite"/>, their one-hour
/// part at <see cref="Price.CacheWrite1h"/>;</item>
/// <item>output = <see cref="TokenUsage.OutputTokens"/>, which already includes reasoning: the visible part is
/// output − reasoning at <see cref="Price.Output"/>, reasoning at <see cref="Price.Reasoning"/> (dropping the output
/// when reasoning is present was agentgateway #3228).</item>
/// </list>
/// A request whose input is above <see cref="LongContextPrice.AboveInputTokens"/> is priced, every kind, at the long
/// context rates.
/// </para>
/// </summary>
public static class CostCalculator
{
    /// <summary>The exact cost of <paramref name="usage"/> at <paramref name="price"/>, in micro-dollars (unrounded).</summary>
    public static decimal Micros(in TokenUsage usage, Price price)
    {
        ArgumentNullException.ThrowIfNull(price);
        var rates = price.LongContext is { } tier && usage.InputTokens > tier.AboveInputTokens ? tier.Price : price;
        var input = rates.Input;
        var cacheWrite = rates.CacheWrite ?? price.CacheWrite ?? input;

        var cacheRead = Clamp(usage.CacheReadTokens, usage.InputTokens);
        var written = Clamp(usage.CacheWriteTokens, usage.InputTokens - cacheRead);
        var writtenForAnHour = Clamp(usage.CacheWrite1hTokens, written);
        var uncached = usage.InputTokens - cacheRead - written;
        var reasoning = Clamp(usage.ReasoningTokens, usage.OutputTokens);
        var visible = usage.OutputTokens - reasoning;

        return uncached * input
               + cacheRead * (rates.CachedInput ?? price.CachedInput ?? input)
               + (written - writtenForAnHour) * cacheWrite
               + writtenForAnHour * (rates.CacheWrite1h ?? price.CacheWrite1h ?? cacheWrite)
               + visible * rates.Output
               + reasoning * (rates.Reasoning ?? price.Reasoning ?? rates.Output);
    }

    /// <summary>
    /// The exact cost of a media answer's units at <paramref name="price"/>, in micro-dollars (docs/adr/0017-beyond-chat.md):
    /// images at their size and quality's rate (<see cref="Price.ImageRate"/>), characters at <see cref="Price.PerMillionCharacters"/>
    /// (USD per million characters is micro-dollars per character), seconds at <see cref="Price.PerSecond"/>, search units at
    /// <see cref="Price.PerSearchUnit"/>. A unit the price has no rate for costs nothing (the record's version says which price it saw).
    /// </summary>
    public static decimal MediaMicros(in MediaUsage media, Price price)
    {
        ArgumentNullException.ThrowIfNull(price);
        const decimal MicrosPerDollar = 1_000_000m;
        return media.Images * (price.ImageRate(media.Size, media.Quality) ?? 0) * MicrosPerDollar
               + media.Characters * (price.PerMillionCharacters ?? 0)
               + (decimal)media.Seconds * (price.PerSecond ?? 0) * MicrosPerDollar
               + media.SearchUnits * (price.PerSearchUnit ?? 0) * MicrosPerDollar;
    }

    /// <summary>
    /// Micro-dollars rounded half up (a cost is never negative, so away from zero is up), saturating at
    /// <see cref="long.MaxValue"/> rather than failing the record.
    /// </summary>
    public static long Round(decimal micros) =>
        micros >= long.MaxValue ? long.MaxValue : decimal.ToInt64(decimal.Round(micros, 0, MidpointRounding.AwayFromZero));

    /// <summary>A part reported larger than its whole (a provider's inconsistency) is taken as the whole, so no count goes negative.</summary>
    private static long Clamp(long part, long whole) => Math.Max(0, Math.Min(part, whole));
}
