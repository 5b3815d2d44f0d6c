using System.Text;
using Microsoft.Data.Sqlite;

namespace Switchyard.Usage;

/// <summary>
/// <see cref="IUsageQuery"/> over the SQLite <c>usage_records</c> table that <see cref="SqliteUsageStore"/> writes.
/// Each query opens its own read connection (WAL: readers never block the writer). Every query is bounded by a
/// time range, which the <c>started_at_ms</c> index serves; the per-dimension indexes below serve the filters the
/// console uses most (a key's, a team's, a customer's, a model's requests).
/// </summary>
public sealed partial class SqliteUsageQuery : IUsageQuery
{
    /// <summary>
    /// The indexes the queries need, created if missing (idempotent, so this is the migration: a database made
    /// before the console gains them at the next start). Each leads with the filter and ends with the time, so
    /// "this key's requests in this range" is one index range scan.
    /// </summary>
    internal const string Indexes = """
        CREATE INDEX IF NOT EXISTS usage_records_key_time ON usage_records(key_id, started_at_ms);
        CREATE INDEX IF NOT EXISTS usage_records_team_time ON usage_records(team_id, started_at_ms) WHERE team_id IS NOT NULL;
        CREATE INDEX IF NOT EXISTS usage_records_customer_time ON usage_records(customer_id, started_at_ms) WHERE customer_id IS NOT NULL;
        CREATE INDEX IF NOT EXISTS usage_records_alias_time ON usage_records(alias, started_at_ms);
        """;

    /// <summary>Where the row id sits in <c>SELECT {Columns}, id</c>: after the record's own columns, however many there are.</summary>
    private static readonly int RowIdOrdinal = SqliteUsageStore.Columns.Split(", ").Length;

    private readonly string connectionString;

    /// <summary>Opens the database at <paramref name="path"/> (its <c>usage_records</c> table must exist) and adds the indexes.</summary>
    public SqliteUsageQuery(string path)
    {
        connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = false, Mode = SqliteOpenMode.ReadWrite }.ToString();
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = Indexes;
        cmd.ExecuteNonQuery();
    }

    /// <inheritdoc />
    public RecordPage Records(RecordQuery query)
    {
        var sql = new StringBuilder($"SELECT {SqliteUsageStore.Columns}, id FROM usage_records WHERE ");
        using var c = Open();
        using var cmd = c.CreateCommand();
        Where(sql, cmd, query.Filter);
        if (query.After is { } after)
        {
            sql.Append(" AND (started_at_ms < $afterTime OR (started_at_ms = $afterTime AND id < $afterId))");
            cmd.Parameters.AddWithValue("$afterTime", after.StartedAtMs);
            cmd.Parameters.AddWithValue("$afterId", after.RowId);
        }

        sql.Append(" ORDER BY started_at_ms DESC, id DESC LIMIT $limit");
        cmd.Parameters.AddWithValue("$limit", query.Limit + 1);
        cmd.CommandText = sql.ToString();
        using var rd = cmd.ExecuteReader();
        var records = new List<UsageRecord>(query.Limit + 1);
        var ids = new List<long>(query.Limit + 1);
        while (rd.Read())
        {
            records.Add(SqliteUsageStore.ReadRecord(rd));
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
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT {SqliteUsageStore.Columns} FROM usage_records WHERE request_id = $id";
        cmd.Parameters.AddWithValue("$id", requestId);
        using var rd = cmd.ExecuteReader();
        return rd.Read() ? SqliteUsageStore.ReadRecord(rd) : null;
    }

    /// <summary>Appends the filter's conditions (the time range always) and binds their parameters.</summary>
    private static void Where(StringBuilder sql, SqliteCommand cmd, UsageFilter f)
    {
        sql.Append("started_at_ms >= $from AND started_at_ms < $to");
        cmd.Parameters.AddWithValue("$from", f.From);
        cmd.Parameters.AddWithValue("$to", f.To);
        Equal(sql, cmd, "key_id", f.Key);
        Equal(sql, cmd, "team_id", f.Team);
        Equal(sql, cmd, "customer_id", f.Customer);
        Equal(sql, cmd, "alias", f.Model);
        Equal(sql, cmd, "route", f.Route);
        Equal(sql, cmd, "final_deployment", f.Deployment);
        Equal(sql, cmd, "fallback_reason", f.FallbackReason);
        if (f.Status is { } status)
        {
            sql.Append(" AND status BETWEEN $statusMin AND $statusMax");
            cmd.Parameters.AddWithValue("$statusMin", status.Min);
            cmd.Parameters.AddWithValue("$statusMax", status.Max);
        }
    }

    private static void Equal(StringBuilder sql, SqliteCommand cmd, string column, string? value)
    {
        if (value is not null)
        {
            sql.Append(" AND ").Append(column).Append(" = $").Append(column);
            cmd.Parameters.AddWithValue("$" + column, value);
        }
    }

    private SqliteConnection Open()
    {
        var c = new SqliteConnection(connectionString);
        c.Open();
        return c;
    }
}
