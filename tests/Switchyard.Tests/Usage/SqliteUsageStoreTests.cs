using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Switchyard.Usage;
using static Switchyard.Tests.Usage.UsageJournalTests;

namespace Switchyard.Tests.Usage;

/// <summary>
/// What only the SQLite store has: its lock, the migration of older databases and spools. What every store guarantees
/// (keys, conflicts, the checkpoint's transaction) is in <see cref="UsageStoreContractTests"/>, run against SQLite and PostgreSQL.
/// </summary>
public sealed class SqliteUsageStoreTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("switchyard-store-").FullName;

    private string DbPath => Path.Combine(dir, "switchyard.db");

    [Fact]
    public void Write_LockedDatabase_StoresNeitherRecordsNorCheckpoint()
    {
        using var store = new SqliteUsageStore(DbPath, TimeSpan.FromMilliseconds(20));
        store.Write([Record(1)], checkpoint: 10);
        using (var blocker = Open())
        {
            using var begin = blocker.CreateCommand();
            begin.CommandText = "BEGIN EXCLUSIVE";
            begin.ExecuteNonQuery();

            var ex = Assert.Throws<SqliteException>(() => store.Write([Record(2)], checkpoint: 20));
            Assert.Equal(5, ex.SqliteErrorCode); // SQLITE_BUSY
        }

        Assert.Equal(10, store.ReadCheckpoint());
        Assert.Single(store.ReadRecent(10));
        store.Write([], checkpoint: null); // the probe takes the lock and lets go
    }

    [Fact]
    public void Open_DatabaseOfAnOlderRelease_KeepsItsRowsAndTheClientIdsTheyWereKeyedBy()
    {
        // The first release's schema, with the unique index on the client's id that made records vanish.
        using (var old = Open())
        using (var cmd = old.CreateCommand())
        {
            cmd.CommandText = """
                CREATE TABLE usage_records (
                  id INTEGER PRIMARY KEY AUTOINCREMENT,
                  request_id TEXT NOT NULL, started_at_ms INTEGER NOT NULL, key_id TEXT, operation TEXT NOT NULL,
                  alias TEXT, intended_deployment TEXT, final_deployment TEXT, final_model TEXT,
                  attempts INTEGER NOT NULL, fallback_reason TEXT, stream INTEGER NOT NULL, status INTEGER NOT NULL,
                  error_kind TEXT, prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL,
                  cached_tokens INTEGER NOT NULL, total_tokens INTEGER NOT NULL, latency_ms REAL NOT NULL, ttft_ms REAL);
                CREATE UNIQUE INDEX usage_records_request ON usage_records(request_id);
                INSERT INTO usage_records (request_id, started_at_ms, operation, attempts, stream, status, prompt_tokens,
                  completion_tokens, cached_tokens, total_tokens, latency_ms)
                VALUES ('client-trace-1', 1, 'chat.completions', 1, 0, 200, 5, 1, 0, 6, 10.0),
                       ('req_0197a1b2c3d4e5f60718293a4b5c6d7e', 2, 'chat.completions', 1, 0, 200, 7, 1, 0, 8, 11.0);
                """;
            cmd.ExecuteNonQuery();
        }

        using var store = new SqliteUsageStore(DbPath);
        store.Write([With(Record(3), RequestIds.NewId(), "client-trace-1")]); // the same client id again: stored

        var rows = store.ReadRecent(10);
        Assert.Equal(3, rows.Count);
        Assert.Equal(2, store.ReadByClientRequestId("client-trace-1").Count);
        Assert.Null(rows.Single(r => r.RequestId.StartsWith("req_0197", StringComparison.Ordinal)).ClientRequestId);
        Assert.Equal(0, rows.Single(r => r.RequestId == "client-trace-1").CacheWriteTokens); // added columns default
        using var db = Open();
        using var indexes = db.CreateCommand();
        indexes.CommandText = "SELECT group_concat(name) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'usage_records'";
        var names = (string)indexes.ExecuteScalar()!;
        Assert.DoesNotContain("usage_records_request,", names + ",", StringComparison.Ordinal);
        Assert.Contains("usage_records_id", names, StringComparison.Ordinal);
    }

    [Fact]
    public void ImportLegacy_SpoolOfAnOlderRelease_StoresEachRecordOnceEvenWhenImportedTwice()
    {
        using var store = new SqliteUsageStore(DbPath);
        // The old replay had written this one before it was cut short (an old row: its id was the client's).
        var replayedBefore = With(Record(1), "client-a", null);
        store.Write([With(replayedBefore, "client-a", "client-a")]);
        var spool = Path.Combine(dir, LegacyUsageSpool.FileName);
        var reused = new UsageRecord { RequestId = "client-a", Operation = "chat.completions", StartedAtMs = 99, LatencyMs = 3, Attempts = 1, PromptTokens = 2 };
        var fresh = With(Record(3), "client-b", null);
        File.WriteAllLines(spool, [Json(replayedBefore), Json(reused), Json(fresh), "{\"request_id\":\"torn"]);
        File.Copy(spool, spool + ".copy");

        LegacyUsageSpool.Import(store, spool, NullLogger.Instance);
        Assert.False(File.Exists(spool));
        var first = store.ReadRecent(10);
        File.Move(spool + ".copy", spool); // a crash before the delete: the same file again at the next start
        LegacyUsageSpool.Import(store, spool, NullLogger.Instance);

        var rows = store.ReadRecent(10);
        Assert.Equal(3, first.Count);
        Assert.Equal(3, rows.Count);
        Assert.Equal(2, store.ReadByClientRequestId("client-a").Count); // two requests that shared one client id
        Assert.Equal(0, store.CountConflicts());
        Assert.Equal([1, 2, 3], rows.Select(r => (int)r.PromptTokens).Order());
    }

    private static string Json(UsageRecord r) => System.Text.Json.JsonSerializer.Serialize(r, UsageJsonContext.Default.UsageRecord);

    private static UsageRecord With(UsageRecord r, string id, string? clientId) => new()
    {
        RequestId = id,
        ClientRequestId = clientId,
        Operation = r.Operation,
        Alias = r.Alias,
        Attempts = r.Attempts,
        Status = r.Status,
        PromptTokens = r.PromptTokens,
        TotalTokens = r.TotalTokens,
        LatencyMs = r.LatencyMs,
        StartedAtMs = r.StartedAtMs,
    };

    private SqliteConnection Open()
    {
        var c = new SqliteConnection($"Data Source={DbPath};Pooling=False");
        c.Open();
        return c;
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
