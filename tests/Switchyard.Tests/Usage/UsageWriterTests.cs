using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Switchyard.Usage;

namespace Switchyard.Tests.Usage;

public sealed class UsageWriterTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("switchyard-usage-").FullName;

    private static UsageRecord Record(int i) => new()
    {
        RequestId = $"req_{i}",
        Operation = "chat.completions",
        Alias = "gpt-4o",
        Attempts = 1,
        Status = 200,
        PromptTokens = i,
        TotalTokens = i,
    };

    [Fact]
    public async Task Enqueue_ManyRecords_AllReachSqlite()
    {
        using var store = new SqliteUsageStore(Path.Combine(dir, "u.db"));
        await using (var writer = new UsageWriter(store, new UsageSpool(Path.Combine(dir, "spool.jsonl")), NullLogger<UsageWriter>.Instance))
        {
            for (var i = 0; i < 5_000; i++)
            {
                writer.Enqueue(Record(i));
            }

            await writer.FlushAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }

        var recent = store.ReadRecent(10_000);
        Assert.Equal(5_000, recent.Count);
        Assert.Equal(Enumerable.Range(0, 5_000).Sum(i => (long)i), recent.Sum(r => r.PromptTokens));
    }

    [Fact]
    public async Task Enqueue_WhileDatabaseIsLocked_SpoolsThenReplaysWithoutLoss()
    {
        var dbPath = Path.Combine(dir, "u.db");
        var spool = new UsageSpool(Path.Combine(dir, "spool.jsonl"));
        using var store = new SqliteUsageStore(dbPath, busyTimeoutSeconds: 1);

        // Another process-like connection holds the write lock: every write fails with SQLITE_BUSY.
        var blocker = new SqliteConnection($"Data Source={dbPath};Pooling=False");
        blocker.Open();
        var lockTx = blocker.BeginTransaction(System.Data.IsolationLevel.Serializable);
        using (var cmd = blocker.CreateCommand())
        {
            cmd.Transaction = lockTx;
            cmd.CommandText = "INSERT INTO usage_records (request_id, started_at_ms, operation, attempts, stream, status, prompt_tokens, completion_tokens, cached_tokens, total_tokens, latency_ms) VALUES ('blocker', 0, 'x', 0, 0, 0, 0, 0, 0, 0, 0)";
            cmd.ExecuteNonQuery();
        }

        await using var writer = new UsageWriter(store, spool, NullLogger<UsageWriter>.Instance);
        for (var i = 0; i < 100; i++)
        {
            writer.Enqueue(Record(i));
        }

        await writer.FlushAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.False(writer.StoreHealthy);
        Assert.True(spool.HasRecords);

        lockTx.Rollback();
        blocker.Dispose();

        // The writer replays on its own (idle wake-up); wait for it, bounded.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (spool.HasRecords && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.False(spool.HasRecords);
        Assert.Equal(100, store.ReadRecent(1_000).Count(r => r.RequestId.StartsWith("req_", StringComparison.Ordinal)));
    }

    [Fact]
    public void Replay_TornLastLine_KeepsTheGoodRecords()
    {
        var spool = new UsageSpool(Path.Combine(dir, "spool.jsonl"));
        spool.Append([Record(1), Record(2)]);
        File.AppendAllText(spool.Path, "{\"request_id\":\"req_3\",\"oper");
        var replayed = new List<UsageRecord>();
        Assert.Equal(2, spool.Replay(b => replayed.AddRange(b)));
        Assert.Equal(["req_1", "req_2"], replayed.Select(r => r.RequestId));
        Assert.False(spool.HasRecords);
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
