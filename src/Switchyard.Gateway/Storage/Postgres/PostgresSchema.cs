using Npgsql;

namespace Switchyard.Storage.Postgres;

/// <summary>
/// Versioned migrations of the PostgreSQL stores, one component each (<c>usage</c>, <c>governance</c>,
/// <c>responses</c>) in <c>schema_version</c>, as in the SQLite file. A component's migrations are a list: version
/// N is the list's first N scripts, and a database at version V runs scripts V+1..N, all in one transaction with
/// the new version, so a failed migration leaves the old schema whole. A database written by a newer gateway is
/// refused rather than misread.
/// </summary>
/// <remarks>
/// Replicas start together: a transaction-scoped advisory lock (per schema) makes the second wait for the first
/// and then find the tables made, instead of both running <c>CREATE TABLE</c> and one failing. Tables are created
/// unqualified, in the first schema of the connection's search path (<c>Search Path=...</c> in the connection
/// string picks another one than <c>public</c>; the tests give each test a schema of its own that way).
/// </remarks>
public static class PostgresSchema
{
    /// <summary>Brings <paramref name="component"/> to version <c>scripts.Count</c>; throws for a newer database.</summary>
    public static void Migrate(PostgresDatabase database, string component, IReadOnlyList<string> scripts)
    {
        using var c = database.Open();
        using var tx = c.BeginTransaction();
        Exec(c, tx, """
            SELECT pg_advisory_xact_lock(hashtext('switchyard.schema_version:' || current_schema()));
            CREATE TABLE IF NOT EXISTS schema_version (component text PRIMARY KEY, version integer NOT NULL);
            """);
        var version = Version(c, tx, component);
        if (version > scripts.Count)
        {
            throw new InvalidOperationException(
                $"The {component} tables in this PostgreSQL database are schema version {version}, newer than this gateway reads ({scripts.Count}); use the newer gateway or another database.");
        }

        for (var v = version; v < scripts.Count; v++)
        {
            Exec(c, tx, scripts[v]);
        }

        if (version < scripts.Count)
        {
            using var write = new NpgsqlCommand(
                "INSERT INTO schema_version (component, version) VALUES (@c, @v) ON CONFLICT (component) DO UPDATE SET version = excluded.version", c, tx);
            write.Parameters.AddWithValue("c", component);
            write.Parameters.AddWithValue("v", scripts.Count);
            write.ExecuteNonQuery();
        }

        tx.Commit();
    }

    private static int Version(NpgsqlConnection c, NpgsqlTransaction tx, string component)
    {
        using var read = new NpgsqlCommand("SELECT version FROM schema_version WHERE component = @c", c, tx);
        read.Parameters.AddWithValue("c", component);
        return read.ExecuteScalar() is int version ? version : 0;
    }

    private static void Exec(NpgsqlConnection c, NpgsqlTransaction tx, string sql)
    {
        using var cmd = new NpgsqlCommand(sql, c, tx);
        cmd.ExecuteNonQuery();
    }
}
