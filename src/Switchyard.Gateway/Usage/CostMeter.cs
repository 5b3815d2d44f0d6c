using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Switchyard.Canonical;

namespace Switchyard.Usage;

/// <summary>What a record says it cost: integer micro-dollars, and the price versions used (null when nothing was priced).</summary>
/// <param name="Micros">Every billed token of every attempt that reached a provider, rounded once (half up).</param>
/// <param name="Version">The answer's price version (<c>config</c> or <c>book:YYYY-MM-DD</c>), then a hedge loser's when it differs, comma-separated.</param>
/// <param name="SavedMicros">An exact-cache hit: what the stored answer would cost upstream today (the request itself costs 0).</param>
public readonly record struct RecordCost(long Micros, string? Version, long SavedMicros = 0);

/// <summary>
/// Costs a request in Settle (docs/adr/0008-price-book.md): the committed answer's tokens at its deployment's price,
/// plus a hedge loser's at its own (it reached a provider, which bills it), each at the entry in effect on the day the
/// request started. Reported and estimated usage are priced alike. A model without a price costs 0 and is logged
/// once per provider and model for the life of the gateway, so an operator learns which deployments need
/// <c>price:</c> without a line per request.
/// </summary>
public sealed partial class CostMeter(ILogger<CostMeter> logger)
{
    private readonly ConcurrentDictionary<string, byte> unpricedLogged = new(StringComparer.Ordinal);

    /// <summary>The cost of <paramref name="ctx"/> (after <see cref="UsageEstimator.Complete"/> filled in what was not reported).</summary>
    public RecordCost Cost(GatewayContext ctx)
    {
        var day = DateOnly.FromDateTime(DateTimeOffset.FromUnixTimeMilliseconds(ctx.StartedAtMs).UtcDateTime);
        if (ctx.Cache is { Status: CacheStatus.Hit or CacheStatus.SemanticHit, Hit: { } hit })
        {
            decimal saved = 0;
            string? unused = null;
            Add(hit.Deployment, hit.Usage, day, ref saved, ref unused); // no upstream call: the answer's price is what was saved
            return new RecordCost(0, null, CostCalculator.Round(saved));
        }

        if (ctx.Attempts == 0)
        {
            return default;
        }

        decimal micros = 0;
        string? version = null;
        if (ctx.Final is { } final)
        {
            Add(final, ctx.Usage, day, ref micros, ref version, ctx.Media);
        }

        if (ctx.HedgeLoser is { } loser)
        {
            Add(loser.Deployment, loser.Billed, day, ref micros, ref version);
        }

        return new RecordCost(CostCalculator.Round(micros), version);
    }

    private void Add(DeploymentTarget deployment, in TokenUsage usage, DateOnly day, ref decimal micros, ref string? version, MediaUsage media = default)
    {
        if (usage.InputTokens == 0 && usage.OutputTokens == 0 && media.IsEmpty)
        {
            return;
        }

        var config = deployment.Config;
        if (config.Price is not { } schedule)
        {
            Unpriced(config);
            return;
        }

        var price = schedule.At(day);
        try
        {
            micros = checked(micros + CostCalculator.Micros(usage, price) + (media.IsEmpty ? 0 : CostCalculator.MediaMicros(media, price)));
        }
        catch (OverflowException)
        {
            micros = decimal.MaxValue; // absurd rates from a file: the record saturates instead of being lost
        }

        version = version is null ? price.Version
            : version.Split(',').Contains(price.Version, StringComparer.Ordinal) ? version : version + "," + price.Version;
    }

    private void Unpriced(DeploymentConfig config)
    {
        if (unpricedLogged.TryAdd(config.Provider.Name + "\n" + config.UpstreamModel, 0))
        {
            LogUnpriced(logger, config.UpstreamModel, config.Provider.Name, config.Name);
        }
    }

    [LoggerMessage(EventId = 3040, Level = LogLevel.Warning,
        Message = "No price for model '{Model}' of provider '{Provider}': its requests are recorded with cost 0 and no price version. "
                  + "Set deployments.{Deployment}.price (USD per million tokens) to cost them; logged once per model")]
    private static partial void LogUnpriced(ILogger logger, string model, string provider, string deployment);
}
