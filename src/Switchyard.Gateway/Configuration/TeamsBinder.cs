using System.Collections.Frozen;
using YamlDotNet.RepresentationModel;

namespace Switchyard.Configuration;

/// <summary>
/// Binds <c>teams:</c>: each team by id, with its name, the models its keys may use when a key names none,
/// its limits and budget, and its pre-registered customers. Teams of the file are read-only through the admin
/// API; keys of <c>auth.keys</c> may belong to them.
/// </summary>
internal static class TeamsBinder
{
    private static readonly FrozenSet<string> TeamKeys = FrozenSet.Create(StringComparer.Ordinal, "name", "allowed_models", "limits", "budget", "customers");

    private static readonly FrozenSet<string> CustomerKeys = FrozenSet.Create(StringComparer.Ordinal, "name", "limits", "budget");

    public static (List<TeamInfo> Teams, List<CustomerInfo> Customers) Bind(BindContext ctx, YamlNode? node, string path)
    {
        var teams = new List<TeamInfo>();
        var customers = new List<CustomerInfo>();
        foreach (var (id, value) in ctx.Entries(node, path) ?? [])
        {
            var teamPath = BindContext.Child(path, id);
            if (GovernanceRules.CheckId(id) is { } badId)
            {
                ctx.Error(teamPath, $"invalid team id: {badId}");
                continue;
            }

            var map = ctx.Map(value, teamPath, TeamKeys) ?? new MapView(teamPath, []);
            var name = ctx.String(map["name"], map.PathOf("name"))?.Trim() ?? id;
            if (GovernanceRules.CheckName(name) is { } badName)
            {
                ctx.Error(map.PathOf("name"), badName);
            }

            teams.Add(new TeamInfo(id, name)
            {
                AllowedModels = GovernanceBinder.Models(ctx, map["allowed_models"], map.PathOf("allowed_models")),
                Limits = GovernanceBinder.Limits(ctx, map["limits"], map.PathOf("limits")),
                Budget = GovernanceBinder.Budget(ctx, map["budget"], map.PathOf("budget")),
            });
            BindCustomers(ctx, map["customers"], map.PathOf("customers"), id, customers);
        }

        return (teams, customers);
    }

    private static void BindCustomers(BindContext ctx, YamlNode? node, string path, string teamId, List<CustomerInfo> customers)
    {
        foreach (var (id, value) in ctx.Entries(node, path) ?? [])
        {
            var customerPath = BindContext.Child(path, id);
            if (GovernanceRules.CheckCustomerId(id) is { } badId)
            {
                ctx.Error(customerPath, $"invalid customer id: {badId}");
                continue;
            }

            var map = ctx.Map(value, customerPath, CustomerKeys) ?? new MapView(customerPath, []);
            customers.Add(new CustomerInfo(id, teamId)
            {
                Name = ctx.String(map["name"], map.PathOf("name"))?.Trim(),
                Limits = GovernanceBinder.Limits(ctx, map["limits"], map.PathOf("limits")),
                Budget = GovernanceBinder.Budget(ctx, map["budget"], map.PathOf("budget")),
            });
        }
    }
}
