using Switchyard.Governance;

namespace Switchyard.Batches;

/// <summary>
/// A batch against its key's budgets (its own, its team's: docs/adr/0017-beyond-chat.md, "Files and batches"). Nothing
/// can be reserved when it is created (what it will cost is unknown until its output exists), so a create is refused
/// only while a budget is already exhausted; when it ends, its cost is charged to the budgets as it is now (a zero
/// reservation settled at the cost: a budget already spent takes no reservation, and then learns of the cost from the
/// usage records when its spend is next rebuilt from them).
/// </summary>
public sealed class BatchBudgets(IBudgetCounters budgets, IGovernanceDirectory directory, IKeyStore keys)
{
    /// <summary>The 429 while one of <paramref name="caller"/>'s budgets has nothing left, else null.</summary>
    public async Task<ClientError?> ExhaustedAsync(Caller caller)
    {
        foreach (var scope in Scopes(caller))
        {
            var state = await budgets.PeekAsync(scope).ConfigureAwait(false);
            if (state.RemainingMicros <= 0)
            {
                return new ClientError(429, ErrorCategory.QuotaExceeded,
                    $"Budget {scope.Name} is exhausted until {state.ResetsAt:yyyy-MM-dd HH:mm} UTC: no batch can be created.", null, "insufficient_quota");
            }
        }

        return null;
    }

    /// <summary>Charges <paramref name="micros"/> to the budgets of key <paramref name="keyId"/> (none when the key is gone).</summary>
    public async Task ChargeAsync(string keyId, long micros)
    {
        if (micros <= 0 || keys.ById(keyId) is not { } caller)
        {
            return;
        }

        var scopes = Scopes(caller);
        if (scopes.Count == 0)
        {
            return;
        }

        var decision = await budgets.ReserveAsync(scopes, 0, TimeSpan.FromMinutes(1)).ConfigureAwait(false);
        decision.Reservation?.Settle(micros);
    }

    private List<BudgetScope> Scopes(Caller caller)
    {
        var policy = caller.Policy;
        List<BudgetScope> scopes = [];
        if (policy.Budget is { } own)
        {
            scopes.Add(new BudgetScope("key:" + caller.KeyId, own, new SpendOwner(SpendOwnerKind.Key, caller.KeyId)));
        }

        if (policy.TeamId is { } team && directory.Team(team) is { Budget: { } teamBudget })
        {
            scopes.Add(new BudgetScope("team:" + team, teamBudget, new SpendOwner(SpendOwnerKind.Team, team)));
        }

        return scopes;
    }
}
