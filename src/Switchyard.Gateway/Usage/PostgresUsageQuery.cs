using System.Text;
using Npgsql;
using Switchyard.Storage.Postgres;

namespace Switchyard.Usage;

/// <summary>
/// <see cref="IUsageQuery"/> over the PostgreSQL <c>usage_records</c> table that <see cref="PostgresUsageStore"/> writes,
/// so the console's spend, request explorer and overview work on <c>storage.kind: postgres</c> as on SQLite: the same
/// queries (bounded by a time range, keyset-paginated), in PostgreSQL's dialect. Served by the store's
/// <c>(key_id|team_id|customer_id, started_at_ms)</c> and <c>started_at_ms</c> indexes; one pooled connection per query.
/// </summary>
public sealed partial class PostgresUsageQuery(PostgresDatabase database) : IUsageQuery
{
    private static readonly int RowIdOrdinal = PostgresUsageStore.Columns.Split(", ").Length;

    /// <inheritdoc />
    public RecordPage Records(RecordQuery query)
    {
        using var c = database.Open();
        using var cmd = c.CreateCommand();
        var sql = new StringBuilder($"SELECT {PostgresUsageStore.Columns}, id FROM usage_records WHERE ");
        Where(sql, cmd, query.Filter);
        if (query.After is { } after)
        {
            sql.Append(" AND (started_at_ms < @afterTime OR (started_at_ms = @afterTime AND id < @afterId))");
            cmd.Parameters.AddWithValue("afterTime", after.StartedAtMs);
            cmd.Parameters.AddWithValue("afterId", after.RowId);
        }

        sql.Append(" ORDER BY started_at_ms DESC, id DESC LIMIT @limit");
        cmd.Parameters.AddWithValue("limit", query.Limit + 1);
        cmd.CommandText = sql.ToString();
        using var rd = cmd.ExecuteReader();
        var records = new List<UsageRecord>(query.Limit + 1);
        var ids = new List<long>(query.Limit + 1);
        while (rd.Read())
        {
            records.Add(PostgresUsageStore.ReadRecord(rd));
            ids.Add(rd.GetInt64(RowIdOrdinal));
        }

        if (records.Count <= query.Limit)
        {
            return new RecordPage(records, null);
        }

        records.RemoveAt(query.Limit);
        return new RecordPage(records, new RecordCursor(records[^1].StartedAtMs, ids[query.Limit - 1]));
    }

    /// <inheritdoc />
    public UsageRecord? Record(string requestId)
    {
        using var c = database.Open();
        using var cmd = new NpgsqlCommand($"SELECT {PostgresUsageStore.Columns} FROM usage_records WHERE request_id = @id", c);
        cmd.Parameters.AddWithValue("id", requestId);
        using var rd = cmd.ExecuteReader();
        return rd.Read() ? PostgresUsageStore.ReadRecord(rd) : null;
    }

    /// <summary>Appends the filter's conditions (the time range always) and binds their parameters.</summary>
    private static void Where(StringBuilder sql, NpgsqlCommand cmd, UsageFilter f)
    {
        sql.Append("started_at_ms >= @from AND started_at_ms < @to");
        cmd.Parameters.AddWithValue("from", f.From);
        cmd.Parameters.AddWithValue("to", f.To);
        Equal(sql, cmd, "key_id", f.Key);
        Equal(sql, cmd, "team_id", f.Team);
        Equal(sql, cmd, "customer_id", f.Customer);
        Equal(sql, cmd, "alias", f.Model);
        Equal(sql, cmd, "route", f.Route);
        Equal(sql, cmd, "final_deployment", f.Deployment);
        Equal(sql, cmd, "fallback_reason", f.FallbackReason);
        if (f.Status is { } status)
        {
            sql.Append(" AND status BETWEEN @statusMin AND @statusMax");
            cmd.Parameters.AddWithValue("statusMin", status.Min);
            cmd.Parameters.AddWithValue("statusMax", status.Max);
        }
    }

    private static void Equal(StringBuilder sql, NpgsqlCommand cmd, string column, string? value)
    {
        if (value is not null)
        {
            sql.Append(" AND ").Append(column).Append(" = @").Append(column);
            cmd.Parameters.AddWithValue(column, value);
        }
    }
}
