namespace Switchyard.Dispatch;

/// <summary>
/// Dispatch: walks the plan (translate, send, relay; retry, hedge, fall back) until one attempt commits a
/// response or the policy gives up (<see cref="Dispatcher"/>). A dry run stops before it: explain shows the
/// plan that this stage would walk.
/// </summary>
public sealed class DispatchStage(Dispatcher dispatcher) : IStage
{
    /// <inheritdoc />
    public async ValueTask<bool> RunAsync(GatewayContext ctx)
    {
        if (!ctx.DryRun)
        {
            await dispatcher.RunAsync(ctx).ConfigureAwait(false);
        }

        return true;
    }
}
