using static Switchyard.Tests.Configuration.ConfigTestSupport;

namespace Switchyard.Tests.Configuration;

/// <summary><c>teams:</c> and the governance fields of <c>auth.keys</c>.</summary>
public sealed class TeamsConfigTests
{
    private const string Full = """
        teams:
          search:
            name: Search
            allowed_models: [chat, "openai/*"]
            limits: { rpm: 600, tpm: 1000000, input_tpm: 800000, output_tpm: 200000, concurrency: 20 }
            budget: { limit_usd: 250.75, period: weekly, time_zone: Europe/Paris, alert_at: [50%, 0.9], streams: finish, max_reservation_usd: 0.5 }
            customers:
              acme: { name: Acme, limits: { rpm: 10 } }
              user@example.com: { budget: { limit_usd: 5 } }
          ml: {}
        auth:
          keys:
            - id: search-app
              key_env: SEARCH_KEY
              team: search
              customer: acme
              allowed_models: [chat]
              allowed_routes: [premium]
              metadata: { env: prod }
              expires_at: 2027-01-31
              limits: { rpm: 60 }
              budget: { limit_usd: 10, period: daily }
        routes:
          premium:
            primary_model: switchyard/echo
        """;

    [Fact]
    public void LoadYaml_TeamsCustomersAndKeyPolicy_AreBoundFaithfully()
    {
        var config = LoadValid(Full, Env(("SEARCH_KEY", "sk-search")));

        var search = config.Teams[0];
        Assert.Equal(["search", "ml"], config.Teams.Select(t => t.Id));
        Assert.Equal(("Search", "ml"), (search.Name, config.Teams[1].Name));
        Assert.Equal(["chat", "openai/*"], search.AllowedModels);
        Assert.Equal(new LimitSet(600, 1_000_000, 800_000, 200_000, 20), search.Limits);
        Assert.Equal(250_750_000, search.Budget!.LimitMicros);
        Assert.Equal((BudgetPeriod.Weekly, "Europe/Paris", BudgetStreamMode.Finish, 500_000L), (search.Budget.Period, search.Budget.TimeZone, search.Budget.Streams, search.Budget.MaxReservationMicros!.Value));
        Assert.Equal([0.5, 0.9], search.Budget.AlertAt);
        Assert.Equal(["acme", "user@example.com"], config.Customers.Select(c => c.Id));
        Assert.All(config.Customers, c => Assert.Equal("search", c.TeamId));
        Assert.Equal(BudgetPeriod.Monthly, config.Customers[1].Budget!.Period); // the default period

        var policy = Assert.Single(config.Auth.Keys).Policy;
        Assert.Equal(("search", "acme"), (policy.TeamId, policy.CustomerId));
        Assert.Equal(["chat"], policy.AllowedModels);
        Assert.Equal(["premium"], policy.AllowedRoutes);
        Assert.Equal("prod", policy.Metadata["env"]);
        Assert.Equal(DateTimeOffset.Parse("2027-01-31T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture), policy.ExpiresAt);
        Assert.Equal(60, policy.Limits!.Rpm);
        Assert.Equal((10_000_000L, BudgetPeriod.Daily), (policy.Budget!.LimitMicros, policy.Budget.Period));
    }

    [Theory]
    [InlineData("teams:\n  search: { allowed_models: [\"gpt-*\"] }\n", "teams.search.allowed_models[0]")]
    [InlineData("teams:\n  search: { limits: { rpm: 0 } }\n", "teams.search.limits.rpm")]
    [InlineData("teams:\n  search: { limits: { rpn: 5 } }\n", "teams.search.limits.rpn")]
    [InlineData("teams:\n  search: { budget: { period: monthly } }\n", "teams.search.budget.limit_usd")]
    [InlineData("teams:\n  search: { budget: { limit_usd: 0.0000001 } }\n", "teams.search.budget.limit_usd")]
    [InlineData("teams:\n  search: { budget: { limit_usd: 1, period: hourly } }\n", "teams.search.budget.period")]
    [InlineData("teams:\n  search: { budget: { limit_usd: 1, time_zone: Mars/Base } }\n", "teams.search.budget.time_zone")]
    [InlineData("teams:\n  search: { budget: { limit_usd: 1, alert_at: [150%] } }\n", "teams.search.budget.alert_at")]
    [InlineData("teams:\n  \"has space\": {}\n", "teams.has space")]
    [InlineData("teams:\n  search: { owner: x }\n", "teams.search.owner")]
    [InlineData("auth:\n  keys:\n    - { id: a, hash: sha256:0000000000000000000000000000000000000000000000000000000000000000, team: nope }\n", "auth.keys[0].team")]
    [InlineData("auth:\n  keys:\n    - { id: a, hash: sha256:0000000000000000000000000000000000000000000000000000000000000000, allowed_routes: [nope] }\n", "auth.keys[0].allowed_routes[0]")]
    [InlineData("auth:\n  keys:\n    - { id: a, hash: sha256:0000000000000000000000000000000000000000000000000000000000000000, expires_at: soon }\n", "auth.keys[0].expires_at")]
    public void LoadYaml_InvalidGovernanceValue_IsOneErrorAtItsPath(string yaml, string path) =>
        Assert.NotEmpty(SingleErrorAt(yaml, path));
}
