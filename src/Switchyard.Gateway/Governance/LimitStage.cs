using System.Globalization;

namespace Switchyard.Governance;

/// <summary>
/// Limits: the caller's requests, tokens and requests in flight per minute, per key, its team, key × model, and
/// the request's customer, taken all or nothing before routing spends anything. Tokens are reserved from the
/// prompt estimate and the output cap (or <see cref="DefaultOutputReservation"/>) and corrected to the real
/// counts when the request ends (a hold settled by Settle). A refusal is a 429 in the caller's format with
/// <c>Retry-After</c>; every answer to a limited key carries OpenAI's <c>x-ratelimit-*</c> headers. A dry run
/// decides the same and gives everything back at once.
/// </summary>
public sealed class LimitStage(ILimitCounters book, IGovernanceDirectory? directory = null) : IStage
{
    /// <summary>Output tokens reserved for a request that sets no cap, until its real count is known.</summary>
    public const int DefaultOutputReservation = 1024;

    /// <inheritdoc />
    public ValueTask<bool> RunAsync(GatewayContext ctx)
    {
        var scopes = Scopes(ctx);
        if (scopes is null)
        {
            return ValueTask.FromResult(true); // the common case: nothing limits this caller, nothing allocated
        }

        return LimitAsync(ctx, scopes);
    }

    private async ValueTask<bool> LimitAsync(GatewayContext ctx, List<LimitScope> scopes)
    {
        var needs = ctx.Request.Needs;
        var output = needs.MaxOutputTokens ?? OutputGuess(scopes, needs.EstimatedPromptTokens);
        var decision = await book.AcquireAsync(scopes, needs.EstimatedPromptTokens, output).ConfigureAwait(false);
        if (decision.Unavailable is { } reason)
        {
            return await ctx.RefuseAsync(new ClientError(503, ErrorCategory.Overloaded, reason, null, "rate_limits_unavailable")).ConfigureAwait(false);
        }

        WriteHeaders(ctx, decision);
        if (decision.Lease is not { } lease)
        {
            return await Refuse(ctx, decision.Refusal!).ConfigureAwait(false);
        }

        if (ctx.DryRun)
        {
            lease.Cancel(); // explain decides as for real and spends nothing
        }
        else
        {
            ctx.Hold(new Hold(lease));
        }

        return true;
    }

    /// <summary>
    /// The output reserved for a request without a cap: <see cref="DefaultOutputReservation"/>, but never more than
    /// the smallest token limit leaves after the prompt, so a guess alone never refuses a request as too large
    /// (the real count corrects the bucket when the request ends).
    /// </summary>
    internal static int OutputGuess(List<LimitScope> scopes, int prompt)
    {
        long room = DefaultOutputReservation;
        foreach (var scope in scopes)
        {
            if (scope.Limits.Tpm is { } tpm)
            {
                room = Math.Min(room, tpm - prompt);
            }

            if (scope.Limits.OutputTpm is { } outputTpm)
            {
                room = Math.Min(room, outputTpm);
            }
        }

        return (int)Math.Max(0, room);
    }

    /// <summary>The scopes with limits, or null when none has any.</summary>
    internal List<LimitScope>? Scopes(GatewayContext ctx)
    {
        if (ctx.Caller is not { } caller)
        {
            return null;
        }

        var policy = caller.Policy;
        List<LimitScope>? scopes = null;
        if (policy.Limits is { IsEmpty: false } own)
        {
            Add(ref scopes, "key:" + caller.KeyId, own); // the name is built only for a key that has limits
        }
        if (policy.ModelLimits.Count > 0 && ctx.Request.Model is { } model && policy.ModelLimits.TryGetValue(model, out var perModel)) // a files or batches call names none
        {
            Add(ref scopes, $"key-model:{caller.KeyId}/{model}", perModel);
        }

        if (policy.TeamId is { } team && directory?.Team(team) is { Limits: { } teamLimits })
        {
            Add(ref scopes, "team:" + team, teamLimits);
        }

        // A registered customer's limits, shared by every key that acts for it: its team's keys, or its own key. A key
        // without a team cannot reach another team's customer by naming it (that would spend the customer's limit).
        if (ctx.CustomerId is { } customer && (policy.TeamId is not null || policy.CustomerId == customer)
            && directory?.Customer(policy.TeamId, customer) is { Limits: { } customerLimits } registered)
        {
            Add(ref scopes, $"customer:{registered.TeamId}/{customer}", customerLimits);
        }

        return scopes;
    }

    private static void Add(ref List<LimitScope>? scopes, string name, LimitSet? limits)
    {
        if (limits is { IsEmpty: false })
        {
            (scopes ??= []).Add(new LimitScope(name, limits));
        }
    }

    /// <summary>OpenAI's six headers, from the most constrained request and token limits among the scopes.</summary>
    private static void WriteHeaders(GatewayContext ctx, LimitDecision decision)
    {
        var headers = ctx.Http.Response.Headers;
        Write(headers, "requests", decision.Requests);
        Write(headers, "tokens", decision.Tokens);
    }

    private static void Write(Microsoft.AspNetCore.Http.IHeaderDictionary headers, string what, RateLimitWindow? window)
    {
        if (window is { } w)
        {
            headers["x-ratelimit-limit-" + what] = w.Limit.ToString(CultureInfo.InvariantCulture);
            headers["x-ratelimit-remaining-" + what] = w.Remaining.ToString(CultureInfo.InvariantCulture);
            headers["x-ratelimit-reset-" + what] = Duration(w.Reset);
        }
    }

    /// <summary>OpenAI's duration format: <c>20ms</c>, <c>1.5s</c>, <c>6m0s</c>.</summary>
    internal static string Duration(TimeSpan t) => t switch
    {
        _ when t < TimeSpan.FromSeconds(1) => $"{(long)Math.Ceiling(t.TotalMilliseconds)}ms",
        _ when t < TimeSpan.FromMinutes(1) => $"{Math.Round(t.TotalSeconds, 3).ToString(CultureInfo.InvariantCulture)}s",
        _ => $"{(long)t.TotalMinutes}m{t.Seconds}s",
    };

    private static ValueTask<bool> Refuse(GatewayContext ctx, LimitRefusal refusal)
    {
        // Recorded as rate_limit_exceeded (the refusal code), apart from an upstream's 429 (rate_limited).
        var who = refusal.Scope.Replace(":", " '", StringComparison.Ordinal) + "'";
        if (refusal.RetryAfter is not { } wait)
        {
            return ctx.RefuseAsync(new ClientError(429, ErrorCategory.RateLimited,
                $"Request too large for {who} on {refusal.What}: Limit {refusal.Limit}, Requested {refusal.Requested}. Reduce the prompt or max_tokens.",
                null, "rate_limit_exceeded"));
        }

        ctx.Http.Response.Headers.RetryAfter = Math.Max(1, (long)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        return ctx.RefuseAsync(new ClientError(429, ErrorCategory.RateLimited,
            $"Rate limit reached for {who} on {refusal.What}: Limit {refusal.Limit}, Requested {refusal.Requested}. Please try again in {Duration(wait)}.",
            null, "rate_limit_exceeded"));
    }

    /// <summary>Settles the lease with the request's final token counts.</summary>
    private sealed class Hold(ILimitLease lease) : IRequestHold
    {
        public void Release(GatewayContext ctx) => lease.Settle(ctx.Usage.InputTokens, ctx.Usage.OutputTokens);
    }
}
