using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Switchyard.Auth;
using Switchyard.Governance;

namespace Switchyard.Endpoints;

/// <summary>
/// <c>GET /v1/admin/budgets</c> (admin role): every budget of a key, team or registered customer with its current
/// period (limit, spent, reserved, remaining, period start, reset), ordered by scope and paginated (<c>limit</c>,
/// <c>after</c>: a scope such as <c>key:key_abc</c>); <c>?scope=</c> shows one. Spent is what the ledger settled,
/// rebuilt from the usage records when a budget is first met after a start.
/// </summary>
public sealed class AdminBudgetsEndpoint(Authorizer authorizer, GovernanceDirectory directory, IBudgetCounters ledger)
{
    /// <summary><c>GET /v1/admin/budgets</c>.</summary>
    public async Task ListAsync(HttpContext http)
    {
        if (await AdminHttp.AuthorizeAsync(http, authorizer).ConfigureAwait(false) is null)
        {
            return;
        }

        if (AdminHttp.Page(http.Request, out var limit, out var after) is { } invalid)
        {
            await AdminHttp.ErrorAsync(http, invalid).ConfigureAwait(false);
            return;
        }

        var only = AdminHttp.Query(http.Request, "scope");
        var page = Scopes(directory.Current)
            .Where(s => only is null || s.Name == only)
            .OrderBy(s => s.Name, StringComparer.Ordinal)
            .Where(s => after is null || string.CompareOrdinal(s.Name, after) > 0)
            .Take(limit + 1)
            .ToList();
        var hasMore = page.Count > limit;
        var states = new List<(BudgetScope Scope, BudgetState State)>(Math.Min(limit, page.Count));
        foreach (var scope in page.Take(limit))
        {
            states.Add((scope, await ledger.PeekAsync(scope).ConfigureAwait(false))); // the fleet's state when budgets are shared
        }

        await AdminHttp.JsonAsync(http, 200, w => AdminHttp.List(w, states, hasMore, e => e.Scope.Name, (w, e) => Write(w, e.Scope, e.State)))
            .ConfigureAwait(false);
    }

    /// <summary>Every budget the governance data declares, as the budget stage names them.</summary>
    private static IEnumerable<BudgetScope> Scopes(GovernanceView view)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in view.KeyEntries())
        {
            if (entry.Caller.Policy.Budget is { } rule && seen.Add(entry.Caller.KeyId))
            {
                yield return new BudgetScope("key:" + entry.Caller.KeyId, rule, new SpendOwner(SpendOwnerKind.Key, entry.Caller.KeyId));
            }
        }

        foreach (var id in view.TeamIds)
        {
            if (view.Team(id)?.Budget is { } rule)
            {
                yield return new BudgetScope("team:" + id, rule, new SpendOwner(SpendOwnerKind.Team, id));
            }
        }

        foreach (var customer in view.Customers)
        {
            if (customer.Budget is { } rule)
            {
                yield return new BudgetScope($"customer:{customer.TeamId}/{customer.Id}", rule,
                    new SpendOwner(SpendOwnerKind.Customer, customer.Id, customer.TeamId));
            }
        }
    }

    private static void Write(Utf8JsonWriter w, BudgetScope scope, BudgetState state)
    {
        w.WriteStartObject();
        w.WriteString("scope", scope.Name);
        w.WriteString("period", scope.Rule.Period.ToString().ToLowerInvariant());
        w.WriteString("time_zone", scope.Rule.TimeZone);
        w.WriteNumber("limit_usd", state.LimitMicros / 1_000_000m);
        w.WriteNumber("spent_usd", state.SpentMicros / 1_000_000m);
        w.WriteNumber("reserved_usd", state.ReservedMicros / 1_000_000m);
        w.WriteNumber("remaining_usd", state.RemainingMicros / 1_000_000m);
        w.WriteString("period_start", Instant(state.PeriodStart));
        if (state.ResetsAt == DateTimeOffset.MaxValue)
        {
            w.WriteNull("resets_at");
        }
        else
        {
            w.WriteString("resets_at", Instant(state.ResetsAt));
        }

        w.WriteEndObject();
    }

    private static string Instant(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
