namespace Switchyard.Auth;

/// <summary>
/// One immutable snapshot of every key, team and customer: those of the config file (read-only through the
/// admin API) and those of the admin API (stored). Replaced whole on every change; readers never lock.
/// Ids are unique across both sources: the admin API refuses an id the file uses, and a file that later
/// declares an id the store already holds wins (the stored one is shadowed and logged at load).
/// </summary>
public sealed class GovernanceView
{
    private GovernanceView(
        AuthSettings auth,
        IReadOnlySet<string> routes,
        IReadOnlyDictionary<string, ClientKey> configKeys,
        IReadOnlyDictionary<string, VirtualKey> storedKeys,
        IReadOnlyDictionary<string, TeamInfo> configTeams,
        IReadOnlyDictionary<string, TeamInfo> storedTeams,
        IReadOnlyDictionary<(string Team, string Id), CustomerInfo> configCustomers,
        IReadOnlyDictionary<(string Team, string Id), CustomerInfo> storedCustomers)
    {
        Auth = auth;
        RouteNames = routes;
        ConfigKeys = configKeys;
        StoredKeys = storedKeys;
        ConfigTeams = configTeams;
        StoredTeams = storedTeams;
        ConfigCustomers = configCustomers;
        StoredCustomers = storedCustomers;
        KeyIds = [.. configKeys.Keys.Union(storedKeys.Keys, StringComparer.Ordinal).Order(StringComparer.Ordinal)];
        TeamIds = [.. configTeams.Keys.Union(storedTeams.Keys, StringComparer.Ordinal).Order(StringComparer.Ordinal)];
        Customers = [.. storedCustomers.Where(c => !configCustomers.ContainsKey(c.Key)).Select(c => c.Value).Concat(configCustomers.Values)
            .OrderBy(c => c.Id, StringComparer.Ordinal).ThenBy(c => c.TeamId, StringComparer.Ordinal)];
    }

    /// <summary>The config file's master key and keys.</summary>
    public AuthSettings Auth { get; }

    /// <summary>The conditional routes of the config file (a key's <c>allowed_routes</c> must name them).</summary>
    public IReadOnlySet<string> RouteNames { get; }

    /// <summary>The guardrail policies of the config file (a key's <c>guardrails</c> must name them).</summary>
    public IReadOnlyCollection<string> GuardrailNames => Config?.Guardrails.Keys ?? [];

    /// <summary>The config file this view was built from (null for a view built from parts).</summary>
    public GatewayConfig? Config { get; private init; }

    /// <summary><c>auth.keys</c> by id.</summary>
    public IReadOnlyDictionary<string, ClientKey> ConfigKeys { get; }

    /// <summary>Virtual keys by id, revoked ones included.</summary>
    public IReadOnlyDictionary<string, VirtualKey> StoredKeys { get; }

    /// <summary><c>teams:</c> of the file by id.</summary>
    public IReadOnlyDictionary<string, TeamInfo> ConfigTeams { get; }

    /// <summary>Teams of the admin API by id.</summary>
    public IReadOnlyDictionary<string, TeamInfo> StoredTeams { get; }

    /// <summary>Customers of the file by (team, id).</summary>
    public IReadOnlyDictionary<(string Team, string Id), CustomerInfo> ConfigCustomers { get; }

    /// <summary>Customers of the admin API by (team, id).</summary>
    public IReadOnlyDictionary<(string Team, string Id), CustomerInfo> StoredCustomers { get; }

    /// <summary>Every key id (file and store), in ordinal order: the order of listings.</summary>
    public IReadOnlyList<string> KeyIds { get; }

    /// <summary>Every team id, in ordinal order.</summary>
    public IReadOnlyList<string> TeamIds { get; }

    /// <summary>Every customer (the file's win over stored ones with the same team and id), by id then team.</summary>
    public IReadOnlyList<CustomerInfo> Customers { get; }

    /// <summary>The team with <paramref name="id"/> (the file's first), or null.</summary>
    public TeamInfo? Team(string id) => ConfigTeams.GetValueOrDefault(id) ?? StoredTeams.GetValueOrDefault(id);

    /// <summary>The customer <paramref name="id"/> of <paramref name="teamId"/>, or of any team when null.</summary>
    public CustomerInfo? Customer(string? teamId, string id)
    {
        if (teamId is not null)
        {
            return ConfigCustomers.GetValueOrDefault((teamId, id)) ?? StoredCustomers.GetValueOrDefault((teamId, id));
        }

        foreach (var c in Customers)
        {
            if (c.Id == id)
            {
                return c;
            }
        }

        return null;
    }

    /// <summary>Whether any key, file or stored, uses <paramref name="id"/>.</summary>
    public bool HasKeyId(string id) => ConfigKeys.ContainsKey(id) || StoredKeys.ContainsKey(id);

    /// <summary>Stored keys whose id a key of the file also uses: they do not authenticate while the file's key exists.</summary>
    public IEnumerable<string> ShadowedKeyIds => StoredKeys.Keys.Where(ConfigKeys.ContainsKey);

    /// <summary>
    /// The entries of the key index: the file's keys and master key, then every stored key that is not revoked
    /// (nor shadowed), with the previous secret of a rotation while its grace lasts.
    /// </summary>
    public IEnumerable<KeyEntry> KeyEntries()
    {
        foreach (var entry in KeyStore.Entries(Auth))
        {
            yield return entry;
        }

        foreach (var key in StoredKeys.Values)
        {
            if (key.RevokedAt is not null || ConfigKeys.ContainsKey(key.Id))
            {
                continue;
            }

            var caller = new Caller(key.Id, key.Role, key.AllowRoutingOverrides) { Policy = key.Policy };
            var notAfter = KeyStore.NotAfter(key.Policy.ExpiresAt);
            yield return new KeyEntry(key.Hash, caller, notAfter);
            if (key.PreviousHash is { } previous && key.PreviousValidUntil is { } until)
            {
                yield return new KeyEntry(previous, caller, Math.Min(notAfter, until.ToUnixTimeMilliseconds()));
            }
        }
    }

    /// <summary>No key exists at all (no master key, no file key, no stored key that is not revoked): the gateway is open.</summary>
    public bool IsOpen => Auth.IsOpen && StoredKeys.Values.All(k => k.RevokedAt is not null);

    /// <summary>The view of a config file and what the store holds.</summary>
    public static GovernanceView Build(GatewayConfig config, GovernanceData stored) => new(
        config.Auth,
        RouteNamesOf(config),
        config.Auth.Keys.ToDictionary(k => k.Id, StringComparer.Ordinal),
        stored.Keys.ToDictionary(k => k.Id, StringComparer.Ordinal),
        config.Teams.ToDictionary(t => t.Id, StringComparer.Ordinal),
        stored.Teams.ToDictionary(t => t.Id, StringComparer.Ordinal),
        config.Customers.ToDictionary(c => (c.TeamId, c.Id)),
        stored.Customers.ToDictionary(c => (c.TeamId, c.Id))) { Config = config };

    /// <summary>This view with the config file replaced (a reload).</summary>
    public GovernanceView WithConfig(GatewayConfig config) => new(
        config.Auth, RouteNamesOf(config),
        config.Auth.Keys.ToDictionary(k => k.Id, StringComparer.Ordinal), StoredKeys,
        config.Teams.ToDictionary(t => t.Id, StringComparer.Ordinal), StoredTeams,
        config.Customers.ToDictionary(c => (c.TeamId, c.Id)), StoredCustomers) { Config = config };

    /// <summary>This view with <paramref name="key"/> stored (added or replaced).</summary>
    public GovernanceView With(VirtualKey key) => Copy(keys: new Dictionary<string, VirtualKey>(StoredKeys, StringComparer.Ordinal) { [key.Id] = key });

    /// <summary>This view with <paramref name="team"/> stored, or with the team <paramref name="removedTeam"/> deleted.</summary>
    public GovernanceView With(TeamInfo? team, string? removedTeam = null)
    {
        var teams = new Dictionary<string, TeamInfo>(StoredTeams, StringComparer.Ordinal);
        if (team is not null)
        {
            teams[team.Id] = team;
        }

        if (removedTeam is not null)
        {
            teams.Remove(removedTeam);
        }

        return Copy(teams: teams);
    }

    /// <summary>This view with <paramref name="customer"/> stored, or with the customer <paramref name="removed"/> deleted.</summary>
    public GovernanceView With(CustomerInfo? customer, (string Team, string Id)? removed = null)
    {
        var customers = new Dictionary<(string Team, string Id), CustomerInfo>(StoredCustomers);
        if (customer is not null)
        {
            customers[(customer.TeamId, customer.Id)] = customer;
        }

        if (removed is { } gone)
        {
            customers.Remove(gone);
        }

        return Copy(customers: customers);
    }

    private GovernanceView Copy(
        IReadOnlyDictionary<string, VirtualKey>? keys = null,
        IReadOnlyDictionary<string, TeamInfo>? teams = null,
        IReadOnlyDictionary<(string Team, string Id), CustomerInfo>? customers = null) =>
        new(Auth, RouteNames, ConfigKeys, keys ?? StoredKeys, ConfigTeams, teams ?? StoredTeams, ConfigCustomers, customers ?? StoredCustomers) { Config = Config };

    private static HashSet<string> RouteNamesOf(GatewayConfig config) => config.Routes.Select(r => r.Name).ToHashSet(StringComparer.Ordinal);
}
