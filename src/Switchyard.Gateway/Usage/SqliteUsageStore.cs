using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Switchyard.Usage;

/// <summary>
/// Usage records in SQLite (WAL mode: readers never block the writer). One connection, used for writes by
/// the <see cref="UsageWriter"/> under its lock; reads open their own connection.
/// </summary>
/// <remarks>
/// <para>The key is <c>request_id</c>, the gateway's id (unique); the client's <c>x-request-id</c> is in
/// <c>client_request_id</c>, indexed but not unique. No write ignores a conflict: a record whose id is already
/// stored goes to <c>usage_record_conflicts</c> (whole, as JSON) in the same transaction and is counted, so
/// the bug that produced it surfaces and the batch does not wedge the journal.</para>
/// <para>The journal checkpoint (<c>usage_journal.checkpoint</c>) is written in the same transaction as the
/// records read up to it: a crash leaves either both or neither, so replay is exactly once.</para>
/// <para><c>synchronous=NORMAL</c> for journal copies that ask for no durability: the records are already fsynced in
/// the journal, and a commit that waited for its own fsync cost the core 2% at saturation (bench/README.md). Every
/// other write runs under <c>synchronous=FULL</c> and is on disk when it returns; in WAL mode that fsync of the WAL
/// also hardens every NORMAL commit before it, which is what the writer relies on before it deletes journal segments
/// behind the checkpoint, and what records written directly (the journal out of order) rely on.</para>
/// </remarks>
public sealed partial class SqliteUsageStore : IUsageStore
{
    internal const string Columns =
        "request_id, started_at_ms, key_id, operation, alias, intended_deployment, final_deployment, final_model, " +
        "attempts, fallback_reason, stream, status, error_kind, prompt_tokens, completion_tokens, cached_tokens, " +
        "total_tokens, latency_ms, ttft_ms, cache_write_tokens, reasoning_tokens, format, dropped_params, route, hedged, attempt_log, " +
        "client_request_id, usage_source, hedge_loser_prompt_tokens, hedge_loser_completion_tokens, team_id, customer_id, " +
        "cost_micros, price_version, adaptations, cache, cost_saved_micros, guardrails";

    /// <summary>Columns added after the first release, added to databases created before (old rows keep the defaults).</summary>
    private static readonly string[] AddedColumns =
    [
        "cache_write_tokens INTEGER NOT NULL DEFAULT 0", "reasoning_tokens INTEGER NOT NULL DEFAULT 0", "format TEXT",
        "dropped_params TEXT", "route TEXT", "hedged INTEGER NOT NULL DEFAULT 0", "attempt_log TEXT",
        "client_request_id TEXT", "usage_source TEXT", "hedge_loser_prompt_tokens INTEGER NOT NULL DEFAULT 0",
        "hedge_loser_completion_tokens INTEGER NOT NULL DEFAULT 0", "team_id TEXT", "customer_id TEXT",
        "cost_micros INTEGER NOT NULL DEFAULT 0", "price_version TEXT", "adaptations TEXT",
        "cache TEXT", "cost_saved_micros INTEGER NOT NULL DEFAULT 0", "guardrails TEXT",
    ];

    /// <summary>A gateway id: <c>req_</c> and 32 lowercase hex digits (<see cref="RequestIds.NewId"/>).</summary>
    private const string GatewayIdGlob = "req_[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]" +
        "[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]" +
        "[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]";

    private readonly string connectionString;
    private readonly SqliteConnection connection;
    private readonly sqlite3_stmt insert;
    private readonly sqlite3_stmt insertConflict;
    private readonly sqlite3_stmt setCheckpoint;
    private readonly sqlite3_stmt getCheckpoint;
    private bool synchronousNormal;

    /// <summary>Opens (creating or migrating if needed) the database at <paramref name="path"/>.</summary>
    /// <param name="path">Database file.</param>
    /// <param name="busyTimeout">How long a write waits for a lock held elsewhere before it fails (5 s when null).</param>
    public SqliteUsageStore(string path, TimeSpan? busyTimeout = null)
    {
        var busy = busyTimeout ?? UsageSettings.Default.DatabaseBusyTimeout;
        connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Pooling = false,
            DefaultTimeout = Math.Max(1, (int)Math.Ceiling(busy.TotalSeconds)),
        }.ToString();
        connection = new SqliteConnection(connectionString);
        connection.Open();
        Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;");
        CreateAndMigrate();

        // SQLite's own busy handler: a write waits this long for a lock held elsewhere, then fails.
        Exec($"PRAGMA busy_timeout = {Math.Max(1, (int)busy.TotalMilliseconds)}");

        // The insert goes through SQLite's C API directly (SQLitePCLRaw, which Microsoft.Data.Sqlite sits on):
        // numbers bind without boxing and strings bind as UTF-16 without a UTF-8 copy. Through SqliteParameter
        // it was ~3 KB of garbage per record, a third of everything the gateway allocated per request.
        insert = Prepare($"INSERT INTO usage_records ({Columns}) VALUES ({string.Join(", ", Enumerable.Repeat("?", Columns.Split(", ").Length))})");
        insertConflict = Prepare("INSERT INTO usage_record_conflicts (request_id, detected_at_ms, record_json) " +
                                 "VALUES (?, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), ?)");
        setCheckpoint = Prepare("UPDATE usage_journal SET checkpoint = ? WHERE id = 1");
        getCheckpoint = Prepare("SELECT checkpoint FROM usage_journal WHERE id = 1");
    }

    private void CreateAndMigrate()
    {
        Exec("""
            CREATE TABLE IF NOT EXISTS usage_records (
              id INTEGER PRIMARY KEY AUTOINCREMENT,
              request_id TEXT NOT NULL, started_at_ms INTEGER NOT NULL, key_id TEXT, operation TEXT NOT NULL,
              alias TEXT, intended_deployment TEXT, final_deployment TEXT, final_model TEXT,
              attempts INTEGER NOT NULL, fallback_reason TEXT, stream INTEGER NOT NULL, status INTEGER NOT NULL,
              error_kind TEXT, prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL,
              cached_tokens INTEGER NOT NULL, total_tokens INTEGER NOT NULL, latency_ms REAL NOT NULL, ttft_ms REAL);
            CREATE INDEX IF NOT EXISTS usage_records_started ON usage_records(started_at_ms);
            CREATE TABLE IF NOT EXISTS usage_journal (id INTEGER PRIMARY KEY CHECK (id = 1), checkpoint INTEGER NOT NULL);
            INSERT INTO usage_journal (id, checkpoint) SELECT 1, 0 WHERE NOT EXISTS (SELECT 1 FROM usage_journal);
            CREATE TABLE IF NOT EXISTS usage_record_conflicts (
              id INTEGER PRIMARY KEY AUTOINCREMENT, request_id TEXT NOT NULL, detected_at_ms INTEGER NOT NULL, record_json TEXT NOT NULL);
            """);
        foreach (var column in AddedColumns)
        {
            try
            {
                Exec($"ALTER TABLE usage_records ADD COLUMN {column}");
            }
            catch (SqliteException ex) when (ex.Message.Contains("duplicate column", StringComparison.OrdinalIgnoreCase))
            {
            }
        }

        // Before the gateway owned record ids, request_id was the client's x-request-id when it sent one, and
        // a unique index on it made a repeated id overwrite nothing and vanish (INSERT OR IGNORE). Old rows keep
        // their id (it was unique); one that is not a gateway id was the client's, so it is copied to
        // client_request_id, where support now looks. The unique index is recreated under a new name for the new meaning.
        using (var check = connection.CreateCommand())
        {
            check.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'usage_records_request'";
            if ((long)check.ExecuteScalar()! > 0)
            {
                Exec($"""
                    BEGIN IMMEDIATE;
                    UPDATE usage_records SET client_request_id = request_id
                      WHERE client_request_id IS NULL AND request_id NOT GLOB '{GatewayIdGlob}';
                    DROP INDEX usage_records_request;
                    COMMIT;
                    """);
            }
        }

        Exec("""
            CREATE UNIQUE INDEX IF NOT EXISTS usage_records_id ON usage_records(request_id);
            CREATE INDEX IF NOT EXISTS usage_records_client_request ON usage_records(client_request_id) WHERE client_request_id IS NOT NULL;
            """);
    }

    /// <inheritdoc />
    public UsageWriteResult Write(IReadOnlyList<UsageRecord> batch, long? checkpoint = null, bool durable = true)
    {
        var lazy = !durable && checkpoint is not null;
        if (lazy != synchronousNormal)
        {
            ExecRaw(lazy ? "PRAGMA synchronous=NORMAL" : "PRAGMA synchronous=FULL");
            synchronousNormal = lazy;
        }

        // BEGIN IMMEDIATE through the C API: the write lock is taken now (a lock held elsewhere fails here,
        // after busy_timeout), and only SQLite's busy handler waits, not Microsoft.Data.Sqlite's own retry loop.
        ExecRaw("BEGIN IMMEDIATE");
        try
        {
            int inserted = 0, conflicts = 0;
            foreach (var r in batch)
            {
                if (Insert(insert, r))
                {
                    inserted++;
                }
                else
                {
                    KeepConflict(r);
                    conflicts++;
                }
            }

            if (checkpoint is { } position)
            {
                Check(raw.sqlite3_bind_int64(setCheckpoint, 1, position));
                Step(setCheckpoint);
            }

            ExecRaw("COMMIT");
            return new UsageWriteResult(inserted, conflicts);
        }
        catch
        {
            raw.sqlite3_exec(connection.Handle, "ROLLBACK");
            throw;
        }
    }

    /// <inheritdoc />
    public long ReadCheckpoint()
    {
        try
        {
            var rc = raw.sqlite3_step(getCheckpoint);
            if (rc != raw.SQLITE_ROW)
            {
                Check(rc);
                return 0;
            }

            return raw.sqlite3_column_int64(getCheckpoint, 0);
        }
        finally
        {
            raw.sqlite3_reset(getCheckpoint);
        }
    }

    /// <summary>Inserts <paramref name="r"/> with <paramref name="statement"/>; false on a constraint violation (the id is taken).</summary>
    private bool Insert(sqlite3_stmt statement, UsageRecord r)
    {
        var i = 0;
        Text(statement, ++i, r.RequestId);
        Long(statement, ++i, r.StartedAtMs);
        Text(statement, ++i, r.KeyId);
        Text(statement, ++i, r.Operation);
        Text(statement, ++i, r.Alias);
        Text(statement, ++i, r.IntendedDeployment);
        Text(statement, ++i, r.FinalDeployment);
        Text(statement, ++i, r.FinalModel);
        Long(statement, ++i, r.Attempts);
        Text(statement, ++i, r.FallbackReason);
        Long(statement, ++i, r.Stream ? 1 : 0);
        Long(statement, ++i, r.Status);
        Text(statement, ++i, r.ErrorKind);
        Long(statement, ++i, r.PromptTokens);
        Long(statement, ++i, r.CompletionTokens);
        Long(statement, ++i, r.CachedTokens);
        Long(statement, ++i, r.TotalTokens);
        Check(raw.sqlite3_bind_double(statement, ++i, r.LatencyMs));
        Check(r.TimeToFirstTokenMs is { } ttft ? raw.sqlite3_bind_double(statement, ++i, ttft) : raw.sqlite3_bind_null(statement, ++i));
        Long(statement, ++i, r.CacheWriteTokens);
        Long(statement, ++i, r.ReasoningTokens);
        Text(statement, ++i, r.Format);
        Text(statement, ++i, r.DroppedParams);
        Text(statement, ++i, r.Route);
        Long(statement, ++i, r.Hedged ? 1 : 0);
        Text(statement, ++i, r.AttemptLog);
        Text(statement, ++i, r.ClientRequestId);
        Text(statement, ++i, r.UsageSource);
        Long(statement, ++i, r.HedgeLoserPromptTokens);
        Long(statement, ++i, r.HedgeLoserCompletionTokens);
        Text(statement, ++i, r.TeamId);
        Text(statement, ++i, r.CustomerId);
        Long(statement, ++i, r.CostMicros);
        Text(statement, ++i, r.PriceVersion);
        Text(statement, ++i, r.Adaptations);
        Text(statement, ++i, r.Cache);
        Long(statement, ++i, r.CostSavedMicros);
        Text(statement, ++i, r.Guardrails);
        var rc = raw.sqlite3_step(statement);
        raw.sqlite3_reset(statement);
        if (rc == raw.SQLITE_DONE)
        {
            return true;
        }

        // ABORT, SQLite's default conflict resolution, undoes only the failed statement: the transaction and
        // the batch's other rows stay (https://sqlite.org/lang_conflict.html).
        if ((rc & 0xFF) == raw.SQLITE_CONSTRAINT)
        {
            return false;
        }

        Check(rc);
        return true;
    }

    private void KeepConflict(UsageRecord r)
    {
        Text(insertConflict, 1, r.RequestId);
        Text(insertConflict, 2, System.Text.Json.JsonSerializer.Serialize(r, UsageJsonContext.Default.UsageRecord));
        Step(insertConflict);
    }

    private void Step(sqlite3_stmt statement)
    {
        var rc = raw.sqlite3_step(statement);
        raw.sqlite3_reset(statement);
        if (rc != raw.SQLITE_DONE)
        {
            Check(rc);
        }
    }

    private void Text(sqlite3_stmt statement, int index, string? value) =>
        Check(value is null ? raw.sqlite3_bind_null(statement, index) : raw.sqlite3_bind_text16(statement, index, value.AsSpan()));

    private void Long(sqlite3_stmt statement, int index, long value) => Check(raw.sqlite3_bind_int64(statement, index, value));

    /// <summary>Turns a SQLite error code into the exception the writer reacts to.</summary>
    private void Check(int rc)
    {
        if (rc is not (raw.SQLITE_OK or raw.SQLITE_DONE or raw.SQLITE_ROW))
        {
            throw new SqliteException(raw.sqlite3_errmsg(connection.Handle).utf8_to_string(), rc);
        }
    }

    private void ExecRaw(string sql) => Check(raw.sqlite3_exec(connection.Handle, sql));

    private sqlite3_stmt Prepare(string sql)
    {
        Check(raw.sqlite3_prepare_v2(connection.Handle, sql, out var statement));
        return statement;
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
        insertConflict.Dispose();
        setCheckpoint.Dispose();
        getCheckpoint.Dispose();
        connection.Dispose();
    }
}
