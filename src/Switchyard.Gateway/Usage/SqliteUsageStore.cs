using Microsoft.Data.Sqlite;
using SQLitePCL;

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
    private readonly sqlite3_stmt insert;

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

        // SQLite's own busy handler: a write waits this long for a lock held elsewhere, then the batch is spooled.
        Exec($"PRAGMA busy_timeout = {busyTimeoutSeconds * 1000}");

        // INSERT OR IGNORE: a spooled batch replayed after a partial failure must not duplicate records.
        // The insert goes through SQLite's C API directly (SQLitePCLRaw, which Microsoft.Data.Sqlite sits on):
        // numbers bind without boxing and strings bind as UTF-16 without a UTF-8 copy. Through SqliteParameter
        // it was ~3 KB of garbage per record, a third of everything the gateway allocated per request.
        var sql = $"INSERT OR IGNORE INTO usage_records ({Columns}) VALUES ({string.Join(", ", Enumerable.Repeat("?", Columns.Split(", ").Length))})";
        Check(raw.sqlite3_prepare_v2(connection.Handle, sql, out insert));
    }

    /// <inheritdoc />
    public void Write(IReadOnlyList<UsageRecord> batch)
    {
        using var tx = connection.BeginTransaction();
        foreach (var r in batch)
        {
            var i = 0;
            Text(++i, r.RequestId);
            Long(++i, r.StartedAtMs);
            Text(++i, r.KeyId);
            Text(++i, r.Operation);
            Text(++i, r.Alias);
            Text(++i, r.IntendedDeployment);
            Text(++i, r.FinalDeployment);
            Text(++i, r.FinalModel);
            Long(++i, r.Attempts);
            Text(++i, r.FallbackReason);
            Long(++i, r.Stream ? 1 : 0);
            Long(++i, r.Status);
            Text(++i, r.ErrorKind);
            Long(++i, r.PromptTokens);
            Long(++i, r.CompletionTokens);
            Long(++i, r.CachedTokens);
            Long(++i, r.TotalTokens);
            Check(raw.sqlite3_bind_double(insert, ++i, r.LatencyMs));
            if (r.TimeToFirstTokenMs is { } ttft)
            {
                Check(raw.sqlite3_bind_double(insert, ++i, ttft));
            }
            else
            {
                Check(raw.sqlite3_bind_null(insert, ++i));
            }

            Long(++i, r.CacheWriteTokens);
            Long(++i, r.ReasoningTokens);
            Text(++i, r.Format);
            Text(++i, r.DroppedParams);
            Text(++i, r.Route);
            Long(++i, r.Hedged ? 1 : 0);
            Text(++i, r.AttemptLog);
            var rc = raw.sqlite3_step(insert);
            raw.sqlite3_reset(insert);
            if (rc != raw.SQLITE_DONE)
            {
                Check(rc);
            }
        }

        tx.Commit();
    }

    private void Text(int index, string? value) =>
        Check(value is null ? raw.sqlite3_bind_null(insert, index) : raw.sqlite3_bind_text16(insert, index, value.AsSpan()));

    private void Long(int index, long value) => Check(raw.sqlite3_bind_int64(insert, index, value));

    /// <summary>Turns a SQLite error code into the exception the writer spools on.</summary>
    private void Check(int rc)
    {
        if (rc is not (raw.SQLITE_OK or raw.SQLITE_DONE or raw.SQLITE_ROW))
        {
            throw new SqliteException(raw.sqlite3_errmsg(connection.Handle).utf8_to_string(), rc);
        }
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
