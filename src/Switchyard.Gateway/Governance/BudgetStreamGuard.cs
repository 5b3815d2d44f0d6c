namespace Switchyard.Governance;

/// <summary>
/// A budget's hard stop on a stream whose reservation could not cover its worst case (capped by
/// <c>max_reservation_usd</c>, or the remainder was smaller): once what it delivered reaches the output its reservation
/// pays for, the stream ends with an <c>insufficient_quota</c> error event in the caller's format. Delivered text is
/// counted again only after another <see cref="RecountEvery"/> bytes, so a long stream costs a few counts, not one per event.
/// For a passthrough stream the delivered bytes are the provider's events, decoded for their text when counted.
/// </summary>
public sealed class BudgetStreamGuard(IDeliveredTokens counter, long allowedOutputTokens, string scope) : IStreamGuard
{
    /// <summary>Bytes delivered between two counts (~ 500 tokens at 4 bytes each: the stop can come that much late at most).</summary>
    public const int RecountEvery = 2048;

    private long countedAt = -RecountEvery;

    /// <inheritdoc />
    public ClientError? Check(GatewayContext ctx)
    {
        if (ctx.Delivered is not { } delivered)
        {
            return null;
        }

        // A token is at least one byte: until as many bytes as allowed tokens were delivered, it cannot be over. After
        // that, it is counted again every RecountEvery bytes (or sooner for a small allowance).
        var size = delivered.Kept.Length + delivered.OverflowBytes;
        if (size < allowedOutputTokens || size - countedAt < Math.Min(RecountEvery, allowedOutputTokens + 1))
        {
            return null;
        }

        countedAt = size;
        return counter.OutputTokens(delivered) < allowedOutputTokens ? null : new ClientError(429, ErrorCategory.QuotaExceeded,
            $"The budget of {scope} is spent: this stream was stopped at the output its remaining budget pays for.", null, "insufficient_quota");
    }
}
