namespace Switchyard.Core;

/// <summary>
/// Something a stage took for one request and must give back when it ends: settled by Settle with the request's
/// final usage (<see cref="GatewayContext.Hold"/>). Implementations are idempotent and never throw.
/// </summary>
public interface IRequestHold
{
    /// <summary>Settles the hold against <paramref name="ctx"/>'s final usage (tokens, cost, status).</summary>
    void Release(GatewayContext ctx);
}
