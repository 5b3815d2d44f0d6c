namespace Switchyard.Batches;

/// <summary>
/// Files and batches: what a call on <c>/v1/files</c> or <c>/v1/batches</c> asks of the limits, set before
/// <c>LimitStage</c> takes them: one request (RPM, concurrency) and no tokens. Without it the limit stage would hold its
/// default output guess (up to 1,024 tokens) for a call that produces none, so a key that had spent its minute's tokens
/// on chat could not even list its files until the bucket refilled. A batch's tokens are its own record's, when it ends.
/// </summary>
public sealed class ObjectAskStage : IStage
{
    /// <inheritdoc />
    public ValueTask<bool> RunAsync(GatewayContext ctx)
    {
        ctx.Request.Needs.EstimatedPromptTokens = 0;
        ctx.Request.Needs.MaxOutputTokens = 0;
        return ValueTask.FromResult(true);
    }
}
