using Npgsql;
using Switchyard.Storage.Postgres;

namespace Switchyard.Usage;

/// <summary>Recorded spend for the budgets from the usage records on PostgreSQL (indexes from the usage schema's version 2).</summary>
public sealed class PostgresSpendSource(PostgresDatabase database) : ISpendSource
{
    /// <inheritdoc />
    public long SpentSince(SpendOwner owner, DateTimeOffset since)
    {
        using var connection = database.Open();
        using var command = new NpgsqlCommand(owner.Kind switch
        {
            SpendOwnerKind.Key => "SELECT COALESCE(SUM(cost_micros), 0)::bigint FROM usage_records WHERE key_id = @id AND started_at_ms >= @since",
            SpendOwnerKind.Team => "SELECT COALESCE(SUM(cost_micros), 0)::bigint FROM usage_records WHERE team_id = @id AND started_at_ms >= @since",
            _ => "SELECT COALESCE(SUM(cost_micros), 0)::bigint FROM usage_records WHERE customer_id = @id AND team_id IS NOT DISTINCT FROM @team AND started_at_ms >= @since",
        }, connection);
        command.Parameters.AddWithValue("id", owner.Id);
        command.Parameters.AddWithValue("team", (object?)owner.TeamId ?? DBNull.Value);
        command.Parameters.AddWithValue("since", since.ToUnixTimeMilliseconds());
        return (long)command.ExecuteScalar()!;
    }
}
