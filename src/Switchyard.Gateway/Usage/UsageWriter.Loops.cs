using System.Diagnostics;

namespace Switchyard.Usage;

/// <summary>The journal thread: records → journal (or, while the journal refuses, the database directly).</summary>
public sealed partial class UsageWriter
{
    /// <summary>
    /// The journal thread: takes what has gathered in the queue (up to <see cref="JournalBatch"/> records) and
    /// makes it durable, in the journal first, else in the database directly. No timer gathers a batch: while
    /// one batch is being fsynced the next gathers (group commit), so a record waits for at most one fsync
    /// before its own. A thread of its own, not the thread pool: under load, a continuation queued behind the
    /// requests' work would hold records in memory for as long as that queue is deep.
    /// </summary>
    private void JournalLoop()
    {
        var batch = new List<UsageRecord>(64);
        var backoff = RetryMin;
        long? giveUpAt = null;
        long enqueuedAt = 0;
        while (true)
        {
            if (batch.Count == 0)
            {
                wake.Reset(); // before looking, so a record queued after the look sets it again
                enqueuedAt = Take(batch);
                if (batch.Count == 0 && (stopping || !NoStore))
                {
                    if (stopping)
                    {
                        return; // stopped and drained
                    }

                    wake.Wait();
                    continue;
                }
            }

            Gather(batch);

            // An empty batch here is a probe: no store took the last one, and nothing new has come since.
            if (Persist(batch))
            {
                Committed(batch, enqueuedAt);
                backoff = RetryMin;
                giveUpAt = null;
                continue;
            }

            if (stopping)
            {
                giveUpAt ??= Stopwatch.GetTimestamp();
                if (GaveUp(batch, giveUpAt.Value))
                {
                    return;
                }

                Thread.Sleep(backoff);
            }
            else
            {
                Backoff(backoff, idle: batch.Count == 0);
            }

            backoff = Longer(backoff);
        }
    }

    /// <summary>
    /// Shutting down with no store: keep trying for a while (real time: a process must stop, whatever clock
    /// the writer was given), then give the records up, logged. True when they were given up.
    /// </summary>
    private bool GaveUp(List<UsageRecord> batch, long since)
    {
        if (Stopwatch.GetElapsedTime(since) < ShutdownGrace)
        {
            return false;
        }

        Take(batch, int.MaxValue);
        Interlocked.Add(ref lost, batch.Count);
        Interlocked.Add(ref buffered, -batch.Count);
        LogLostAtShutdown(logger, batch.Count, ShutdownGrace);
        Pulse();
        return true;
    }

    /// <summary>
    /// Group commit with a floor under the interval between fsyncs (<c>usage.journal_commit_interval</c>): when
    /// the last batch went to disk less than the interval ago, wait out the rest and take what came meanwhile.
    /// Without it, a core serving 3,000 requests a second spent a tenth of its time opening, fsyncing and
    /// closing the journal for batches of one or two records (bench/README.md). At low load the last fsync is
    /// long past and nothing waits. Real time, not the writer's clock: this paces the disk, it decides nothing a
    /// test observes, and a fake clock that never moves would hold the records forever.
    /// </summary>
    private void Gather(List<UsageRecord> batch)
    {
        var wait = commitInterval - Stopwatch.GetElapsedTime(lastCommit);
        if (wait <= TimeSpan.Zero || stopping || batch.Count is 0 or >= JournalBatch || NoStore)
        {
            return;
        }

        Thread.Sleep(wait);
        Take(batch);
    }

    /// <summary>A batch is on disk: count it, release its memory share, wake whoever waits for durability.</summary>
    private void Committed(List<UsageRecord> batch, long enqueuedAt)
    {
        lastCommit = Stopwatch.GetTimestamp();
        if (batch.Count > 0)
        {
            NoteLag(enqueuedAt);
        }

        Interlocked.Add(ref persisted, batch.Count);
        Interlocked.Add(ref buffered, -batch.Count);
        batch.Clear();
        Pulse();
    }

    /// <summary>Moves queued records into <paramref name="batch"/>; returns when the first of them was queued.</summary>
    private long Take(List<UsageRecord> batch, int max = JournalBatch)
    {
        long oldest = 0;
        while (batch.Count < max && queue.TryDequeue(out var pending))
        {
            if (batch.Count == 0)
            {
                oldest = pending.EnqueuedAt;
            }

            batch.Add(pending.Record);
        }

        return oldest;
    }

    /// <summary>Records how long the batch's oldest record waited in memory before it was on disk.</summary>
    private void NoteLag(long enqueuedAt)
    {
        var lag = time.GetElapsedTime(enqueuedAt).Ticks;
        Interlocked.Exchange(ref lastLagTicks, lag);
        long max;
        while (lag > (max = Interlocked.Read(ref maxLagTicks)) && Interlocked.CompareExchange(ref maxLagTicks, lag, max) != max)
        {
        }
    }

    /// <summary>True while neither store took the last write.</summary>
    private bool NoStore => Volatile.Read(ref noStore) == 1;

    /// <summary>
    /// Waits out a backoff on the writer's clock (a timer of <see cref="TimeProvider"/> ends it). An idle probe
    /// also ends early when a record arrives (then it is tried at once); a batch in hand waits the whole backoff.
    /// Shutdown ends either.
    /// </summary>
    private void Backoff(TimeSpan backoff, bool idle)
    {
        // An idle probe keeps a wake-up already set (a record came after the look); a retry ignores records.
        var signal = idle ? wake : retryWake;
        if (!idle)
        {
            signal.Reset();
        }

        if (stopping)
        {
            return;
        }

        using var timer = time.CreateTimer(static s => ((ManualResetEventSlim)s!).Set(), signal, backoff, Timeout.InfiniteTimeSpan);
        signal.Wait();
    }

    /// <summary>The journal, else the database directly; false when neither took <paramref name="batch"/>.</summary>
    private bool Persist(List<UsageRecord> batch)
    {
        try
        {
            var start = journal.End;
            journal.Append(batch);
            HandOff(batch, start, journal.End);
            if (batch.Count > 0)
            {
                Interlocked.Increment(ref journalCommits);
            }

            if (journalFailure is not null)
            {
                SetJournal(null);
            }

            databaseWake.Set();
            return true;
        }
        catch (Exception ex)
        {
            // IOException and UnauthorizedAccessException in practice (unwritable, full); anything else is a bug,
            // and still must not end the loop that holds the records.
            SetJournal(ex);
        }

        try
        {
            UsageWriteResult result;
            lock (storeGate)
            {
                result = store.Write(batch);
            }

            Counted(result);
            return true;
        }
        catch (Exception ex)
        {
            // Whatever the database throws, the loop must live on (the records are still here); it is reported.
            SetDatabase(ex);
            return false;
        }
    }

    private static TimeSpan Longer(TimeSpan backoff) => TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, RetryMax.Ticks));
}
