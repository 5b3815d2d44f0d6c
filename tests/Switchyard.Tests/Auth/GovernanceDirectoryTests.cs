using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Switchyard.Auth;

namespace Switchyard.Tests.Auth;

/// <summary>
/// The directory merges the config file with the store and feeds the key index: stored keys survive a reload,
/// the file wins an id collision, revocation and rotation change the index at once, and the gateway is open only
/// while no key of any kind exists.
/// </summary>
public sealed class GovernanceDirectoryTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);

    private static GatewayConfig Config(params ClientKey[] keys) =>
        Configuration.ConfigTestSupport.LoadValid("models: {}") with { Auth = new AuthSettings("M", null, keys) };

    private static VirtualKey Stored(string id, string secret) =>
        new(id, id, KeyHasher.Hash(secret), secret[..10]) { CreatedAt = T0, UpdatedAt = T0, Policy = new KeyPolicy { TeamId = "t" } };

    private static (GovernanceDirectory Directory, KeyStore Keys, MemoryStore Store, KeyAdmin Admin, FakeTimeProvider Time) Build(GatewayConfig config, params VirtualKey[] stored)
    {
        var store = new MemoryStore();
        foreach (var key in stored)
        {
            store.SaveKey(key);
        }

        var time = new FakeTimeProvider(T0);
        var keys = new KeyStore(config.Auth, time);
        var directory = new GovernanceDirectory(config, store, keys, NullLogger<GovernanceDirectory>.Instance);
        return (directory, keys, store, new KeyAdmin(directory, time, NullLogger<KeyAdmin>.Instance), time);
    }

    [Fact]
    public void StoredKeys_AuthenticateFromTheStart_AndSurviveAReload()
    {
        var (directory, keys, _, _, _) = Build(Config(new ClientKey("app", KeyHasher.Hash("sk-app"))), Stored("key_a", "sk-sy-aaaaaaaaaa"));

        Assert.Equal("t", keys.Find(KeyHasher.Hash("sk-sy-aaaaaaaaaa"))!.Policy.TeamId);
        directory.Configure(Config(new ClientKey("other", KeyHasher.Hash("sk-other"))));

        Assert.Equal("key_a", keys.Find(KeyHasher.Hash("sk-sy-aaaaaaaaaa"))!.KeyId);
        Assert.Null(keys.Find(KeyHasher.Hash("sk-app")));
        Assert.Equal("other", keys.Find(KeyHasher.Hash("sk-other"))!.KeyId);
    }

    [Fact]
    public void AFileKeyWithAStoredKeysId_ShadowsIt()
    {
        var (_, keys, _, _, _) = Build(Config(new ClientKey("key_a", KeyHasher.Hash("sk-file"))), Stored("key_a", "sk-sy-aaaaaaaaaa"));

        Assert.Null(keys.Find(KeyHasher.Hash("sk-sy-aaaaaaaaaa")));
        Assert.Equal("key_a", keys.Find(KeyHasher.Hash("sk-file"))!.KeyId);
    }

    [Fact]
    public void Revoke_RemovesTheKeyFromTheIndexAtOnce_AndTheStoreHasIt()
    {
        var (_, keys, store, admin, _) = Build(Config(new ClientKey("app", KeyHasher.Hash("sk-app"))), Stored("key_a", "sk-sy-aaaaaaaaaa"));

        var result = admin.Revoke(new Caller(Caller.MasterId, KeyRole.Admin), "key_a");

        Assert.Null(result.Error);
        Assert.Null(keys.Find(KeyHasher.Hash("sk-sy-aaaaaaaaaa")));
        Assert.NotNull(Assert.Single(store.Load().Keys).RevokedAt);
    }

    [Fact]
    public void Rotate_WithGrace_KeepsThePreviousSecretUntilItEnds()
    {
        var (_, keys, _, admin, time) = Build(Config(new ClientKey("app", KeyHasher.Hash("sk-app"))), Stored("key_a", "sk-sy-aaaaaaaaaa"));

        var issued = admin.Rotate(new Caller(Caller.MasterId, KeyRole.Admin), "key_a", TimeSpan.FromMinutes(5)).Value!;

        Assert.Equal("key_a", keys.Find(KeyHasher.Hash(issued.Secret))!.KeyId);
        Assert.Equal("key_a", keys.Find(KeyHasher.Hash("sk-sy-aaaaaaaaaa"))!.KeyId);
        time.Advance(TimeSpan.FromMinutes(5));
        Assert.Null(keys.Find(KeyHasher.Hash("sk-sy-aaaaaaaaaa")));
        Assert.NotNull(keys.Find(KeyHasher.Hash(issued.Secret)));
    }

    [Fact]
    public void OpenOnlyWhileNoKeyOfAnyKindExists()
    {
        Assert.True(Build(Config()).Keys.IsOpen);
        Assert.False(Build(Config(), Stored("key_a", "sk-sy-aaaaaaaaaa")).Keys.IsOpen);
        Assert.True(Build(Config(), Stored("key_a", "sk-sy-aaaaaaaaaa") with { RevokedAt = T0 }).Keys.IsOpen);
    }

    [Fact]
    public void Save_WithoutTheLock_Throws()
    {
        var (directory, _, _, _, _) = Build(Config());

        Assert.Throws<InvalidOperationException>(() => directory.Save(Stored("key_a", "sk-sy-aaaaaaaaaa")));
    }

    [Fact]
    public void Customer_WithoutATeam_FindsItInAnyTeam()
    {
        var config = Config() with { Teams = [new TeamInfo("t", "T")], Customers = [new CustomerInfo("acme", "t") { Name = "Acme" }] };
        var (directory, _, _, _, _) = Build(config);

        Assert.Equal("Acme", directory.Customer(null, "acme")!.Name);
        Assert.Equal("Acme", directory.Customer("t", "acme")!.Name);
        Assert.Null(directory.Customer("other", "acme"));
        Assert.Equal("T", directory.Team("t")!.Name);
    }

    /// <summary>An in-memory <see cref="IGovernanceStore"/>.</summary>
    private sealed class MemoryStore : IGovernanceStore
    {
        private readonly Dictionary<string, VirtualKey> keys = [];
        private readonly Dictionary<string, TeamInfo> teams = [];
        private readonly Dictionary<(string, string), CustomerInfo> customers = [];

        public GovernanceData Load() => new([.. keys.Values], [.. teams.Values], [.. customers.Values]);

        public void SaveKey(VirtualKey key) => keys[key.Id] = key;

        public void SaveTeam(TeamInfo team) => teams[team.Id] = team;

        public bool DeleteTeam(string id) => teams.Remove(id);

        public void SaveCustomer(CustomerInfo customer) => customers[(customer.TeamId, customer.Id)] = customer;

        public bool DeleteCustomer(string teamId, string id) => customers.Remove((teamId, id));

        public void Dispose()
        {
        }
    }
}
