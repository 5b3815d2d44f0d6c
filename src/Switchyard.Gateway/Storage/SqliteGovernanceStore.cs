using Microsoft.Data.Sqlite;

namespace Switchyard.Storage;

/// <summary>
/// Virtual keys, teams and customers in SQLite (WAL mode), in the gateway's database file beside the usage
/// records and the response store, on a connection of its own. Writes come only from the admin API, one at a
/// time (the governance directory serialises them), and every one commits before the API answers, so what the
/// API confirmed survives a crash. Schema: <see cref="GovernanceSchema"/>.
/// </summary>
public sealed class SqliteGovernanceStore : IGovernanceStore
{
    private const string KeyColumns =
        "id, name, hash, prefix, role, allow_routing_overrides, team_id, customer_id, expires_at_ms, policy, " +
        "created_at_ms, updated_at_ms, revoked_at_ms, previous_hash, previous_valid_until_ms, created_by";

    private readonly SqliteConnection connection;
    private readonly Lock gate = new();

    /// <summary>Opens (creating or migrating if needed) the database at <paramref name="path"/>.</summary>
    /// <param name="path">Database file (shared with the usage and response stores).</param>
    /// <param name="busyTimeoutSeconds">How long a statement waits for a lock held by another connection.</param>
    public SqliteGovernanceStore(string path, int busyTimeoutSeconds = 5)
    {
        connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Pooling = false,
            DefaultTimeout = busyTimeoutSeconds,
        }.ToString());
        connection.Open();
        using (var pragmas = connection.CreateCommand())
        {
            // FULL: an admin change (a revocation above all) is on disk when the API confirms it.
            pragmas.CommandText = $"PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout = {busyTimeoutSeconds * 1000};";
            pragmas.ExecuteNonQuery();
        }

        GovernanceSchema.Migrate(connection);
    }

    /// <inheritdoc />
    public GovernanceData Load()
    {
        lock (gate)
        {
            return new GovernanceData(ReadKeys(), ReadTeams(), ReadCustomers());
        }
    }

    /// <inheritdoc />
    public void SaveKey(VirtualKey key)
    {
        var p = key.Policy;
        lock (gate)
        {
            using var cmd = Command($"""
                INSERT INTO virtual_keys ({KeyColumns})
                VALUES ($id, $name, $hash, $prefix, $role, $overrides, $team, $customer, $expires, $policy, $created, $updated, $revoked, $previous, $previous_until, $created_by)
                ON CONFLICT (id) DO UPDATE SET name = excluded.name, hash = excluded.hash, prefix = excluded.prefix, role = excluded.role,
                  allow_routing_overrides = excluded.allow_routing_overrides, team_id = excluded.team_id, customer_id = excluded.customer_id,
                  expires_at_ms = excluded.expires_at_ms, policy = excluded.policy, updated_at_ms = excluded.updated_at_ms,
                  revoked_at_ms = excluded.revoked_at_ms, previous_hash = excluded.previous_hash,
                  previous_valid_until_ms = excluded.previous_valid_until_ms
                """);
            Add(cmd, "$id", key.Id);
            Add(cmd, "$name", key.Name);
            Add(cmd, "$hash", key.Hash);
            Add(cmd, "$prefix", key.Prefix);
            Add(cmd, "$role", GovernanceRules.RoleName(key.Role));
            Add(cmd, "$overrides", key.AllowRoutingOverrides ? 1 : 0);
            Add(cmd, "$team", p.TeamId);
            Add(cmd, "$customer", p.CustomerId);
            Add(cmd, "$expires", p.ExpiresAt?.ToUnixTimeMilliseconds());
            Add(cmd, "$policy", GovernancePolicyJson.Write(p.AllowedModels, p.AllowedRoutes, p.Metadata, p.Limits, p.Budget, p.ModelLimits, p.Guardrails));
            Add(cmd, "$created", key.CreatedAt.ToUnixTimeMilliseconds());
            Add(cmd, "$updated", key.UpdatedAt.ToUnixTimeMilliseconds());
            Add(cmd, "$revoked", key.RevokedAt?.ToUnixTimeMilliseconds());
            Add(cmd, "$previous", key.PreviousHash);
            Add(cmd, "$previous_until", key.PreviousValidUntil?.ToUnixTimeMilliseconds());
            Add(cmd, "$created_by", key.CreatedBy);
            cmd.ExecuteNonQuery();
        }
    }

    /// <inheritdoc />
    public void SaveTeam(TeamInfo team)
    {
        lock (gate)
        {
            using var cmd = Command("""
                INSERT INTO teams (id, name, policy) VALUES ($id, $name, $policy)
                ON CONFLICT (id) DO UPDATE SET name = excluded.name, policy = excluded.policy
                """);
            Add(cmd, "$id", team.Id);
            Add(cmd, "$name", team.Name);
            Add(cmd, "$policy", GovernancePolicyJson.Write(team.AllowedModels, [], null, team.Limits, team.Budget));
            cmd.ExecuteNonQuery();
        }
    }

    /// <inheritdoc />
    public bool DeleteTeam(string id)
    {
        lock (gate)
        {
            using var cmd = Command("DELETE FROM teams WHERE id = $id");
            Add(cmd, "$id", id);
            return cmd.ExecuteNonQuery() > 0;
        }
    }

    /// <inheritdoc />
    public void SaveCustomer(CustomerInfo customer)
    {
        lock (gate)
        {
            using var cmd = Command("""
                INSERT INTO customers (team_id, id, name, policy) VALUES ($team, $id, $name, $policy)
                ON CONFLICT (team_id, id) DO UPDATE SET name = excluded.name, policy = excluded.policy
                """);
            Add(cmd, "$team", customer.TeamId);
            Add(cmd, "$id", customer.Id);
            Add(cmd, "$name", customer.Name);
            Add(cmd, "$policy", GovernancePolicyJson.Write([], [], null, customer.Limits, customer.Budget));
            cmd.ExecuteNonQuery();
        }
    }

    /// <inheritdoc />
    public bool DeleteCustomer(string teamId, string id)
    {
        lock (gate)
        {
            using var cmd = Command("DELETE FROM customers WHERE team_id = $team AND id = $id");
            Add(cmd, "$team", teamId);
            Add(cmd, "$id", id);
            return cmd.ExecuteNonQuery() > 0;
        }
    }

    /// <inheritdoc />
    public void Dispose() => connection.Dispose();

    private List<VirtualKey> ReadKeys()
    {
        using var cmd = Command($"SELECT {KeyColumns} FROM virtual_keys ORDER BY id");
        using var rd = cmd.ExecuteReader();
        var keys = new List<VirtualKey>();
        while (rd.Read())
        {
            keys.Add(ReadKey(rd));
        }

        return keys;
    }

    private static VirtualKey ReadKey(SqliteDataReader rd)
    {
        var policy = GovernancePolicyJson.Read(rd.GetString(9));
        return new VirtualKey(rd.GetString(0), rd.GetString(1), (byte[])rd[2], rd.GetString(3))
        {
            Role = GovernanceRules.ParseRole(rd.GetString(4)) ?? throw new InvalidDataException($"Key {rd.GetString(0)} has an unknown role; it was written by a newer gateway."),
            AllowRoutingOverrides = rd.GetInt64(5) != 0,
            Policy = new KeyPolicy
            {
                TeamId = NullableString(rd, 6),
                CustomerId = NullableString(rd, 7),
                ExpiresAt = Time(rd, 8),
                AllowedModels = policy.AllowedModels,
                AllowedRoutes = policy.AllowedRoutes,
                Metadata = policy.Metadata,
                Limits = policy.Limits,
                ModelLimits = policy.ModelLimits,
                Guardrails = policy.Guardrails,
                Budget = policy.Budget,
            },
            CreatedAt = Time(rd, 10)!.Value,
            UpdatedAt = Time(rd, 11)!.Value,
            RevokedAt = Time(rd, 12),
            PreviousHash = rd.IsDBNull(13) ? null : (byte[])rd[13],
            PreviousValidUntil = Time(rd, 14),
            CreatedBy = NullableString(rd, 15),
        };
    }

    private List<TeamInfo> ReadTeams()
    {
        using var cmd = Command("SELECT id, name, policy FROM teams ORDER BY id");
        using var rd = cmd.ExecuteReader();
        var teams = new List<TeamInfo>();
        while (rd.Read())
        {
            var policy = GovernancePolicyJson.Read(rd.GetString(2));
            teams.Add(new TeamInfo(rd.GetString(0), rd.GetString(1))
            {
                AllowedModels = policy.AllowedModels,
                Limits = policy.Limits,
                Budget = policy.Budget,
            });
        }

        return teams;
    }

    private List<CustomerInfo> ReadCustomers()
    {
        using var cmd = Command("SELECT team_id, id, name, policy FROM customers ORDER BY team_id, id");
        using var rd = cmd.ExecuteReader();
        var customers = new List<CustomerInfo>();
        while (rd.Read())
        {
            var policy = GovernancePolicyJson.Read(rd.GetString(3));
            customers.Add(new CustomerInfo(rd.GetString(1), rd.GetString(0))
            {
                Name = NullableString(rd, 2),
                Limits = policy.Limits,
                Budget = policy.Budget,
            });
        }

        return customers;
    }

    private SqliteCommand Command(string sql)
    {
        var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        return cmd;
    }

    private static void Add(SqliteCommand cmd, string name, object? value) => cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);

    private static string? NullableString(SqliteDataReader rd, int i) => rd.IsDBNull(i) ? null : rd.GetString(i);

    private static DateTimeOffset? Time(SqliteDataReader rd, int i) => rd.IsDBNull(i) ? null : DateTimeOffset.FromUnixTimeMilliseconds(rd.GetInt64(i));
}
