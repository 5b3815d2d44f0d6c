using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Switchyard.Governance;

/// <summary>
/// Budgets: after the plan is known and before anything is sent, the request reserves the most it can cost
/// (<see cref="BudgetEstimate"/>) in its key's, its team's and its registered customer's budgets, all or nothing
/// (<see cref="IBudgetCounters"/>: this replica's <see cref="BudgetLedger"/>, or the fleet's on Redis). Settle charges the real cost in its place. A request a budget cannot take meets its
/// route's <c>on_budget_exceeded</c> action: <c>fail</c>/<c>fail_closed</c> (the default) refuses it with a 429 in the
/// caller's format (OpenAI <c>insufficient_quota</c>, Anthropic <c>billing_error</c>, Google
/// <c>RESOURCE_EXHAUSTED</c>) and <c>x-should-retry: false</c>; any action that moves on keeps only the steps of the
/// plan whose own worst case fits (<c>downgrade</c>: only those cheaper than the intended one), recorded with the
/// fallback reason <c>budget_exceeded</c>. A stream whose reservation does not cover its worst case is stopped
/// with an error event when it reaches what it reserved, unless its budget says <c>streams: finish</c>.
/// </summary>
public sealed partial class BudgetStage(IBudgetCounters ledger, IDeliveredTokens counter, TimeProvider time, ILogger<BudgetStage> logger,
    IGovernanceDirectory? directory = null, JobReservations? jobs = null) : IStage
{
    /// <summary>The response header naming the budgets past one of their alert shares.</summary>
    public const string AlertHeader = "x-switchyard-budget-alert";

    /// <inheritdoc />
    public ValueTask<bool> RunAsync(GatewayContext ctx)
    {
        var scopes = Scopes(ctx);
        if (scopes is null || ctx.Plan.Length == 0)
        {
            return ValueTask.FromResult(true); // the common case: no budget, nothing allocated
        }

        return ReserveAsync(ctx, scopes);
    }

    private async ValueTask<bool> ReserveAsync(GatewayContext ctx, List<BudgetScope> scopes)
    {
        var day = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        var estimate = BudgetEstimate.UpperBoundMicros(ctx, day);
        var hold = HoldFor(ctx);
        var decision = await ledger.ReserveAsync(scopes, estimate, hold).ConfigureAwait(false);
        if (decision.Reservation is null && decision.Unavailable is null)
        {
            var moved = await MoveOnAsync(ctx, scopes, day, hold).ConfigureAwait(false);
            if (moved.Decision.Reservation is not null || moved.Decision.Unavailable is not null)
            {
                (decision, estimate) = moved;
            }
        }

        if (decision.Unavailable is { } reason)
        {
            return await ctx.RefuseAsync(new ClientError(503, ErrorCategory.Overloaded, reason, null, "budgets_unavailable")).ConfigureAwait(false);
        }

        if (decision.Reservation is not { } reservation)
        {
            return await Refuse(ctx, decision.Refusal!).ConfigureAwait(false);
        }

        WriteAlerts(ctx, scopes, decision.States);
        if (ctx.DryRun)
        {
            reservation.Settle(0); // explain decides as for real and spends nothing
            return true;
        }

        ctx.Hold(new Hold(reservation, jobs));
        if (ctx.Request.Stream && reservation.AllowanceMicros < estimate && HardStop(scopes))
        {
            ctx.StreamGuard = new BudgetStreamGuard(counter, BudgetEstimate.OutputTokensWithin(ctx, reservation.AllowanceMicros, day),
                Describe(scopes[0].Name));
        }

        return true;
    }

    /// <summary>The budgets that apply to the request, or null when none does.</summary>
    internal List<BudgetScope>? Scopes(GatewayContext ctx)
    {
        if (ctx.Caller is not { } caller)
        {
            return null;
        }

        var policy = caller.Policy;
        List<BudgetScope>? scopes = null;
        if (policy.Budget is { } own)
        {
            Add(ref scopes, "key:" + caller.KeyId, own, new SpendOwner(SpendOwnerKind.Key, caller.KeyId)); // named only when it has one
        }
        if (policy.TeamId is { } team && directory?.Team(team) is { Budget: { } teamBudget })
        {
            Add(ref scopes, "team:" + team, teamBudget, new SpendOwner(SpendOwnerKind.Team, team));
        }

        // As for limits: a key without a team cannot spend another team's customer's budget by naming it.
        if (ctx.CustomerId is { } customer && (policy.TeamId is not null || policy.CustomerId == customer)
            && directory?.Customer(policy.TeamId, customer) is { Budget: { } customerBudget } registered)
        {
            Add(ref scopes, $"customer:{registered.TeamId}/{customer}", customerBudget,
                new SpendOwner(SpendOwnerKind.Customer, customer, registered.TeamId));
        }

        return scopes;
    }

    private static void Add(ref List<BudgetScope>? scopes, string name, BudgetRule? rule, SpendOwner owner)
    {
        if (rule is not null)
        {
            (scopes ??= []).Add(new BudgetScope(name, rule, owner));
        }
    }

    /// <summary>Long enough for any request to end (its whole deadline twice); only a request that never reaches Settle is reclaimed.</summary>
    private static TimeSpan HoldFor(GatewayContext ctx) => ctx.Operation == Operation.Videos ? JobReservations.HoldFor
        : (ctx.Policy ?? FallbackPolicy.Default).RequestTimeout * 2 + TimeSpan.FromMinutes(1);

    /// <summary>
    /// The route's <c>on_budget_exceeded</c> action: no reservation to refuse; else the plan narrowed to the steps whose
    /// own worst case fits (cheaper than the intended one for <c>downgrade</c>), reserved for, with its estimate.
    /// </summary>
    private async ValueTask<(BudgetDecision Decision, long Estimate)> MoveOnAsync(GatewayContext ctx, List<BudgetScope> scopes, DateOnly day, TimeSpan hold)
    {
        var action = (ctx.Policy ?? FallbackPolicy.Default).ActionFor(FailureKind.BudgetExceeded);
        if (action is FallbackAction.Fail or FallbackAction.Retry || ctx.Plan.Length < 2)
        {
            return default;
        }

        var intended = ctx.Plan[0].Deployment.Config.Price?.At(day).Blended;
        var full = ctx.Plan;
        for (var i = 1; i < full.Length; i++)
        {
            var chosen = full[i].Deployment.Config.Price?.At(day);
            if (action == FallbackAction.Downgrade && (chosen is null || intended is null || chosen.Blended >= intended))
            {
                continue;
            }

            // The chosen step, then the later ones its reservation also covers (no dearer per token).
            ctx.Plan = [.. full[i..].Where((s, j) => j == 0 || NoDearer(s.Deployment.Config.Price?.At(day), chosen))];
            var estimate = BudgetEstimate.UpperBoundMicros(ctx, day);
            var decision = await ledger.ReserveAsync(scopes, estimate, hold).ConfigureAwait(false);
            if (decision.Reservation is not null || decision.Unavailable is not null)
            {
                ctx.Intended = full[0].Deployment;
                ctx.FallbackReason = FailureKind.BudgetExceeded;
                return (decision, estimate);
            }
        }

        ctx.Plan = full;
        return default;
    }

    private static bool NoDearer(Price? price, Price? than) =>
        price is not null && (than is null ? price.Blended == 0 : price.Input <= than.Input && price.Output <= than.Output);

    private static bool HardStop(List<BudgetScope> scopes) => scopes.Exists(s => s.Rule.Streams == BudgetStreamMode.HardStop);

    private static void WriteAlerts(GatewayContext ctx, List<BudgetScope> scopes, IReadOnlyList<BudgetState>? states)
    {
        if (states is null)
        {
            return;
        }

        string? alerts = null;
        for (var i = 0; i < scopes.Count; i++)
        {
            var scope = scopes[i];
            if (scope.Rule.AlertAt.Count == 0)
            {
                continue;
            }

            var state = states[i];
            var reached = scope.Rule.AlertAt.Where(a => state.SpentMicros >= a * state.LimitMicros).DefaultIfEmpty(0).Max();
            if (reached > 0)
            {
                var entry = $"{scope.Name}={Math.Round(reached * 100).ToString(CultureInfo.InvariantCulture)}%";
                alerts = alerts is null ? entry : alerts + ", " + entry;
            }
        }

        if (alerts is not null)
        {
            ctx.Http.Response.Headers[AlertHeader] = alerts;
        }
    }

    private ValueTask<bool> Refuse(GatewayContext ctx, BudgetRefusal refusal)
    {
        var state = refusal.State;
        LogRefused(logger, refusal.Scope, state.SpentMicros, state.ReservedMicros, state.LimitMicros);
        ctx.Http.Response.Headers["x-should-retry"] = "false"; // the OpenAI and Anthropic SDKs would otherwise retry a 429
        var resets = state.ResetsAt == DateTimeOffset.MaxValue ? "it does not reset" : "it resets at " + state.ResetsAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        return ctx.RefuseAsync(new ClientError(429, ErrorCategory.QuotaExceeded,
            $"You exceeded the budget of {Describe(refusal.Scope)}: {Usd(state.SpentMicros)} spent and {Usd(state.ReservedMicros)} reserved of " +
            $"{Usd(state.LimitMicros)}, and this request may cost up to {Usd(refusal.RequestedMicros)}; {resets}.", null, "insufficient_quota"));
    }

    private static string Describe(string scope) => scope.Replace(":", " '", StringComparison.Ordinal) + "'";

    private static string Usd(long micros) => "$" + (micros / 1_000_000m).ToString("0.00####", CultureInfo.InvariantCulture);

    [LoggerMessage(EventId = 4120, Level = LogLevel.Information, Message = "Budget refused a request: {Scope} spent {Spent} and reserved {Reserved} of {Limit} micro-USD")]
    private static partial void LogRefused(ILogger logger, string scope, long spent, long reserved, long limit);

    /// <summary>
    /// Settles the reservation at the request's recorded cost; for a job a provider accepted (a video create), hands it
    /// to <see cref="JobReservations"/> instead, to be settled at the job's cost when it completes.
    /// </summary>
    private sealed class Hold(IBudgetHold reservation, JobReservations? jobs) : IRequestHold
    {
        public void Release(GatewayContext ctx)
        {
            if (ctx.AcceptedJob is { } job && jobs is not null)
            {
                jobs.Keep(job, reservation);
                return;
            }

            reservation.Settle(ctx.CostMicros);
        }
    }
}
