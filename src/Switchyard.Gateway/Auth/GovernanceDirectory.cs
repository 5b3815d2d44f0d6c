using Microsoft.Extensions.Logging;

namespace Switchyard.Auth;

/// <summary>
/// Keys, teams and customers, from the config file and from the admin API's store, as one
/// <see cref="GovernanceView"/>. Every change (an admin write, a config reload) builds a new view and, from it,
/// a new key index for the <see cref="KeyStore"/>, both swapped in whole: the next request sees the change
/// (a revoked key fails from the next request on), no request sees half of one. The store is written first, so
/// nothing the API confirmed is lost at a restart, and it is never read on the request path.
/// </summary>
public sealed partial class GovernanceDirectory : IGovernanceDirectory
{
    private readonly IGovernanceStore store;
    private readonly KeyStore keys;
    private readonly ILogger logger;
    private GovernanceView view;
    private GatewayConfig config;

    /// <summary>Loads the store and publishes the keys of <paramref name="config"/> and the store together.</summary>
    public GovernanceDirectory(GatewayConfig config, IGovernanceStore store, KeyStore keys, ILogger<GovernanceDirectory> logger)
    {
        this.store = store;
        this.keys = keys;
        this.logger = logger;
        this.config = config;
        view = GovernanceView.Build(config, store.Load());
        Publish(view);
        LogShadowed(view);
    }

    /// <summary>
    /// Held by every admin change from its checks to its publication, so two changes never race (an id taken
    /// twice, an update lost). Admin changes are rare; requests never take it.
    /// </summary>
    public Lock Sync { get; } = new();

    /// <summary>
    /// Raised after every admin change is stored and published here, with what changed (<c>key:ID</c>, <c>team:ID</c>,
    /// <c>customer:TEAM/ID</c>): the fleet broadcasts it so other replicas reload (docs/adr/0013-redis-counters.md).
    /// </summary>
    public event Action<string>? Changed;

    /// <summary>
    /// Reads the store again and publishes it with the current config: another replica changed it (a broadcast), or
    /// this one may have missed such changes (the broadcast reconnected).
    /// </summary>
    public void Reload()
    {
        lock (Sync)
        {
            Publish(GovernanceView.Build(config, store.Load()));
        }
    }

    /// <summary>The current snapshot.</summary>
    public GovernanceView Current => Volatile.Read(ref view);

    /// <inheritdoc />
    public TeamInfo? Team(string id) => Current.Team(id);

    /// <inheritdoc />
    public CustomerInfo? Customer(string? teamId, string id) => Current.Customer(teamId, id);

    /// <summary>A config reload: the file's keys, teams and customers are replaced, the stored ones stay.</summary>
    public void Configure(GatewayConfig config)
    {
        lock (Sync)
        {
            this.config = config;
            var next = Current.WithConfig(config);
            Publish(next);
            LogShadowed(next);
        }
    }

    /// <summary>Stores <paramref name="key"/> (new or changed) and publishes it. The caller holds <see cref="Sync"/>.</summary>
    public void Save(VirtualKey key)
    {
        EnsureHeld();
        store.SaveKey(key);
        Publish(Current.With(key));
        Changed?.Invoke("key:" + key.Id);
    }

    /// <summary>Stores <paramref name="team"/> and publishes it. The caller holds <see cref="Sync"/>.</summary>
    public void Save(TeamInfo team)
    {
        EnsureHeld();
        store.SaveTeam(team);
        Publish(Current.With(team));
        Changed?.Invoke("team:" + team.Id);
    }

    /// <summary>Deletes the stored team <paramref name="id"/>. The caller holds <see cref="Sync"/>.</summary>
    public void DeleteTeam(string id)
    {
        EnsureHeld();
        store.DeleteTeam(id);
        Publish(Current.With(team: null, removedTeam: id));
        Changed?.Invoke("team:" + id);
    }

    /// <summary>Stores <paramref name="customer"/> and publishes it. The caller holds <see cref="Sync"/>.</summary>
    public void Save(CustomerInfo customer)
    {
        EnsureHeld();
        store.SaveCustomer(customer);
        Publish(Current.With(customer));
        Changed?.Invoke($"customer:{customer.TeamId}/{customer.Id}");
    }

    /// <summary>Deletes the stored customer. The caller holds <see cref="Sync"/>.</summary>
    public void DeleteCustomer(string teamId, string id)
    {
        EnsureHeld();
        store.DeleteCustomer(teamId, id);
        Publish(Current.With(customer: null, removed: (teamId, id)));
        Changed?.Invoke($"customer:{teamId}/{id}");
    }

    private void Publish(GovernanceView next)
    {
        // The view first: a request that authenticates with the new index finds the teams it refers to.
        Volatile.Write(ref view, next);
        keys.Replace(next.KeyEntries(), next.IsOpen);
    }

    private void EnsureHeld()
    {
        if (!Sync.IsHeldByCurrentThread)
        {
            throw new InvalidOperationException("Governance changes must hold GovernanceDirectory.Sync.");
        }
    }

    private void LogShadowed(GovernanceView v)
    {
        foreach (var id in v.ShadowedKeyIds)
        {
            LogShadowedKey(logger, id);
        }
    }

    [LoggerMessage(EventId = 4110, Level = LogLevel.Warning,
        Message = "The stored key {KeyId} does not authenticate: auth.keys in the config file declares the same id, and the file wins")]
    private static partial void LogShadowedKey(ILogger logger, string keyId);
}
