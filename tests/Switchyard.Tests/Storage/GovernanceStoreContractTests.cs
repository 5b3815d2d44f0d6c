namespace Switchyard.Tests.Storage;

/// <summary>
/// The governance store on a real database, SQLite and PostgreSQL alike: round trips, upserts, deletes, reopening
/// (a new store on the same database, as another process or replica would open it), the schema version.
/// </summary>
public sealed class GovernanceStoreContractTests
{
    public static TheoryData<string> Kinds => StoreBackend.Kinds;

    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_000);

    private static VirtualKey Key(string id = "key_1") => new(id, "Billing", KeyHasher.Hash("sk-sy-" + id), "sk-sy-abcd")
    {
        Role = KeyRole.Operator,
        AllowRoutingOverrides = false,
        CreatedAt = T0,
        UpdatedAt = T0.AddSeconds(1),
        CreatedBy = "master",
        Policy = new KeyPolicy
        {
            TeamId = "search",
            CustomerId = "acme",
            AllowedModels = ["chat", "openai/*"],
            AllowedRoutes = ["premium"],
            Metadata = new Dictionary<string, string> { ["env"] = "prod", ["owner"] = "ana" },
            ExpiresAt = T0.AddDays(30),
            Limits = new LimitSet(Rpm: 60, Tpm: 100_000, Concurrency: 4) { OnUnreachable = RedisFallback.Local },
            Budget = new BudgetRule(12_500_000, BudgetPeriod.Weekly)
            {
                TimeZone = "Europe/Paris", AlertAt = [0.5, 0.8], Streams = BudgetStreamMode.Finish, MaxReservationMicros = 250_000,
                OnUnreachable = RedisFallback.FailClosed,
            },
        },
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void SaveKey_ThenLoad_InAnotherProcessLifetime_IsTheSameKey(string kind)
    {
        var key = Key();
        using var backend = StoreBackend.Create(kind);
        using (var store = backend.Governance())
        {
            store.SaveKey(key);
        }

        using var reopened = backend.Governance();
        var loaded = Assert.Single(reopened.Load().Keys);
        Assert.Equal(key.Hash, loaded.Hash);
        Assert.Equal(key with { Hash = loaded.Hash, Policy = loaded.Policy }, loaded);
        Assert.Equal(key.Policy.AllowedModels, loaded.Policy.AllowedModels);
        Assert.Equal(key.Policy.AllowedRoutes, loaded.Policy.AllowedRoutes);
        Assert.Equal(key.Policy.Metadata.OrderBy(m => m.Key), loaded.Policy.Metadata.OrderBy(m => m.Key));
        Assert.Equal(key.Policy.Limits, loaded.Policy.Limits);
        Assert.Equal(key.Policy.Budget!.AlertAt, loaded.Policy.Budget!.AlertAt);
        Assert.Equal(key.Policy.Budget with { AlertAt = loaded.Policy.Budget.AlertAt }, loaded.Policy.Budget);
        Assert.Equal((key.Policy.TeamId, key.Policy.CustomerId, key.Policy.ExpiresAt), (loaded.Policy.TeamId, loaded.Policy.CustomerId, loaded.Policy.ExpiresAt));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void SaveKey_ModelLimits_SurviveReopening(string kind)
    {
        var key = Key() with
        {
            Policy = Key().Policy with
            {
                ModelLimits = new Dictionary<string, LimitSet> { ["chat"] = new(Rpm: 10, Tpm: 20_000), ["llama3:8b"] = new(OutputTpm: 500, Concurrency: 1) },
            },
        };
        using var backend = StoreBackend.Create(kind);
        using (var store = backend.Governance())
        {
            store.SaveKey(key);
        }

        using var reopened = backend.Governance();
        var loaded = Assert.Single(reopened.Load().Keys).Policy;
        Assert.Equal(key.Policy.ModelLimits.OrderBy(m => m.Key, StringComparer.Ordinal), loaded.ModelLimits.OrderBy(m => m.Key, StringComparer.Ordinal));
        Assert.Equal(key.Policy.Limits, loaded.Limits);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void SaveKey_SameId_Replaces_KeepingCreatedAt(string kind)
    {
        using var backend = StoreBackend.Create(kind);
        using var store = backend.Governance();
        store.SaveKey(Key());
        var rotated = Key() with
        {
            Hash = KeyHasher.Hash("sk-sy-new"), PreviousHash = Key().Hash, PreviousValidUntil = T0.AddMinutes(5), RevokedAt = T0.AddHours(1),
            Policy = KeyPolicy.None,
        };
        store.SaveKey(rotated);

        var loaded = Assert.Single(store.Load().Keys);
        Assert.Equal(rotated.Hash, loaded.Hash);
        Assert.Equal(rotated.PreviousHash, loaded.PreviousHash);
        Assert.Equal((T0.AddMinutes(5), T0.AddHours(1)), (loaded.PreviousValidUntil!.Value, loaded.RevokedAt!.Value));
        Assert.Null(loaded.Policy.TeamId);
        Assert.Empty(loaded.Policy.AllowedModels);
        Assert.Null(loaded.Policy.Budget);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void TeamsAndCustomers_SaveReplaceDelete(string kind)
    {
        using var backend = StoreBackend.Create(kind);
        using var store = backend.Governance();
        store.SaveTeam(new TeamInfo("search", "Search") { AllowedModels = ["chat"], Limits = new LimitSet(Rpm: 5) });
        store.SaveTeam(new TeamInfo("search", "Search v2") { Budget = new BudgetRule(1, BudgetPeriod.Lifetime) });
        store.SaveCustomer(new CustomerInfo("acme", "search") { Name = "Acme", Limits = new LimitSet(Tpm: 9) });
        store.SaveCustomer(new CustomerInfo("acme", "ml"));

        var data = store.Load();
        var team = Assert.Single(data.Teams);
        Assert.Equal(("Search v2", 0, BudgetPeriod.Lifetime), (team.Name, team.AllowedModels.Count, team.Budget!.Period));
        Assert.Null(team.Limits);
        Assert.Equal(2, data.Customers.Count);
        Assert.True(store.DeleteCustomer("ml", "acme"));
        Assert.False(store.DeleteCustomer("ml", "acme"));
        Assert.True(store.DeleteTeam("search"));
        Assert.False(store.DeleteTeam("search"));
        var left = Assert.Single(store.Load().Customers);
        Assert.Equal(("acme", "search", "Acme", 9L), (left.Id, left.TeamId, left.Name, left.Limits!.Tpm!.Value));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Open_NewerSchema_IsRefused_NotMisread(string kind)
    {
        using var backend = StoreBackend.Create(kind);
        backend.Governance().Dispose();
        backend.Exec("UPDATE schema_version SET version = 99 WHERE component = 'governance'");

        var ex = Assert.Throws<InvalidOperationException>(() => backend.Governance());
        Assert.Contains("version 99", ex.Message, StringComparison.Ordinal);
    }
}
