using Npgsql;
using NpgsqlTypes;
using Switchyard.Storage.Postgres;

namespace Switchyard.Usage;

/// <summary>
/// Usage records in PostgreSQL, shared by every replica (docs/adr/0012-postgres-storage.md), with the guarantees of
/// <see cref="SqliteUsageStore"/>: a batch and its journal checkpoint commit in one transaction, and a record whose
/// id is already stored is never dropped nor overwritten but kept aside in <c>usage_record_conflicts</c> and counted.
/// </summary>
/// <remarks>
/// <para>A batch goes in with a binary <c>COPY</c> into a temporary table (one round trip, no parameter limit,
/// however large the batch), then one <c>INSERT ... SELECT ... ON CONFLICT (request_id) DO NOTHING RETURNING</c>
/// moves it into <c>usage_records</c>: a record already stored does not abort the batch, and the ids returned tell
/// which were taken. The rest (and a second copy of an id within the batch) are the conflicts.</para>
/// <para>The checkpoint is per journal: each replica has its own journal on its own disk, so
/// <c>usage_journal</c> has one row per journal id (<see cref="UsageJournalIdentity"/>), not the single row of the
/// SQLite file. A replica replaying its journal after an outage resumes from its own position.</para>
/// <para>Failures throw (Npgsql's exceptions, the pool cleared when the server went away) and the transaction is
/// rolled back with the connection, so the <see cref="UsageWriter"/> keeps the records in the journal, re-reads this
/// checkpoint and replays from it once the server answers: nothing twice, nothing lost.</para>
/// </remarks>
public sealed partial class PostgresUsageStore : IUsageStore
{
    internal const string Columns =
        "request_id, started_at_ms, key_id, operation, alias, intended_deployment, final_deployment, final_model, " +
        "attempts, fallback_reason, stream, status, error_kind, prompt_tokens, completion_tokens, cached_tokens, " +
        "total_tokens, latency_ms, ttft_ms, cache_write_tokens, reasoning_tokens, format, dropped_params, route, hedged, attempt_log, " +
        "client_request_id, usage_source, hedge_loser_prompt_tokens, hedge_loser_completion_tokens, team_id, customer_id, " +
        "cost_micros, price_version, adaptations, cache, cost_saved_micros, guardrails";

    /// <summary>The component's migrations, in order (version 1 = the first script).</summary>
    internal static readonly string[] Schema =
    [
        """
        CREATE TABLE usage_records (
          id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          request_id text NOT NULL, started_at_ms bigint NOT NULL, key_id text, operation text NOT NULL,
          alias text, intended_deployment text, final_deployment text, final_model text,
          attempts integer NOT NULL, fallback_reason text, stream boolean NOT NULL, status integer NOT NULL,
          error_kind text, prompt_tokens bigint NOT NULL, completion_tokens bigint NOT NULL,
          cached_tokens bigint NOT NULL, total_tokens bigint NOT NULL, latency_ms double precision NOT NULL, ttft_ms double precision,
          cache_write_tokens bigint NOT NULL DEFAULT 0, reasoning_tokens bigint NOT NULL DEFAULT 0, format text,
          dropped_params text, route text, hedged boolean NOT NULL DEFAULT false, attempt_log text,
          client_request_id text, usage_source text, hedge_loser_prompt_tokens bigint NOT NULL DEFAULT 0,
          hedge_loser_completion_tokens bigint NOT NULL DEFAULT 0, team_id text, customer_id text,
          cost_micros bigint NOT NULL DEFAULT 0, price_version text);
        CREATE UNIQUE INDEX usage_records_id ON usage_records(request_id);
        CREATE INDEX usage_records_started ON usage_records(started_at_ms);
        CREATE INDEX usage_records_client_request ON usage_records(client_request_id) WHERE client_request_id IS NOT NULL;
        CREATE TABLE usage_journal (journal_id text PRIMARY KEY, checkpoint bigint NOT NULL);
        CREATE TABLE usage_record_conflicts (
          id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, request_id text NOT NULL, detected_at_ms bigint NOT NULL, record_json text NOT NULL);
        """,
        """
        ALTER TABLE usage_records ADD COLUMN adaptations text;
        CREATE INDEX usage_records_key_started ON usage_records(key_id, started_at_ms);
        CREATE INDEX usage_records_team_started ON usage_records(team_id, started_at_ms);
        CREATE INDEX usage_records_customer_started ON usage_records(customer_id, started_at_ms);
        """,
        """
        ALTER TABLE usage_records ADD COLUMN cache text;
        ALTER TABLE usage_records ADD COLUMN cost_saved_micros bigint NOT NULL DEFAULT 0;
        """,
        """
        ALTER TABLE usage_records ADD COLUMN guardrails text;
        """,
    ];

    private readonly PostgresDatabase database;
    private readonly string journalId;

    /// <summary>Creates or migrates the tables; throws when the server cannot be reached or the schema is newer.</summary>
    /// <param name="database">The gateway's data source.</param>
    /// <param name="journalId">The id of the journal whose checkpoint this store keeps (<see cref="UsageJournalIdentity"/>).</param>
    public PostgresUsageStore(PostgresDatabase database, string journalId)
    {
        this.database = database;
        this.journalId = journalId;
        PostgresSchema.Migrate(database, "usage", Schema);
    }

    /// <inheritdoc />
    public UsageWriteResult Write(IReadOnlyList<UsageRecord> batch, long? checkpoint = null, bool durable = true)
    {
        try
        {
            using var c = database.Open();
            using var tx = c.BeginTransaction();
            if (!durable && checkpoint is not null)
            {
                // A journal copy: the commit need not wait for the WAL flush. The next durable commit flushes the WAL
                // up to itself, and so every commit before it (the writer makes one before it deletes the journal).
                using var lazy = new NpgsqlCommand("SET LOCAL synchronous_commit TO OFF", c, tx);
                lazy.ExecuteNonQuery();
            }

            var (unique, repeated) = Split(batch);
            var taken = unique.Count == 0 ? [] : Insert(c, tx, unique);
            var conflicts = repeated;
            foreach (var r in unique)
            {
                if (!taken.Contains(r.RequestId))
                {
                    conflicts.Add(r);
                }
            }

            KeepConflicts(c, tx, conflicts);
            if (checkpoint is { } position)
            {
                SetCheckpoint(c, tx, position);
            }

            tx.Commit();
            return new UsageWriteResult(batch.Count - conflicts.Count, conflicts.Count);
        }
        catch (Exception ex) when (database.Failed(ex))
        {
            throw;
        }
    }

    /// <inheritdoc />
    public long ReadCheckpoint()
    {
        try
        {
            using var c = database.Open();
            using var cmd = new NpgsqlCommand("SELECT checkpoint FROM usage_journal WHERE journal_id = @id", c);
            cmd.Parameters.AddWithValue("id", journalId);
            return cmd.ExecuteScalar() is long position ? position : 0;
        }
        catch (Exception ex) when (database.Failed(ex))
        {
            throw;
        }
    }

    /// <summary>The batch's first record of each id, and the later ones (conflicts within the batch itself).</summary>
    private static (List<UsageRecord> Unique, List<UsageRecord> Repeated) Split(IReadOnlyList<UsageRecord> batch)
    {
        var seen = new HashSet<string>(batch.Count, StringComparer.Ordinal);
        var unique = new List<UsageRecord>(batch.Count);
        var repeated = new List<UsageRecord>();
        foreach (var r in batch)
        {
            (seen.Add(r.RequestId) ? unique : repeated).Add(r);
        }

        return (unique, repeated);
    }

    /// <summary>COPY into a temporary table, then into <c>usage_records</c> in batch order; returns the ids stored.</summary>
    private static HashSet<string> Insert(NpgsqlConnection c, NpgsqlTransaction tx, List<UsageRecord> records)
    {
        using (var stage = new NpgsqlCommand(
            $"CREATE TEMPORARY TABLE usage_stage ON COMMIT DROP AS SELECT 0 AS ord, {Columns} FROM usage_records WITH NO DATA", c, tx))
        {
            stage.ExecuteNonQuery();
        }

        using (var copy = c.BeginBinaryImport($"COPY usage_stage (ord, {Columns}) FROM STDIN (FORMAT BINARY)"))
        {
            for (var i = 0; i < records.Count; i++)
            {
                WriteRow(copy, i, records[i]);
            }

            copy.Complete();
        }

        using var move = new NpgsqlCommand(
            $"INSERT INTO usage_records ({Columns}) SELECT {Columns} FROM usage_stage ORDER BY ord ON CONFLICT (request_id) DO NOTHING RETURNING request_id", c, tx);
        using var rd = move.ExecuteReader();
        var taken = new HashSet<string>(records.Count, StringComparer.Ordinal);
        while (rd.Read())
        {
            taken.Add(rd.GetString(0));
        }

        return taken;
    }

    private void SetCheckpoint(NpgsqlConnection c, NpgsqlTransaction tx, long position)
    {
        using var cmd = new NpgsqlCommand(
            "INSERT INTO usage_journal (journal_id, checkpoint) VALUES (@id, @position) ON CONFLICT (journal_id) DO UPDATE SET checkpoint = excluded.checkpoint", c, tx);
        cmd.Parameters.AddWithValue("id", journalId);
        cmd.Parameters.AddWithValue("position", position);
        cmd.ExecuteNonQuery();
    }

    /// <summary>Keeps each record whose id was already stored, whole, as JSON (a bug to surface, never a silent drop).</summary>
    private static void KeepConflicts(NpgsqlConnection c, NpgsqlTransaction tx, List<UsageRecord> conflicts)
    {
        if (conflicts.Count == 0)
        {
            return;
        }

        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(); // when it was seen, for people; as SQLite's julianday('now')
        using var cmd = new NpgsqlCommand("INSERT INTO usage_record_conflicts (request_id, detected_at_ms, record_json) VALUES (@id, @at, @json)", c, tx);
        var (id, at, json) = (cmd.Parameters.Add("id", NpgsqlDbType.Text), cmd.Parameters.Add("at", NpgsqlDbType.Bigint), cmd.Parameters.Add("json", NpgsqlDbType.Text));
        foreach (var r in conflicts)
        {
            (id.Value, at.Value, json.Value) = (r.RequestId, now, System.Text.Json.JsonSerializer.Serialize(r, UsageJsonContext.Default.UsageRecord));
            cmd.ExecuteNonQuery();
        }
    }

    /// <summary>The data source belongs to the composition root, which disposes it after every store.</summary>
    public void Dispose()
    {
    }
}
