using Npgsql;

namespace Switchyard.Storage.Postgres;

/// <summary>
/// Virtual keys, teams and customers in PostgreSQL, shared by every replica: the same rows, upserts and policy
/// documents as <see cref="SqliteGovernanceStore"/> (docs/adr/0007-keys-and-teams.md), with PostgreSQL's types
/// (bytea hashes, bigint Unix milliseconds, boolean flags). Every write is one statement in its own implicit
/// transaction, committed before the admin API answers. Schema: <see cref="Schema"/>.
/// </summary>
public sealed class PostgresGovernanceStore : IGovernanceStore
{
    private const string KeyColumns =
        "id, name, hash, prefix, role, allow_routing_overrides, team_id, customer_id, expires_at_ms, policy, " +
        "created_at_ms, updated_at_ms, revoked_at_ms, previous_hash, previous_valid_until_ms, created_by";

    /// <summary>The component's migrations, in order (version 1 = the first script).</summary>
    internal static readonly string[] Schema =
    [
        """
        CREATE TABLE virtual_keys (
          id text PRIMARY KEY,
          name text NOT NULL,
          hash bytea NOT NULL UNIQUE,
          prefix text NOT NULL,
          role text NOT NULL,
          allow_routing_overrides boolean NOT NULL,
          team_id text,
          customer_id text,
          expires_at_ms bigint,
          policy text NOT NULL,
          created_at_ms bigint NOT NULL,
          updated_at_ms bigint NOT NULL,
          revoked_at_ms bigint,
          previous_hash bytea,
          previous_valid_until_ms bigint,
          created_by text);
        CREATE INDEX virtual_keys_team ON virtual_keys(team_id);
        CREATE INDEX virtual_keys_customer ON virtual_keys(customer_id);
        CREATE TABLE teams (id text PRIMARY KEY, name text NOT NULL, policy text NOT NULL);
        CREATE TABLE customers (team_id text NOT NULL, id text NOT NULL, name text, policy text NOT NULL, PRIMARY KEY (team_id, id));
        """,
    ];

    private readonly PostgresDatabase database;

    /// <summary>Creates or migrates the tables; throws when the server cannot be reached or the schema is newer.</summary>
    public PostgresGovernanceStore(PostgresDatabase database)
    {
        this.database = database;
        PostgresSchema.Migrate(database, "governance", Schema);
    }

    /// <inheritdoc />
    public GovernanceData Load()
    {
        using var c = database.Open();
        using var tx = c.BeginTransaction(System.Data.IsolationLevel.RepeatableRead); // one snapshot of the three tables
        try
        {
            return new GovernanceData(ReadKeys(c, tx), ReadTeams(c, tx), ReadCustomers(c, tx));
        }
        catch (Exception ex) when (database.Failed(ex))
        {
            throw;
        }
    }

    /// <inheritdoc />
    public void SaveKey(VirtualKey key)
    {
        var p = key.Policy;
        Execute($"""
            INSERT INTO virtual_keys ({KeyColumns})
            VALUES (@id, @name, @hash, @prefix, @role, @overrides, @team, @customer, @expires, @policy, @created, @updated, @revoked, @previous, @previous_until, @created_by)
            ON CONFLICT (id) DO UPDATE SET name = excluded.name, hash = excluded.hash, prefix = excluded.prefix, role = excluded.role,
              allow_routing_overrides = excluded.allow_routing_overrides, team_id = excluded.team_id, customer_id = excluded.customer_id,
              expires_at_ms = excluded.expires_at_ms, policy = excluded.policy, updated_at_ms = excluded.updated_at_ms,
              revoked_at_ms = excluded.revoked_at_ms, previous_hash = excluded.previous_hash,
              previous_valid_until_ms = excluded.previous_valid_until_ms
            """,
            ("id", key.Id), ("name", key.Name), ("hash", key.Hash), ("prefix", key.Prefix), ("role", GovernanceRules.RoleName(key.Role)),
            ("overrides", key.AllowRoutingOverrides), ("team", p.TeamId), ("customer", p.CustomerId), ("expires", Ms(p.ExpiresAt)),
            ("policy", GovernancePolicyJson.Write(p.AllowedModels, p.AllowedRoutes, p.Metadata, p.Limits, p.Budget, p.ModelLimits, p.Guardrails)),
            ("created", key.CreatedAt.ToUnixTimeMilliseconds()), ("updated", key.UpdatedAt.ToUnixTimeMilliseconds()),
            ("revoked", Ms(key.RevokedAt)), ("previous", key.PreviousHash), ("previous_until", Ms(key.PreviousValidUntil)), ("created_by", key.CreatedBy));
    }

    /// <inheritdoc />
    public void SaveTeam(TeamInfo team) => Execute("""
        INSERT INTO teams (id, name, policy) VALUES (@id, @name, @policy)
        ON CONFLICT (id) DO UPDATE SET name = excluded.name, policy = excluded.policy
        """,
        ("id", team.Id), ("name", team.Name), ("policy", GovernancePolicyJson.Write(team.AllowedModels, [], null, team.Limits, team.Budget)));

    /// <inheritdoc />
    public bool DeleteTeam(string id) => Execute("DELETE FROM teams WHERE id = @id", ("id", id)) > 0;

    /// <inheritdoc />
    public void SaveCustomer(CustomerInfo customer) => Execute("""
        INSERT INTO customers (team_id, id, name, policy) VALUES (@team, @id, @name, @policy)
        ON CONFLICT (team_id, id) DO UPDATE SET name = excluded.name, policy = excluded.policy
        """,
        ("team", customer.TeamId), ("id", customer.Id), ("name", customer.Name),
        ("policy", GovernancePolicyJson.Write([], [], null, customer.Limits, customer.Budget)));

    /// <inheritdoc />
    public bool DeleteCustomer(string teamId, string id) =>
        Execute("DELETE FROM customers WHERE team_id = @team AND id = @id", ("team", teamId), ("id", id)) > 0;

    /// <summary>The data source belongs to the composition root, which disposes it after every store.</summary>
    public void Dispose()
    {
    }

    private int Execute(string sql, params (string Name, object? Value)[] parameters)
    {
        try
        {
            using var c = database.Open();
            using var cmd = new NpgsqlCommand(sql, c);
            foreach (var (name, value) in parameters)
            {
                cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
            }

            return cmd.ExecuteNonQuery();
        }
        catch (Exception ex) when (database.Failed(ex))
        {
            throw;
        }
    }

    private static long? Ms(DateTimeOffset? time) => time?.ToUnixTimeMilliseconds();

    private static List<VirtualKey> ReadKeys(NpgsqlConnection c, NpgsqlTransaction tx)
    {
        using var cmd = new NpgsqlCommand($"SELECT {KeyColumns} FROM virtual_keys ORDER BY id COLLATE \"C\"", c, tx);
        using var rd = cmd.ExecuteReader();
        var keys = new List<VirtualKey>();
        while (rd.Read())
        {
            keys.Add(ReadKey(rd));
        }

        return keys;
    }

    private static VirtualKey ReadKey(NpgsqlDataReader rd)
    {
        var policy = GovernancePolicyJson.Read(rd.GetString(9));
        return new VirtualKey(rd.GetString(0), rd.GetString(1), rd.GetFieldValue<byte[]>(2), rd.GetString(3))
        {
            Role = GovernanceRules.ParseRole(rd.GetString(4)) ?? throw new InvalidDataException($"Key {rd.GetString(0)} has an unknown role; it was written by a newer gateway."),
            AllowRoutingOverrides = rd.GetBoolean(5),
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
            PreviousHash = rd.IsDBNull(13) ? null : rd.GetFieldValue<byte[]>(13),
            PreviousValidUntil = Time(rd, 14),
            CreatedBy = NullableString(rd, 15),
        };
    }

    private static List<TeamInfo> ReadTeams(NpgsqlConnection c, NpgsqlTransaction tx)
    {
        using var cmd = new NpgsqlCommand("SELECT id, name, policy FROM teams ORDER BY id COLLATE \"C\"", c, tx);
        using var rd = cmd.ExecuteReader();
        var teams = new List<TeamInfo>();
        while (rd.Read())
        {
            var policy = GovernancePolicyJson.Read(rd.GetString(2));
            teams.Add(new TeamInfo(rd.GetString(0), rd.GetString(1)) { AllowedModels = policy.AllowedModels, Limits = policy.Limits, Budget = policy.Budget });
        }

        return teams;
    }

    private static List<CustomerInfo> ReadCustomers(NpgsqlConnection c, NpgsqlTransaction tx)
    {
        using var cmd = new NpgsqlCommand("SELECT team_id, id, name, policy FROM customers ORDER BY team_id COLLATE \"C\", id COLLATE \"C\"", c, tx);
        using var rd = cmd.ExecuteReader();
        var customers = new List<CustomerInfo>();
        while (rd.Read())
        {
            var policy = GovernancePolicyJson.Read(rd.GetString(3));
            customers.Add(new CustomerInfo(rd.GetString(1), rd.GetString(0)) { Name = NullableString(rd, 2), Limits = policy.Limits, Budget = policy.Budget });
        }

        return customers;
    }

    private static string? NullableString(NpgsqlDataReader rd, int i) => rd.IsDBNull(i) ? null : rd.GetString(i);

    private static DateTimeOffset? Time(NpgsqlDataReader rd, int i) => rd.IsDBNull(i) ? null : DateTimeOffset.FromUnixTimeMilliseconds(rd.GetInt64(i));
}
