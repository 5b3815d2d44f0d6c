using Microsoft.Data.Sqlite;

namespace Switchyard.Storage;

/// <summary>
/// Versioned tables per component in one SQLite file: each component's version is a row of <c>schema_version</c>
/// (not <c>PRAGMA user_version</c>, one number for the whole file, which the stores share). Migrations are a list,
/// version N being the first N scripts; the missing ones run in one transaction. A database written by a newer
/// gateway is refused rather than misread.
/// </summary>
internal static class SqliteSchema
{
    /// <summary>Brings <paramref name="component"/>'s tables to <c>migrations.Length</c>; throws for a newer schema.</summary>
    /// <param name="connection">An open connection to the shared file.</param>
    /// <param name="component">The row of <c>schema_version</c> (<c>governance</c>, <c>responses</c>).</param>
    /// <param name="tables">What the tables are, for the error (e.g. "governance tables").</param>
    /// <param name="migrations">The scripts, oldest first.</param>
    public static void Migrate(SqliteConnection connection, string component, string tables, IReadOnlyList<string> migrations)
    {
        using var tx = connection.BeginTransaction();
        Exec(connection, tx, "CREATE TABLE IF NOT EXISTS schema_version (component TEXT PRIMARY KEY, version INTEGER NOT NULL)");
        var current = 0L;
        using (var read = connection.CreateCommand())
        {
            read.Transaction = tx;
            read.CommandText = "SELECT version FROM schema_version WHERE component = $c";
            read.Parameters.AddWithValue("$c", component);
            if (read.ExecuteScalar() is long version)
            {
                current = version;
            }
        }

        if (current > migrations.Count)
        {
            throw new InvalidOperationException(
                $"The {tables} in this database are schema version {current}, newer than this gateway reads ({migrations.Count}); use the newer gateway or another data_dir.");
        }

        for (var v = (int)current; v < migrations.Count; v++)
        {
            Exec(connection, tx, migrations[v]);
        }

        if (current < migrations.Count)
        {
            using var write = connection.CreateCommand();
            write.Transaction = tx;
            write.CommandText = "INSERT INTO schema_version (component, version) VALUES ($c, $v) ON CONFLICT (component) DO UPDATE SET version = excluded.version";
            write.Parameters.AddWithValue("$c", component);
            write.Parameters.AddWithValue("$v", migrations.Count);
            write.ExecuteNonQuery();
        }

        tx.Commit();
    }

    private static void Exec(SqliteConnection connection, SqliteTransaction tx, string sql)
    {
        using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }
}
