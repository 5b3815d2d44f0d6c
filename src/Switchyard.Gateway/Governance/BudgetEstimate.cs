namespace Switchyard.Governance;

/// <summary>
/// The most a request can cost, reserved before it is sent: its estimated prompt at the dearest input rate the
/// deployment bills (a cache write costs more than plain input) and its output cap at the dearest output rate
/// (reasoning included), at the long-context rates when the prompt is past their threshold; the dearest step of
/// the plan, since a fallback may serve it; doubled when the alias hedges, since a hedge loser is billed too.
/// </summary>
public static class BudgetEstimate
{
    /// <summary>Output tokens assumed for a request without a cap on a model whose maximum is unknown.</summary>
    public const int DefaultOutputTokens = 4096;

    /// <summary>The upper bound, in micro-dollars, of <paramref name="ctx"/>'s cost over its plan.</summary>
    public static long UpperBoundMicros(GatewayContext ctx, DateOnly day)
    {
        var needs = ctx.Request.Needs;
        long most = 0;
        foreach (var step in ctx.Plan)
        {
            var config = step.Deployment.Config;
            var output = needs.MaxOutputTokens ?? config.Capabilities.MaxOutputTokens ?? DefaultOutputTokens;
            if (config.Price?.At(day) is { } price)
            {
                most = Math.Max(most, Micros(price, needs.EstimatedPromptTokens, output) + MediaMicros(price, needs.Media));
            }
        }

        return ctx.Route?.Alias.Hedge is null ? most : most * 2;
    }

    /// <summary>The upper bound of <paramref name="input"/> and <paramref name="output"/> tokens at <paramref name="price"/>, rounded up.</summary>
    public static long Micros(Price price, long input, long output)
    {
        if (price.LongContext is { } longContext && input > longContext.AboveInputTokens)
        {
            price = longContext.Price with
            {
                CacheWrite = longContext.Price.CacheWrite ?? price.CacheWrite,
                CacheWrite1h = longContext.Price.CacheWrite1h ?? price.CacheWrite1h,
                Reasoning = longContext.Price.Reasoning ?? price.Reasoning,
            };
        }

        var inputRate = Math.Max(price.Input, Math.Max(price.CacheWrite ?? 0, price.CacheWrite1h ?? 0));
        var outputRate = Math.Max(price.Output, price.Reasoning ?? 0);
        try
        {
            return (long)Math.Ceiling(checked((inputRate * input) + (outputRate * output))); // USD per million tokens = micro-dollars per token
        }
        catch (OverflowException)
        {
            return long.MaxValue;
        }
    }

    /// <summary>
    /// The most a media request's own units can cost (docs/adr/0017-beyond-chat.md): its images at their size and quality's
    /// rate (the dearest rate when that has none), its characters of speech, a search unit per 100 documents. Seconds of
    /// audio are not known before the upstream reports them, so a transcription reserves nothing for them.
    /// </summary>
    public static long MediaMicros(Price price, MediaAsk? ask)
    {
        if (ask is null)
        {
            return 0;
        }

        var image = price.ImageRate(ask.Size, ask.Quality) ?? price.DearestImageRate ?? 0;
        var micros = (ask.Images * image * 1_000_000m) + (ask.Characters * (price.PerMillionCharacters ?? 0))
                     + ((ask.Documents + 99) / 100 * (price.PerSearchUnit ?? 0) * 1_000_000m)
                     + (ask.Seconds * (price.PerSecond ?? 0) * 1_000_000m); // a video's seconds (transcription asks for none)
        return (long)Math.Ceiling(micros);
    }

    /// <summary>Output tokens <paramref name="allowanceMicros"/> pays for after the prompt, at the dearest rates of the plan.</summary>
    public static long OutputTokensWithin(GatewayContext ctx, long allowanceMicros, DateOnly day)
    {
        long fewest = long.MaxValue;
        foreach (var step in ctx.Plan)
        {
            if (step.Deployment.Config.Price?.At(day) is { } price)
            {
                var prompt = Micros(price, ctx.Request.Needs.EstimatedPromptTokens, 0);
                var perToken = Math.Max(price.Output, price.Reasoning ?? 0);
                fewest = Math.Min(fewest, perToken <= 0 ? long.MaxValue : (long)((allowanceMicros - prompt) / perToken));
            }
        }

        return Math.Max(0, fewest);
    }
}
