using Microsoft.Data.Sqlite;

namespace Switchyard.Usage;

/// <summary>
/// Recorded spend for the budgets, from the usage records in the SQLite database (its own connection: the writer's
/// is the writer's). Queried once per budget and period, so an index per owner column keeps it cheap on a large table.
/// </summary>
public sealed class SqliteSpendSource : ISpendSource, IDisposable
{
    private readonly SqliteConnection connection;
    private readonly Lock gate = new();

    /// <summary>Opens <paramref name="databasePath"/> (created by the usage store) and adds the owner indexes it needs.</summary>
    public SqliteSpendSource(string databasePath)
    {
        connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = databasePath, Pooling = false, DefaultTimeout = 5 }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA busy_timeout = 5000;" + SqliteUsageQuery.Indexes; // the owner indexes the usage views use too
        command.ExecuteNonQuery();
    }

    /// <inheritdoc />
    public long SpentSince(SpendOwner owner, DateTimeOffset since)
    {
        lock (gate)
        {
            using var command = connection.CreateCommand();
            command.CommandText = owner.Kind switch
            {
                SpendOwnerKind.Key => "SELECT COALESCE(SUM(cost_micros), 0) FROM usage_records WHERE key_id = $id AND started_at_ms >= $since",
                SpendOwnerKind.Team => "SELECT COALESCE(SUM(cost_micros), 0) FROM usage_records WHERE team_id = $id AND started_at_ms >= $since",
                _ => "SELECT COALESCE(SUM(cost_micros), 0) FROM usage_records WHERE customer_id = $id AND team_id IS $team AND started_at_ms >= $since",
            };
            command.Parameters.AddWithValue("$id", owner.Id);
            command.Parameters.AddWithValue("$team", (object?)owner.TeamId ?? DBNull.Value);
            command.Parameters.AddWithValue("$since", since.ToUnixTimeMilliseconds());
            return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    /// <inheritdoc />
    public void Dispose() => connection.Dispose();
}
