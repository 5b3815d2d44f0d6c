namespace Switchyard.Cache;

/// <summary>
/// Cache (store), after Dispatch: keeps the answer the client was just given when it may be served again: a miss the
/// client did not mark <c>no-store</c>, answered with a 200 and no failure (a cut stream, a timeout, a client that
/// left, an error: never stored), whose capture ended properly and reads back as a complete answer
/// (<see cref="CachedAnswers.From"/>); and under the prompt's embedding when the lookup made one (<see cref="SemanticCache"/>).
/// </summary>
public sealed class CacheStoreStage(IResponseCache cache, SemanticCache semantic) : IStage
{
    /// <inheritdoc />
    public ValueTask<bool> RunAsync(GatewayContext ctx)
    {
        if (ctx.Cache is { Status: CacheStatus.Miss, Store: true, Capture: { } capture } ticket)
        {
            ticket.Capture = null;
            if (!ctx.DryRun && ctx.Error == FailureKind.None && ctx.Http.Response.StatusCode == 200 && CachedAnswers.From(capture) is { } answer)
            {
                cache.Put(ticket.Key, answer, ticket.Ttl, ctx.Table.Config.Cache);
                semantic.Store(ticket, answer, ctx.Table.Config.Cache);
            }
        }

        return ValueTask.FromResult(true);
    }
}
