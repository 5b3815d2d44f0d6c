namespace Switchyard.Cache;

/// <summary>
/// Cache (lookup): for an alias or route with <c>cache:</c>, keys the request (<see cref="CacheKeys"/>: the tenant, the
/// format, the serving alias and route, the client's namespace, the normalized body) and answers a hit itself, in the
/// client's format and as a stream when it asked for one (<see cref="CacheReplay"/>): no plan, no upstream call. After an
/// exact miss, an alias with <c>cache.semantic</c> looks for a similar prompt's answer (<see cref="SemanticCache"/>). A miss
/// says so in <c>x-switchyard-cache</c> and, unless the client said <c>no-store</c>, leaves a capture for Dispatch to
/// fill and <see cref="CacheStoreStage"/> to store. It runs before Plan, so a stored answer is served even while every
/// deployment's circuit is open. A dry run (explain) checks the headers and stops there.
/// </summary>
public sealed class CacheLookupStage(IResponseCache cache, SemanticCache semantic, TimeProvider time) : IStage
{
    /// <inheritdoc />
    public ValueTask<bool> RunAsync(GatewayContext ctx)
    {
        if (PolicyFor(ctx) is not { } policy)
        {
            return ValueTask.FromResult(true);
        }

        if (CacheDirectives.Parse(ctx.Http.Request.Headers, policy, out var directives) is { } invalid)
        {
            return ctx.RefuseAsync(invalid);
        }

        return ctx.DryRun ? ValueTask.FromResult(true) : LookUpAsync(ctx, policy, directives);
    }

    private async ValueTask<bool> LookUpAsync(GatewayContext ctx, CachePolicy policy, CacheDirectives directives)
    {
        var parts = new CacheKeys.Parts(Scope(ctx, policy), ctx.Format.Name, ctx.Route!.Alias.Name, ctx.RouteName, directives.Namespace);
        var key = CacheKeys.Build(parts, ctx.Body!.Memory);
        var ticket = new CacheTicket(key ?? [], directives.Ttl, key is not null && directives.Store);
        ctx.Cache = ticket;
        if (key is not null && directives.Read && await cache.GetAsync(key, ctx.Table).ConfigureAwait(false) is { } hit)
        {
            ticket.Status = CacheStatus.Hit;
            ticket.Hit = hit;
            await CacheReplay.WriteAsync(ctx, hit, time, "hit").ConfigureAwait(false);
            return false;
        }

        if (key is not null && policy.Semantic is { } similar && (directives.Read || ticket.Store)
            && await semantic.LookUpAsync(ctx, similar, parts, ticket, directives.Read).ConfigureAwait(false) is { } match)
        {
            ticket.Status = CacheStatus.SemanticHit;
            ticket.Hit = match.Answer;
            ticket.Similarity = match.Similarity;
            await CacheReplay.WriteAsync(ctx, match.Answer, time, SemanticHitHeader(match.Similarity)).ConfigureAwait(false);
            return false;
        }

        ctx.Http.Response.Headers[CacheDirectives.Header] = "miss";
        if (ticket.Store)
        {
            ticket.Capture = new CacheCapture(ctx.Table.Config.Cache.MaxEntryBytes);
        }

        return true;
    }

    /// <summary>
    /// <c>semantic-hit; similarity=0.9731</c>: the result, then the cosine similarity as a parameter (the syntax of an
    /// RFC 8941 item with a parameter), rounded down to four decimals so that it never shows more than was measured.
    /// </summary>
    public static string SemanticHitHeader(float similarity) =>
        "semantic-hit; similarity=" + (Math.Floor(similarity * 10_000d) / 10_000d).ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// The policy in force: the route's <c>cache:</c>, else the serving alias's; none for operations whose answers are
    /// not chat answers (embeddings) or whose answers are state (Responses keeps them under ids: docs/adr/0015).
    /// </summary>
    public static CachePolicy? PolicyFor(GatewayContext ctx)
    {
        if (ctx.Operation is not (Operation.ChatCompletions or Operation.Messages or Operation.GenerateContent) || ctx.Route is not { } route)
        {
            return null;
        }

        if (ctx.RouteName is { } name)
        {
            foreach (var rule in ctx.Table.Config.Routes)
            {
                if (rule.Name == name && rule.Cache is { } byRoute)
                {
                    return byRoute;
                }
            }
        }

        return route.Alias.Cache;
    }

    /// <summary>The tenant: the caller's team under <c>scope: team</c> (when its key has one), else its key. Never wider.</summary>
    public static string Scope(GatewayContext ctx, CachePolicy policy) =>
        policy.Scope == CacheScope.Team && ctx.TeamId is { } team ? "team:" + team : "key:" + (ctx.KeyId ?? "anonymous");
}
