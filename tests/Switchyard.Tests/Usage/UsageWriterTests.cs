using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Switchyard.Tests.Configuration;
using Switchyard.Usage;
using static Switchyard.Tests.Usage.UsageJournalTests;

namespace Switchyard.Tests.Usage;

/// <summary>The usage writer on real SQLite and real files: durability, replay exactly once, the memory bound.</summary>
public sealed class UsageWriterTests : IDisposable
{
    /// <summary>Bound for any single wait: a broken writer fails the test instead of hanging it. Never a timing assertion.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    private readonly string dir = Directory.CreateTempSubdirectory("switchyard-usage-").FullName;

    private string DbPath => Path.Combine(dir, "u.db");

    private string JournalDir => Path.Combine(dir, "journal");

    private UsageWriter Writer(IUsageStore store, UsageSettings? settings = null, TimeProvider? time = null, ILogger? logger = null, int databaseBatch = 512) =>
        new(store, new UsageJournal(JournalDir, (settings ?? UsageSettings.Default).JournalMaxBytes, NullLogger.Instance),
            settings ?? UsageSettings.Default, time ?? TimeProvider.System, logger ?? NullLogger.Instance, databaseBatch);

    private SqliteUsageStore Store() => new(DbPath, TimeSpan.FromMilliseconds(50));

    [Fact]
    public async Task Enqueue_ManyRecords_AllReachSqliteOnce()
    {
        using var store = Store();
        await using (var writer = Writer(store))
        {
            for (var i = 0; i < 5_000; i++)
            {
                writer.Enqueue(Record(i));
            }

            await writer.FlushAsync().WaitAsync(Bound);
        }

        var recent = store.ReadRecent(10_000);
        Assert.Equal(5_000, recent.Count);
        Assert.Equal(5_000, recent.Select(r => r.RequestId).Distinct().Count());
        Assert.Equal(Enumerable.Range(0, 5_000).Sum(i => (long)i), recent.Sum(r => r.PromptTokens));
        Assert.Equal(0, store.CountConflicts());
    }

    [Fact]
    public async Task Copy_WhileTheDatabaseKeepsUp_TakesTheJournalThreadsRecordsWithoutReadingTheJournalBack()
    {
        using var store = Store();
        await using var writer = Writer(store);
        for (var i = 0; i < 300; i++)
        {
            writer.Enqueue(Record(i));
            if (i % 50 == 0)
            {
                await writer.DurableAsync().WaitAsync(Bound); // several journal batches, each handed over
            }
        }

        await writer.FlushAsync().WaitAsync(Bound);

        Assert.Equal(300, writer.HandedOver);
        var stored = store.ReadRecent(1_000);
        Assert.Equal(300, stored.Count);
        Assert.Equal(Enumerable.Range(0, 300).Sum(i => (long)i), stored.Sum(r => r.PromptTokens));
        Assert.Equal(0, writer.Status.JournalBacklogBytes);
    }

    [Fact]
    public async Task Copy_IsLazyUntilJournalSegmentsGo_AndTheCopyBeforeEachDeletionIsDurable()
    {
        using var sqlite = Store();
        var store = new WatchingStore(sqlite, JournalDir);
        var journal = new UsageJournal(JournalDir, UsageSettings.Default.JournalMaxBytes, NullLogger.Instance, segmentBytes: 4096);
        await using (var writer = new UsageWriter(store, journal, UsageSettings.Default, TimeProvider.System, NullLogger.Instance))
        {
            for (var i = 0; i < 400; i++)
            {
                writer.Enqueue(Record(i));
                if (i % 20 == 0)
                {
                    await writer.DurableAsync().WaitAsync(Bound); // many small journal batches and copies
                }
            }

            await writer.FlushAsync().WaitAsync(Bound);
            Assert.Equal(store.Writes.Count(w => w.Durable), writer.DurableCopies);
        }

        Assert.Equal(400, sqlite.ReadRecent(1_000).Count);
        Assert.Contains(store.Writes, w => !w.Durable); // most copies skip their own fsync...
        Assert.Contains(store.Writes, w => w.Durable); // ...and segments did go, each after a durable one
        var deletions = store.Writes.Zip(store.Writes.Skip(1).Select(w => w.Segments).Append(Segments(JournalDir)), (w, after) => (w, gone: w.Segments.Except(after).Count()));
        Assert.All(deletions.Where(d => d.gone > 0), d => Assert.True(d.w.Durable, "journal segments were deleted after a lazy copy"));
        Assert.Contains(deletions, d => d.gone > 0);
    }

    [Fact]
    public async Task Copy_AJournalBatchLargerThanADatabaseBatch_IsHandedOverInDatabaseSizedParts()
    {
        using var store = Store();
        await using var writer = Writer(store, UsageSettings.Default with { JournalCommitInterval = TimeSpan.FromSeconds(1) }, databaseBatch: 10);
        writer.Enqueue(Record(0));
        await writer.DurableAsync().WaitAsync(Bound); // the next batch waits out the interval and gathers everything below
        for (var i = 1; i <= 100; i++)
        {
            writer.Enqueue(Record(i));
        }

        await writer.FlushAsync().WaitAsync(Bound);

        Assert.Equal(101, store.ReadRecent(1_000).Count);
        Assert.Equal(101, writer.HandedOver); // none of it read back from the journal
    }

    private static string[] Segments(string dir) => Directory.Exists(dir) ? Directory.GetFiles(dir) : [];

    /// <summary>Notes each copy's durability and the journal's files when it was written.</summary>
    private sealed class WatchingStore(IUsageStore inner, string journalDir) : IUsageStore
    {
        public List<(bool Durable, string[] Segments)> Writes { get; } = [];

        public UsageWriteResult Write(IReadOnlyList<UsageRecord> batch, long? checkpoint = null, bool durable = true)
        {
            if (checkpoint is not null)
            {
                Writes.Add((durable, Segments(journalDir)));
            }

            return inner.Write(batch, checkpoint, durable);
        }

        public long ReadCheckpoint() => inner.ReadCheckpoint();

        public IReadOnlyList<UsageRecord> ReadRecent(int limit) => inner.ReadRecent(limit);

        public void Dispose()
        {
        }
    }

    [Fact]
    public async Task Commit_ARecordArrivingWithinTheIntervalJoinsTheWaitingBatch_OneFsyncForBoth()
    {
        // The interval is long so that the second record surely arrives while the first waits; nothing here
        // measures time: the assertion is how many fsyncs were made.
        using var store = Store();
        await using var writer = Writer(store, UsageSettings.Default with { JournalCommitInterval = TimeSpan.FromSeconds(1) });
        writer.Enqueue(Record(1));
        await writer.DurableAsync().WaitAsync(Bound); // the first: the last fsync is long past, no wait
        Assert.Equal(1, writer.JournalCommits);

        writer.Enqueue(Record(2));
        while (writer.Queued > 0)
        {
            await Task.Yield(); // the journal thread has taken record 2 and waits out the interval
        }

        writer.Enqueue(Record(3));
        await writer.FlushAsync().WaitAsync(Bound);

        Assert.Equal(2, writer.JournalCommits);
        Assert.Equal(3, store.ReadRecent(10).Count);
    }

    [Fact]
    public async Task Enqueue_WhileTheDatabaseIsLocked_RecordsWaitOnDiskNotInMemory()
    {
        using var store = Store();
        await using var writer = Writer(store);
        using (var blocker = ExclusiveLock())
        {
            for (var i = 0; i < 100; i++)
            {
                writer.Enqueue(Record(i));
            }

            await writer.DurableAsync().WaitAsync(Bound); // returns while the database is still locked

            Assert.Equal(0, writer.Status.Buffered);
            Assert.True(writer.Status.JournalBacklogBytes > 0);
            Assert.Null(writer.RefusalReason); // the journal takes records: traffic goes on
            Assert.Empty(store.ReadRecent(10));
        }

        await writer.FlushAsync().WaitAsync(Bound);
        Assert.Equal(100, store.ReadRecent(1_000).Count);
        Assert.Equal(0, writer.Status.JournalBacklogBytes);
        Assert.Equal(0, store.CountConflicts());
    }

    [Theory]
    [InlineData(FailMode.BeforeCommit)]
    [InlineData(FailMode.AfterCommit)]
    public async Task Replay_CrashPartWayThrough_RestartStoresEveryRecordOnce(FailMode mode)
    {
        // The first run dies part-way through copying the journal into the database: its store fails after
        // 300 records, either before a transaction (nothing of it stored) or after its commit (stored, but
        // the writer only sees the error). Then the process is "restarted" on the same files.
        using (var inner = Store())
        {
            var failing = new FailingStore(inner, failAfter: 300, mode);
            var first = Writer(failing, databaseBatch: 100);
            for (var i = 0; i < 1_000; i++)
            {
                first.Enqueue(Record(i));
            }

            await first.DurableAsync().WaitAsync(Bound);
            await failing.Failed.WaitAsync(Bound);
            await first.DisposeAsync(); // the rest stays in the journal
            Assert.InRange(inner.ReadRecent(2_000).Count, 200, 399); // part-way: batches are up to 100 records
        }

        using var store = Store();
        await using var second = Writer(store, databaseBatch: 100);
        await second.FlushAsync().WaitAsync(Bound);

        var records = store.ReadRecent(2_000);
        Assert.Equal(1_000, records.Count);
        Assert.Equal(1_000, records.Select(r => r.RequestId).Distinct().Count());
        Assert.Equal(0, store.CountConflicts());
        Assert.Equal(0, second.Status.Conflicts);
    }

    [Fact]
    public async Task Write_SameGatewayIdTwice_IsKeptAsideAndCountedNeverDropped()
    {
        using var store = Store();
        var logger = new CapturingLogger();
        await using var writer = Writer(store, logger: logger);

        writer.Enqueue(Record(1));
        writer.Enqueue(Record(1)); // a bug upstream of the writer: one id on two records
        await writer.FlushAsync().WaitAsync(Bound);

        Assert.Single(store.ReadRecent(10));
        Assert.Equal(1, store.CountConflicts());
        Assert.Equal(1, writer.Status.Conflicts);
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Critical && e.Id.Id == 3007);
    }

    [Fact]
    public async Task NoStore_Refuse_RecordsWaitInMemoryThenGoToTheFirstStoreBack()
    {
        using var store = Store();
        BlockJournal();
        await using var writer = Writer(store);
        using (var blocker = ExclusiveLock())
        {
            for (var i = 0; i < 10; i++)
            {
                writer.Enqueue(Record(i));
            }

            await Until(() => writer.RefusalReason is not null);

            Assert.Contains("journal:", writer.RefusalReason!, StringComparison.Ordinal);
            Assert.Contains("database is locked", writer.RefusalReason!, StringComparison.Ordinal);
            Assert.Equal(10, writer.Status.Buffered);

            writer.SetPolicy(UsageStoreFailurePolicy.AcceptUnrecorded); // a reload changes the policy at once
            Assert.Null(writer.RefusalReason);
            writer.SetPolicy(UsageStoreFailurePolicy.Refuse);
            Assert.NotNull(writer.RefusalReason);
        }

        // The database is back, the journal is not: records go there directly.
        await writer.FlushAsync().WaitAsync(Bound);
        Assert.Equal(10, store.ReadRecent(100).Count);
        Assert.Null(writer.RefusalReason);
        Assert.NotNull(writer.Status.JournalFailure);
        Assert.Equal(0, writer.Status.Buffered);
    }

    [Fact]
    public async Task NoStore_JournalBackFirst_RecordsGoToTheJournalThenTheDatabase()
    {
        using var store = Store();
        BlockJournal();
        await using var writer = Writer(store);
        using (var blocker = ExclusiveLock())
        {
            writer.Enqueue(Record(1));
            await Until(() => writer.RefusalReason is not null);

            UnblockJournal();
            await writer.DurableAsync().WaitAsync(Bound);
            Assert.Null(writer.RefusalReason);
            Assert.Empty(store.ReadRecent(10));
        }

        await writer.FlushAsync().WaitAsync(Bound);
        Assert.Single(store.ReadRecent(10));
    }

    [Fact]
    public async Task NoStore_AcceptUnrecorded_ServesAndCountsDropsBeyondTheBufferLoggingOncePerInterval()
    {
        using var store = Store();
        BlockJournal();
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var logger = new CapturingLogger();
        var settings = UsageSettings.Default with { OnStoreFailure = UsageStoreFailurePolicy.AcceptUnrecorded, MemoryBuffer = 4 };
        await using var writer = Writer(store, settings, time, logger);
        using (var blocker = ExclusiveLock())
        {
            writer.Enqueue(Record(0));
            await Until(() => writer.Status.DatabaseFailure is not null);
            Assert.Null(writer.RefusalReason); // accept_unrecorded: never refuses

            for (var i = 1; i < 10; i++)
            {
                writer.Enqueue(Record(i));
            }

            Assert.Equal(4, writer.Status.Buffered);
            Assert.Equal(6, writer.Status.Dropped);
            Assert.Single(logger.Entries, e => e.Id.Id == 3006);

            writer.Enqueue(Record(10));
            Assert.Single(logger.Entries, e => e.Id.Id == 3006); // same interval: no new line

            time.Advance(TimeSpan.FromSeconds(10));
            writer.Enqueue(Record(11));
            var lines = logger.Entries.Where(e => e.Id.Id == 3006).ToList();
            Assert.Equal(2, lines.Count);
            Assert.Contains("Dropped 1 usage records since the last report (1 in all)", lines[0].Message, StringComparison.Ordinal); // the first at once
            Assert.Contains("Dropped 7 usage records since the last report (8 in all)", lines[1].Message, StringComparison.Ordinal);
        }

        UnblockJournal();
        var flushed = writer.FlushAsync();
        using (var deadline = new CancellationTokenSource(Bound))
        {
            while (!flushed.IsCompleted)
            {
                time.Advance(TimeSpan.FromSeconds(1)); // the retry backoff runs on the writer's clock
                await Task.WhenAny(flushed, Task.Delay(10, deadline.Token));
            }
        }

        await flushed;
        Assert.Equal(4, store.ReadRecent(100).Count);
        Assert.Equal(8, writer.Status.Dropped);
    }

    [Fact]
    public async Task Enqueue_RefusalRecordsWhileNoStore_TakeOnlyHalfTheBuffer()
    {
        using var store = Store();
        BlockJournal();
        var settings = UsageSettings.Default with { MemoryBuffer = 4 };
        await using var writer = Writer(store, settings);
        using (var blocker = ExclusiveLock())
        {
            for (var i = 0; i < 4; i++)
            {
                writer.Enqueue(Record(i, attempts: 0)); // refusals: no upstream was called
            }

            Assert.Equal(2, writer.Status.Buffered);
            writer.Enqueue(Record(10));
            writer.Enqueue(Record(11)); // answered requests still fit
            Assert.Equal(4, writer.Status.Buffered);
            Assert.Equal(2, writer.Status.Dropped);
        }

        UnblockJournal();
        await writer.FlushAsync().WaitAsync(Bound);
        Assert.Equal([0, 1, 10, 11], store.ReadRecent(100).Select(r => (int)r.PromptTokens).Order());
    }

    [Fact]
    public async Task Dispose_WritesEverythingQueuedAndLogsHowMany()
    {
        using var store = Store();
        var logger = new CapturingLogger();
        var writer = Writer(store, logger: logger);
        for (var i = 0; i < 50; i++)
        {
            writer.Enqueue(Record(i));
        }

        await writer.DisposeAsync();

        Assert.Equal(50, store.ReadRecent(100).Count);
        var line = Assert.Single(logger.Entries, e => e.Id.Id == 3008);
        Assert.Contains("0 journal bytes left", line.Message, StringComparison.Ordinal);
        Assert.Contains("0 records lost", line.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Journal_Full_RecordsGoToTheDatabaseDirectly()
    {
        using var store = Store();
        var settings = UsageSettings.Default with { JournalMaxBytes = 1 }; // below any record
        await using var writer = Writer(store, settings);

        writer.Enqueue(Record(1));
        await writer.FlushAsync().WaitAsync(Bound);

        Assert.Single(store.ReadRecent(10));
        Assert.Contains("journal full", writer.Status.JournalFailure, StringComparison.Ordinal);
        Assert.Null(writer.RefusalReason);
    }

    /// <summary>Holds SQLite's write lock from another connection (like another process would) until disposed.</summary>
    private SqliteConnection ExclusiveLock()
    {
        var blocker = new SqliteConnection($"Data Source={DbPath};Pooling=False");
        blocker.Open();
        using var cmd = blocker.CreateCommand();
        cmd.CommandText = "BEGIN EXCLUSIVE";
        cmd.ExecuteNonQuery();
        return blocker;
    }

    /// <summary>The journal's folder becomes a file: nothing can be created or opened in it.</summary>
    private void BlockJournal() => File.WriteAllText(JournalDir, "blocked");

    private void UnblockJournal()
    {
        File.Delete(JournalDir);
        Directory.CreateDirectory(JournalDir);
    }

    /// <summary>Waits for <paramref name="condition"/>, bounded; for states the writer reaches on its own.</summary>
    private static async Task Until(Func<bool> condition)
    {
        using var deadline = new CancellationTokenSource(Bound);
        while (!condition())
        {
            await Task.Delay(5, deadline.Token);
        }
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            if (File.Exists(JournalDir))
            {
                File.Delete(JournalDir);
            }

            Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    public enum FailMode
    {
        BeforeCommit,
        AfterCommit,
    }

    /// <summary>A store that dies once <c>failAfter</c> records were written through it (a crash, as the writer sees it).</summary>
    private sealed class FailingStore(IUsageStore inner, int failAfter, FailMode mode) : IUsageStore
    {
        private readonly TaskCompletionSource failed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int written;

        public Task Failed => failed.Task;

        public UsageWriteResult Write(IReadOnlyList<UsageRecord> batch, long? checkpoint = null, bool durable = true)
        {
            if (written >= failAfter)
            {
                failed.TrySetResult();
                throw new IOException("simulated crash");
            }

            if (written + batch.Count > failAfter && mode == FailMode.BeforeCommit)
            {
                written = failAfter;
                failed.TrySetResult();
                throw new IOException("simulated crash before commit");
            }

            var result = inner.Write(batch, checkpoint, durable);
            written += batch.Count;
            if (written >= failAfter && mode == FailMode.AfterCommit)
            {
                failed.TrySetResult();
                throw new IOException("simulated crash after commit");
            }

            return result;
        }

        public long ReadCheckpoint() => written >= failAfter ? throw new IOException("simulated crash") : inner.ReadCheckpoint();

        public IReadOnlyList<UsageRecord> ReadRecent(int limit) => inner.ReadRecent(limit);

        public void Dispose()
        {
        }
    }
}
