using Microsoft.Extensions.Logging;

namespace Switchyard.Auth;

/// <summary>
/// Creates, updates and deletes teams and registered customers through the admin API. Those of the config file
/// are read-only here (409). A team still owning a key that is not revoked, or a registered customer, is not
/// deleted (409 says how many): its keys would lose their defaults silently.
/// </summary>
public sealed partial class TeamAdmin(GovernanceDirectory directory, ILogger<TeamAdmin> logger)
{
    /// <summary>Creates team <paramref name="id"/>.</summary>
    public AdminResult<TeamInfo> CreateTeam(Caller actor, string id, TeamChanges changes)
    {
        if (KeyAdmin.Field("id", GovernanceRules.CheckId(id)) is { } badId)
        {
            return badId;
        }

        if (!changes.Name.IsSet)
        {
            return AdminErrors.Invalid("name", "is required", "missing_field");
        }

        lock (directory.Sync)
        {
            if (directory.Current.Team(id) is not null)
            {
                return AdminErrors.Conflict($"A team with id '{id}' already exists.", "team_exists");
            }

            return SaveTeam(actor, new TeamInfo(id, ""), changes, "created");
        }
    }

    /// <summary>Changes what <paramref name="changes"/> sets.</summary>
    public AdminResult<TeamInfo> UpdateTeam(Caller actor, string id, TeamChanges changes)
    {
        lock (directory.Sync)
        {
            var view = directory.Current;
            if (TeamChangeable(view, id) is { } refused)
            {
                return refused;
            }

            return SaveTeam(actor, view.StoredTeams[id], changes, "updated");
        }
    }

    /// <summary>Deletes a team that owns no live key and no registered customer.</summary>
    public AdminResult<TeamInfo> DeleteTeam(Caller actor, string id)
    {
        lock (directory.Sync)
        {
            var view = directory.Current;
            if (TeamChangeable(view, id) is { } refused)
            {
                return refused;
            }

            var keys = view.StoredKeys.Values.Count(k => k.RevokedAt is null && k.Policy.TeamId == id);
            var customers = view.StoredCustomers.Keys.Count(c => c.Team == id);
            if (keys + customers > 0)
            {
                return AdminErrors.Conflict($"The team '{id}' still owns {keys} key(s) that are not revoked and {customers} registered customer(s); "
                    + "revoke or move the keys and delete the customers first.", "team_in_use");
            }

            var team = view.StoredTeams[id];
            directory.DeleteTeam(id);
            LogTeam(logger, actor.KeyId, "deleted", id);
            return team;
        }
    }

    /// <summary>Registers customer <paramref name="id"/> of team <paramref name="teamId"/>.</summary>
    public AdminResult<CustomerInfo> CreateCustomer(Caller actor, string teamId, string id, CustomerChanges changes)
    {
        if (KeyAdmin.Field("id", GovernanceRules.CheckCustomerId(id)) is { } badId)
        {
            return badId;
        }

        lock (directory.Sync)
        {
            var view = directory.Current;
            if (view.Team(teamId) is null)
            {
                return AdminErrors.Invalid("team", $"no team '{teamId}' exists", "unknown_team");
            }

            if (view.Customer(teamId, id) is not null)
            {
                return AdminErrors.Conflict($"The team '{teamId}' already has a customer '{id}'.", "customer_exists");
            }

            return SaveCustomer(actor, new CustomerInfo(id, teamId), changes, "registered");
        }
    }

    /// <summary>Changes what <paramref name="changes"/> sets.</summary>
    public AdminResult<CustomerInfo> UpdateCustomer(Caller actor, string teamId, string id, CustomerChanges changes)
    {
        lock (directory.Sync)
        {
            var view = directory.Current;
            if (CustomerChangeable(view, teamId, id) is { } refused)
            {
                return refused;
            }

            return SaveCustomer(actor, view.StoredCustomers[(teamId, id)], changes, "updated");
        }
    }

    /// <summary>Deletes a registered customer (its requests are still served, without its own limits and budget).</summary>
    public AdminResult<CustomerInfo> DeleteCustomer(Caller actor, string teamId, string id)
    {
        lock (directory.Sync)
        {
            var view = directory.Current;
            if (CustomerChangeable(view, teamId, id) is { } refused)
            {
                return refused;
            }

            var customer = view.StoredCustomers[(teamId, id)];
            directory.DeleteCustomer(teamId, id);
            LogCustomer(logger, actor.KeyId, "deleted", id, teamId);
            return customer;
        }
    }

    private AdminResult<TeamInfo> SaveTeam(Caller actor, TeamInfo team, TeamChanges changes, string action)
    {
        var next = team with
        {
            Name = changes.Name.Or(team.Name).Trim(),
            AllowedModels = changes.AllowedModels.Or(team.AllowedModels),
            Limits = changes.Limits.Or(team.Limits) is { IsEmpty: false } limits ? limits : null,
            Budget = changes.Budget.Or(team.Budget),
        };
        var error = (changes.Name.IsSet ? KeyAdmin.Field("name", GovernanceRules.CheckName(next.Name)) : null)
            ?? (changes.AllowedModels.IsSet ? KeyAdmin.CheckModels(next.AllowedModels) : null)
            ?? KeyAdmin.CheckLimits("limits", next.Limits)
            ?? KeyAdmin.CheckBudget("budget", next.Budget);
        if (error is not null)
        {
            return error.Value;
        }

        directory.Save(next);
        LogTeam(logger, actor.KeyId, action, next.Id);
        return next;
    }

    private AdminResult<CustomerInfo> SaveCustomer(Caller actor, CustomerInfo customer, CustomerChanges changes, string action)
    {
        var next = customer with
        {
            Name = changes.Name.Or(customer.Name)?.Trim(),
            Limits = changes.Limits.Or(customer.Limits) is { IsEmpty: false } limits ? limits : null,
            Budget = changes.Budget.Or(customer.Budget),
        };
        var error = (changes.Name.IsSet && next.Name is { } name ? KeyAdmin.Field("name", GovernanceRules.CheckName(name)) : null)
            ?? KeyAdmin.CheckLimits("limits", next.Limits)
            ?? KeyAdmin.CheckBudget("budget", next.Budget);
        if (error is not null)
        {
            return error.Value;
        }

        directory.Save(next);
        LogCustomer(logger, actor.KeyId, action, next.Id, next.TeamId);
        return next;
    }

    private static ClientError? TeamChangeable(GovernanceView view, string id) =>
        view.ConfigTeams.ContainsKey(id)
            ? AdminErrors.Conflict($"The team '{id}' is declared in the config file (teams:): it is read-only through the API; change it in the file.", "team_read_only")
            : view.StoredTeams.ContainsKey(id) ? null : AdminErrors.NotFound("team", id);

    private static ClientError? CustomerChangeable(GovernanceView view, string teamId, string id) =>
        view.ConfigCustomers.ContainsKey((teamId, id))
            ? AdminErrors.Conflict($"The customer '{id}' of team '{teamId}' is declared in the config file: it is read-only through the API.", "customer_read_only")
            : view.StoredCustomers.ContainsKey((teamId, id)) ? null : AdminErrors.NotFound("customer", id);

    [LoggerMessage(EventId = 4105, Level = LogLevel.Information, Message = "Admin {Actor} {Action} team {TeamId}")]
    private static partial void LogTeam(ILogger logger, string actor, string action, string teamId);

    [LoggerMessage(EventId = 4106, Level = LogLevel.Information, Message = "Admin {Actor} {Action} customer {CustomerId} of team {TeamId}")]
    private static partial void LogCustomer(ILogger logger, string actor, string action, string customerId, string teamId);
}
