using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Switchyard.Usage;

/// <summary>
/// Takes usage records off the request path and makes them durable (docs/adr/0004-usage-durability.md).
/// Requests <see cref="Enqueue"/>; the journal thread appends what has gathered to the <see cref="UsageJournal"/>
/// and fsyncs it (group commit: one fsync per batch, no timer), and the database loop copies the journal into
/// the <see cref="IUsageStore"/> with the journal checkpoint in the same transaction. A slow or locked database
/// therefore holds no record in memory: records wait in the journal, on disk.
/// </summary>
/// <remarks>
/// When the journal refuses a batch (unwritable, full) the batch goes to the database directly; when both
/// refuse, the batch and what follows wait in memory (at most <see cref="UsageSettings.MemoryBuffer"/>
/// records, beyond which they are dropped and counted) and are retried with backoff until either takes them.
/// Meanwhile, with <c>on_store_failure: refuse</c>, <see cref="RefusalReason"/> makes Admission answer 503.
/// </remarks>
public sealed partial class UsageWriter : IUsageRecordingGate, IAsyncDisposable
{
    private const int JournalBatch = 4096;
    private const int MaxHandoffRecords = 16_384;
    private static readonly TimeSpan RetryMin = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan RetryMax = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan DropLogInterval = TimeSpan.FromSeconds(10);

    /// <summary>How long shutdown keeps retrying records that neither store takes before it gives them up.</summary>
    private static readonly TimeSpan ShutdownGrace = TimeSpan.FromSeconds(5);

    private readonly ConcurrentQueue<Pending> queue = new();
    private readonly ManualResetEventSlim wake = new();
    private readonly ManualResetEventSlim retryWake = new();
    private readonly TaskCompletionSource journalStopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly IUsageStore store;
    private readonly Lock storeGate = new();
    private readonly UsageJournal journal;
    private readonly TimeProvider time;
    private readonly ILogger logger;
    private readonly int memoryBuffer;
    private readonly int databaseBatch;
    private readonly TimeSpan commitInterval;
    private readonly ConcurrentQueue<Handoff> handoff = new();
    private readonly ManualResetEventSlim databaseWake = new();
    private readonly ManualResetEventSlim databaseRetry = new();
    private readonly TaskCompletionSource databaseStopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource progress = NewPulse();
    private volatile UsageStoreFailurePolicy policy;
    private volatile string? journalFailure;
    private volatile string? databaseFailure;
    private volatile string? refusal;
    private volatile bool stopping;
    private volatile bool draining;
    private long drainStarted;
    private int noStore;
    private int disposed;
    private int closed;
    private long checkpoint;
    private long accepted;
    private long persisted;
    private long buffered;
    private long dropped;
    private long droppedLogged;
    private long lastDropLog;
    private long inserted;
    private long conflicts;
    private long lost;
    private long lastLagTicks;
    private long maxLagTicks;
    private long lastCommit;
    private int handoffRecords;
    private long journalCommits;
    private long handedOver;
    private long durableCopies;

    /// <summary>Opens the journal after the store's checkpoint and starts both loops.</summary>
    /// <param name="store">The database.</param>
    /// <param name="journal">The journal (not yet opened).</param>
    /// <param name="settings">Policy and bounds (<c>usage:</c>).</param>
    /// <param name="time">Clock for retry backoff and the drop log's interval.</param>
    /// <param name="logger">Log.</param>
    /// <param name="databaseBatch">Records per database transaction at most.</param>
    public UsageWriter(IUsageStore store, UsageJournal journal, UsageSettings settings, TimeProvider time, ILogger logger, int databaseBatch = 512)
    {
        this.store = store;
        this.journal = journal;
        this.time = time;
        this.logger = logger;
        this.databaseBatch = databaseBatch;
        memoryBuffer = settings.MemoryBuffer;
        commitInterval = settings.JournalCommitInterval;
        policy = settings.OnStoreFailure;
        lastDropLog = time.GetTimestamp() - (long)(DropLogInterval.TotalSeconds * time.TimestampFrequency); // the first drop is logged at once
        checkpoint = store.ReadCheckpoint();
        try
        {
            journal.Open(checkpoint);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            SetJournal(ex);
        }

        StartThread("usage-journal", JournalLoop, journalStopped);
        StartThread("usage-database", DatabaseLoop, databaseStopped);
    }

    private static void StartThread(string name, Action loop, TaskCompletionSource stopped) => new Thread(() =>
    {
        try
        {
            loop();
        }
        finally
        {
            stopped.TrySetResult();
        }
    })
    { IsBackground = true, Name = name }.Start();

    /// <summary>The store being written to.</summary>
    public IUsageStore Store => store;

    /// <summary>The journal in front of it.</summary>
    public UsageJournal Journal => journal;

    /// <inheritdoc />
    public string? RefusalReason => refusal;

    /// <summary>The state for the readiness probe.</summary>
    public UsageWriterStatus Status => new(
        policy, journalFailure, databaseFailure, Interlocked.Read(ref buffered), Interlocked.Read(ref dropped),
        Interlocked.Read(ref conflicts), Math.Max(0, journal.End - Interlocked.Read(ref checkpoint)), journal.CorruptLines, refusal)
    {
        LastDurabilityLag = TimeSpan.FromTicks(Interlocked.Read(ref lastLagTicks)),
        MaxDurabilityLag = TimeSpan.FromTicks(Interlocked.Read(ref maxLagTicks)),
    };

    /// <summary>Batches the journal has made durable (one fsync each) since start.</summary>
    internal long JournalCommits => Interlocked.Read(ref journalCommits);

    /// <summary>Records the database loop took from the journal thread's hand-off rather than from the journal.</summary>
    internal long HandedOver => Interlocked.Read(ref handedOver);

    /// <summary>Journal copies written durably (each before journal segments were deleted), for tests.</summary>
    internal long DurableCopies => Interlocked.Read(ref durableCopies);

    /// <summary>Records queued and not yet taken by the journal thread.</summary>
    internal int Queued => queue.Count;

    /// <summary>Applies a reloaded <c>usage.on_store_failure</c> (the bounds take effect at the next start).</summary>
    public void SetPolicy(UsageStoreFailurePolicy next)
    {
        policy = next;
        UpdateRefusal();
    }

    /// <summary>Queues a record; never blocks. Beyond the memory bound the record is dropped and counted.</summary>
    public void Enqueue(UsageRecord record)
    {
        if (Volatile.Read(ref closed) == 1)
        {
            Drop(1); // after shutdown (a shadow copy settling late): nothing can take it any more
            return;
        }

        // Records that cost nothing (no upstream was called: refusals) may fill only half the buffer, so a
        // flood of 503s while the stores are down cannot push out the records of answered requests.
        var limit = record.Attempts == 0 ? Math.Max(1, memoryBuffer / 2) : memoryBuffer;
        if (Interlocked.Increment(ref buffered) > limit)
        {
            Interlocked.Decrement(ref buffered);
            Drop(1);
            return;
        }

        Interlocked.Increment(ref accepted);
        queue.Enqueue(new Pending(record, time.GetTimestamp()));
        wake.Set();
        if (Volatile.Read(ref closed) == 1)
        {
            Sweep(); // shutdown finished while this was being queued
        }
    }

    /// <summary>After the journal thread has stopped: what is still queued can go nowhere; counted as lost.</summary>
    private long Sweep()
    {
        var swept = 0L;
        while (queue.TryDequeue(out _))
        {
            swept++;
        }

        Interlocked.Add(ref lost, swept);
        Interlocked.Add(ref buffered, -swept);
        Pulse();
        return swept;
    }

    /// <summary>
    /// Waits until every record queued before the call is in the database (tests, operators). While the
    /// database refuses, this waits: use <paramref name="ct"/> to bound it. <see cref="DurableAsync"/> waits
    /// only for the disk (journal or database).
    /// </summary>
    public async Task FlushAsync(CancellationToken ct = default)
    {
        await DurableAsync(ct).ConfigureAwait(false);
        var end = journal.End;
        await WaitForAsync(() => Interlocked.Read(ref checkpoint) >= end, ct).ConfigureAwait(false);
    }

    /// <summary>Waits until every record queued before the call is on disk (journal or database) or was given up.</summary>
    public Task DurableAsync(CancellationToken ct = default)
    {
        var target = Interlocked.Read(ref accepted);
        return WaitForAsync(() => Interlocked.Read(ref persisted) + Interlocked.Read(ref lost) >= target, ct);
    }

    private async Task WaitForAsync(Func<bool> done, CancellationToken ct)
    {
        while (true)
        {
            var pulse = Volatile.Read(ref progress);
            if (done())
            {
                return;
            }

            await pulse.Task.WaitAsync(ct).ConfigureAwait(false);
        }
    }

    private void Pulse() => Interlocked.Exchange(ref progress, NewPulse()).TrySetResult();

    private static TaskCompletionSource NewPulse() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private void Drop(int count)
    {
        Interlocked.Add(ref dropped, count);
        MaybeLogDrops();
    }

    /// <summary>
    /// Logs the drops at most once per <see cref="DropLogInterval"/> (the first at once), with the count since
    /// the last line; <paramref name="force"/> reports the rest when a store is back and at shutdown.
    /// </summary>
    private void MaybeLogDrops(bool force = false)
    {
        var last = Interlocked.Read(ref lastDropLog);
        var total = Interlocked.Read(ref dropped);
        if (total == Interlocked.Read(ref droppedLogged) || (!force && time.GetElapsedTime(last) < DropLogInterval)
            || Interlocked.CompareExchange(ref lastDropLog, time.GetTimestamp(), last) != last)
        {
            return;
        }

        var before = Interlocked.Exchange(ref droppedLogged, total);
        LogDropped(logger, total - before, total, memoryBuffer);
    }

    private void SetJournal(Exception? failure)
    {
        var was = journalFailure;
        journalFailure = failure is null ? null : Describe(failure);
        if (was is null && failure is not null)
        {
            LogJournalFailed(logger, failure.Message);
        }
        else if (was is not null && failure is null)
        {
            LogJournalRecovered(logger);
        }

        UpdateRefusal();
    }

    private void SetDatabase(Exception? failure)
    {
        var was = databaseFailure;
        databaseFailure = failure is null ? null : Describe(failure);
        if (was is null && failure is not null)
        {
            LogDatabaseFailed(logger, failure.Message);
        }
        else if (was is not null && failure is null)
        {
            LogDatabaseRecovered(logger);
        }

        UpdateRefusal();
    }

    private void UpdateRefusal()
    {
        var j = journalFailure;
        var d = databaseFailure;
        var none = j is not null && d is not null;
        var reason = none ? $"usage records cannot be stored (journal: {j}; database: {d})" : null;
        refusal = policy == UsageStoreFailurePolicy.Refuse ? reason : null;
        if (none && Interlocked.Exchange(ref noStore, 1) == 0)
        {
            LogNoStore(logger, reason!, policy == UsageStoreFailurePolicy.Refuse
                ? "new requests get 503 until a store takes records again"
                : "requests are served; records wait in memory up to usage.memory_buffer, then are dropped and counted");
        }
        else if (!none && Interlocked.Exchange(ref noStore, 0) == 1)
        {
            LogStoreBack(logger);
            MaybeLogDrops(force: true);
        }
    }

    /// <summary>A failure as the readiness probe shows it: no file paths (the probe needs no key).</summary>
    private string Describe(Exception ex) => ex switch
    {
        SqliteException sqlite => sqlite.Message,
        UsageJournalFullException full => full.Message,
        UnauthorizedAccessException => "permission denied",
        _ => ex.Message.Replace(journal.Directory, "<journal>", StringComparison.Ordinal),
    };

    /// <summary>Stops taking records and writes everything queued: to the journal, then to the database.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 1)
        {
            return; // registered under two service types: disposed once
        }

        var persistedBefore = Interlocked.Read(ref persisted);
        var insertedBefore = Interlocked.Read(ref inserted);
        stopping = true;
        wake.Set();
        retryWake.Set();
        await journalStopped.Task.ConfigureAwait(false);
        Volatile.Write(ref closed, 1);
        if (Sweep() is > 0 and var late)
        {
            LogLostAtShutdown(logger, late, TimeSpan.Zero); // queued during the last moments of shutdown
        }

        drainStarted = System.Diagnostics.Stopwatch.GetTimestamp();
        draining = true;
        databaseWake.Set();
        databaseRetry.Set();
        await databaseStopped.Task.ConfigureAwait(false);
        LogShutdown(logger, Interlocked.Read(ref persisted) - persistedBefore, Interlocked.Read(ref inserted) - insertedBefore,
            Math.Max(0, journal.End - Interlocked.Read(ref checkpoint)), Interlocked.Read(ref lost));
        MaybeLogDrops(force: true);
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "Usage journal refuses writes; records go to the database directly: {Reason}")]
    private static partial void LogJournalFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "Usage journal takes writes again")]
    private static partial void LogJournalRecovered(ILogger logger);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "Usage database refuses writes; records wait in the journal: {Reason}")]
    private static partial void LogDatabaseFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Information, Message = "Usage database takes writes again")]
    private static partial void LogDatabaseRecovered(ILogger logger);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Critical, Message = "No store takes usage records: {Reason}; {Consequence}")]
    private static partial void LogNoStore(ILogger logger, string reason, string consequence);

    [LoggerMessage(EventId = 3011, Level = LogLevel.Information, Message = "A store takes usage records again")]
    private static partial void LogStoreBack(ILogger logger);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Critical, Message = "Dropped {Count} usage records since the last report ({Total} in all): memory buffer of {Capacity} records full while no store takes them")]
    private static partial void LogDropped(ILogger logger, long count, long total, int capacity);

    [LoggerMessage(EventId = 3007, Level = LogLevel.Critical, Message = "{Count} usage record(s) carried an id already stored; kept whole in usage_record_conflicts. This is a bug: please report it")]
    private static partial void LogConflicts(ILogger logger, int count);

    [LoggerMessage(EventId = 3008, Level = LogLevel.Information, Message = "Usage writer stopped: {Persisted} records flushed to disk at shutdown, {Inserted} inserted into the database; {PendingBytes} journal bytes left to replay at the next start; {Lost} records lost")]
    private static partial void LogShutdown(ILogger logger, long persisted, long inserted, long pendingBytes, long lost);

    [LoggerMessage(EventId = 3009, Level = LogLevel.Critical, Message = "Shutdown: {Count} usage records could not be stored anywhere within {Grace} and are lost")]
    private static partial void LogLostAtShutdown(ILogger logger, long count, TimeSpan grace);

    [LoggerMessage(EventId = 3010, Level = LogLevel.Warning, Message = "Usage journal could not be read for the database (will retry): {Reason}")]
    private static partial void LogJournalReadFailed(ILogger logger, string reason);
}

/// <summary>The usage writer's state, as the readiness probe reports it.</summary>
/// <param name="Policy"><c>usage.on_store_failure</c>.</param>
/// <param name="JournalFailure">Why the journal refuses writes; null when it takes them.</param>
/// <param name="DatabaseFailure">Why the database refused the last write; null when it took it.</param>
/// <param name="Buffered">Records in memory, not yet on disk.</param>
/// <param name="Dropped">Records dropped since start (memory bound reached while no store took them).</param>
/// <param name="Conflicts">Records whose id was already stored, kept aside (bugs), since start.</param>
/// <param name="JournalBacklogBytes">Journal bytes not yet in the database.</param>
/// <param name="CorruptJournalLines">Journal lines skipped as unreadable since start.</param>
/// <param name="RefusalReason">Why new requests are refused; null when they are served.</param>
public readonly record struct UsageWriterStatus(
    UsageStoreFailurePolicy Policy, string? JournalFailure, string? DatabaseFailure, long Buffered, long Dropped,
    long Conflicts, long JournalBacklogBytes, long CorruptJournalLines, string? RefusalReason)
{
    /// <summary>How long the last batch's oldest record waited in memory before it was on disk.</summary>
    public TimeSpan LastDurabilityLag { get; init; }

    /// <summary>The longest such wait since start (outages included: records wait in memory while no store takes them).</summary>
    public TimeSpan MaxDurabilityLag { get; init; }
}

/// <summary>
/// Records the journal has just made durable at [<paramref name="Start"/>, <paramref name="End"/>), handed to the database
/// loop, with where each one's line ends (<paramref name="Ends"/>, bytes from <paramref name="Start"/>).
/// </summary>
internal sealed record Handoff(long Start, long End, UsageRecord[] Records, int[] Ends)
{
    /// <summary>The index of the record that begins at <paramref name="position"/>, or -1 when none does.</summary>
    public int RecordAt(long position) =>
        position == Start ? 0 : Array.BinarySearch(Ends, (int)(position - Start)) is var i and >= 0 && i + 1 < Records.Length ? i + 1 : -1;
}

/// <summary>A queued record and when it was queued (for the durability lag).</summary>
internal readonly record struct Pending(UsageRecord Record, long EnqueuedAt);
