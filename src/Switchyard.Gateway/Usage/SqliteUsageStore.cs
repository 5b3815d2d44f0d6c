using Microsoft.Data.Sqlite;

namespace Switchyard.Usage;

/// <summary>
/// Usage records in SQLite (WAL mode: readers never block the writer). One connection, used only by the
/// single <see cref="UsageWriter"/> loop for writes; reads open their own connection.
/// </summary>
public sealed class SqliteUsageStore : IUsageStore
{
    private const string Columns =
        "request_id, started_at_ms, key_id, operation, alias, intended_deployment, final_deployment, final_model, " +
        "attempts, fallback_reason, stream, status, error_kind, prompt_tokens, completion_tokens, cached_tokens, " +
        "total_tokens, latency_ms, ttft_ms, cache_write_tokens, reasoning_tokens, format, dropped_params, route, hedged, attempt_log";

    private readonly string connectionString;
    private readonly SqliteConnection connection;
    private readonly SqliteCommand insert;
    private readonly SqliteParameter[] parameters;

    /// <summary>Opens (creating if needed) the database at <paramref name="path"/>.</summary>
    /// <param name="path">Database file.</param>
    /// <param name="busyTimeoutSeconds">How long a write waits for a lock held elsewhere before the batch is spooled.</param>
    public SqliteUsageStore(string path, int busyTimeoutSeconds = 5)
    {
        connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = false, DefaultTimeout = busyTimeoutSeconds }.ToString();
        connection = new SqliteConnection(connectionString);
        connection.Open();
        Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
        Exec("""
            CREATE TABLE IF NOT EXISTS usage_records (
              id INTEGER PRIMARY KEY AUTOINCREMENT,
              request_id TEXT NOT NULL, started_at_ms INTEGER NOT NULL, key_id TEXT, operation TEXT NOT NULL,
              alias TEXT, intended_deployment TEXT, final_deployment TEXT, final_model TEXT,
              attempts INTEGER NOT NULL, fallback_reason TEXT, stream INTEGER NOT NULL, status INTEGER NOT NULL,
              error_kind TEXT, prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL,
              cached_tokens INTEGER NOT NULL, total_tokens INTEGER NOT NULL, latency_ms REAL NOT NULL, ttft_ms REAL,
              cache_write_tokens INTEGER NOT NULL DEFAULT 0, reasoning_tokens INTEGER NOT NULL DEFAULT 0,
              format TEXT, dropped_params TEXT, route TEXT, hedged INTEGER NOT NULL DEFAULT 0, attempt_log TEXT);
            CREATE INDEX IF NOT EXISTS usage_records_started ON usage_records(started_at_ms);
            CREATE UNIQUE INDEX IF NOT EXISTS usage_records_request ON usage_records(request_id);
            """);
        // Columns added after the first release: add them to databases created before.
        foreach (var column in new[] { "cache_write_tokens INTEGER NOT NULL DEFAULT 0", "reasoning_tokens INTEGER NOT NULL DEFAULT 0", "format TEXT", "dropped_params TEXT", "route TEXT", "hedged INTEGER NOT NULL DEFAULT 0", "attempt_log TEXT" })
        {
            try
            {
                Exec($"ALTER TABLE usage_records ADD COLUMN {column}");
            }
            catch (SqliteException ex) when (ex.Message.Contains("duplicate column", StringComparison.OrdinalIgnoreCase))
            {
            }
        }

        insert = connection.CreateCommand();
        var names = Columns.Split(", ");
        // INSERT OR IGNORE: a spooled batch replayed after a partial failure must not duplicate records.
        insert.CommandText = $"INSERT OR IGNORE INTO usage_records ({Columns}) VALUES ({string.Join(", ", names.Select(n => "$" + n))})";
        parameters = names.Select(n => insert.Parameters.Add(new SqliteParameter("$" + n, null))).ToArray();
        insert.Prepare();
    }

    /// <inheritdoc />
    public void Write(IReadOnlyList<UsageRecord> batch)
    {
        using var tx = connection.BeginTransaction();
        insert.Transaction = tx;
        foreach (var r in batch)
        {
            var p = parameters;
            p[0].Value = r.RequestId;
            p[1].Value = r.StartedAtMs;
            p[2].Value = (object?)r.KeyId ?? DBNull.Value;
            p[3].Value = r.Operation;
            p[4].Value = (object?)r.Alias ?? DBNull.Value;
            p[5].Value = (object?)r.IntendedDeployment ?? DBNull.Value;
            p[6].Value = (object?)r.FinalDeployment ?? DBNull.Value;
            p[7].Value = (object?)r.FinalModel ?? DBNull.Value;
            p[8].Value = r.Attempts;
            p[9].Value = (object?)r.FallbackReason ?? DBNull.Value;
            p[10].Value = r.Stream ? 1 : 0;
            p[11].Value = r.Status;
            p[12].Value = (object?)r.ErrorKind ?? DBNull.Value;
            p[13].Value = r.PromptTokens;
            p[14].Value = r.CompletionTokens;
            p[15].Value = r.CachedTokens;
            p[16].Value = r.TotalTokens;
            p[17].Value = r.LatencyMs;
            p[18].Value = (object?)r.TimeToFirstTokenMs ?? DBNull.Value;
            p[19].Value = r.CacheWriteTokens;
            p[20].Value = r.ReasoningTokens;
            p[21].Value = (object?)r.Format ?? DBNull.Value;
            p[22].Value = (object?)r.DroppedParams ?? DBNull.Value;
            p[23].Value = (object?)r.Route ?? DBNull.Value;
            p[24].Value = r.Hedged ? 1 : 0;
            p[25].Value = (object?)r.AttemptLog ?? DBNull.Value;
            insert.ExecuteNonQuery();
        }

        tx.Commit();
    }

    /// <inheritdoc />
    public IReadOnlyList<UsageRecord> ReadRecent(int limit)
    {
        using var c = new SqliteConnection(connectionString);
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT {Columns} FROM usage_records ORDER BY id DESC LIMIT $limit";
        cmd.Parameters.AddWithValue("$limit", limit);
        using var rd = cmd.ExecuteReader();
        var list = new List<UsageRecord>();
        while (rd.Read())
        {
            list.Add(new UsageRecord
            {
                RequestId = rd.GetString(0),
                StartedAtMs = rd.GetInt64(1),
                KeyId = rd.IsDBNull(2) ? null : rd.GetString(2),
                Operation = rd.GetString(3),
                Alias = rd.IsDBNull(4) ? null : rd.GetString(4),
                IntendedDeployment = rd.IsDBNull(5) ? null : rd.GetString(5),
                FinalDeployment = rd.IsDBNull(6) ? null : rd.GetString(6),
                FinalModel = rd.IsDBNull(7) ? null : rd.GetString(7),
                Attempts = rd.GetInt32(8),
                FallbackReason = rd.IsDBNull(9) ? null : rd.GetString(9),
                Stream = rd.GetInt32(10) != 0,
                Status = rd.GetInt32(11),
                ErrorKind = rd.IsDBNull(12) ? null : rd.GetString(12),
                PromptTokens = rd.GetInt64(13),
                CompletionTokens = rd.GetInt64(14),
                CachedTokens = rd.GetInt64(15),
                TotalTokens = rd.GetInt64(16),
                LatencyMs = rd.GetDouble(17),
                TimeToFirstTokenMs = rd.IsDBNull(18) ? null : rd.GetDouble(18),
                CacheWriteTokens = rd.GetInt64(19),
                ReasoningTokens = rd.GetInt64(20),
                Format = rd.IsDBNull(21) ? null : rd.GetString(21),
                DroppedParams = rd.IsDBNull(22) ? null : rd.GetString(22),
                Route = rd.IsDBNull(23) ? null : rd.GetString(23),
                Hedged = rd.GetInt32(24) != 0,
                AttemptLog = rd.IsDBNull(25) ? null : rd.GetString(25),
            });
        }

        return list;
    }

    private void Exec(string sql)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        insert.Dispose();
        connection.Dispose();
    }
}
