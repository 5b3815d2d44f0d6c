using System.Diagnostics;

namespace Switchyard.Usage;

/// <summary>The database thread: journal → database, with the checkpoint in each transaction.</summary>
public sealed partial class UsageWriter
{
    /// <summary>
    /// Copies the journal into the database from the checkpoint, <c>databaseBatch</c> records per transaction,
    /// each with the position it read up to. After a failure it re-reads the store's own checkpoint before it
    /// writes again (the commit may have happened before the error reached us), so nothing is written twice.
    /// A thread of its own: a locked database holds it in SQLite's busy wait for seconds, which on the thread
    /// pool would take a thread from the requests.
    /// </summary>
    private void DatabaseLoop()
    {
        var state = new DatabaseState(databaseBatch, RetryMin);
        while (!(draining && Stopwatch.GetElapsedTime(drainStarted) >= ShutdownGrace)) // past the grace, a backlog replays at the next start
        {
            DatabaseStep step;
            try
            {
                step = CopyOnce(state);
            }
            catch (Exception ex)
            {
                // Whatever the database throws, the loop lives on: the records wait in the journal.
                SetDatabase(ex);
                state.Resync = true;
                step = DatabaseStep.Failed;
            }

            if (step == DatabaseStep.Done || (step == DatabaseStep.Failed && draining))
            {
                return; // drained, or the records wait in the journal for the next start
            }

            if (step == DatabaseStep.Failed)
            {
                Pause(state.Backoff);
                state.Backoff = Longer(state.Backoff);
            }
        }
    }

    /// <summary>What one pass of the database loop did.</summary>
    private enum DatabaseStep
    {
        Copied,
        Done,
        Failed,
    }

    /// <summary>The database loop's own state (one per loop, on its thread).</summary>
    private sealed class DatabaseState(int capacity, TimeSpan backoff)
    {
        public List<UsageRecord> Batch { get; } = new(capacity);

        public TimeSpan Backoff { get; set; } = backoff;

        public bool Resync { get; set; }

        public bool ReadFailed { get; set; }
    }

    /// <summary>Copies one batch from the checkpoint (or waits for the journal to grow); throws on database errors.</summary>
    private DatabaseStep CopyOnce(DatabaseState state)
    {
        if (state.Resync)
        {
            lock (storeGate)
            {
                Interlocked.Exchange(ref checkpoint, store.ReadCheckpoint());
            }

            state.Resync = false;
        }

        databaseWake.Reset(); // before looking at the journal's end, so an append after the look sets it again
        var from = Interlocked.Read(ref checkpoint);
        if (from >= journal.End)
        {
            if (draining)
            {
                return DatabaseStep.Done;
            }

            databaseWake.Wait();
            return DatabaseStep.Copied;
        }

        state.Batch.Clear();
        if ((TakeHandoff(from, state.Batch) ?? ReadJournal(from, state)) is not { } next)
        {
            return draining ? DatabaseStep.Done : DatabaseStep.Failed;
        }

        // Journal copies commit without their own disk flush; the one after which journal segments go is durable,
        // and hardens the lazy ones before it, so no record is ever only in a database commit that a power cut can undo.
        var durable = journal.HasSegmentBefore(next);
        UsageWriteResult result;
        lock (storeGate)
        {
            result = store.Write(state.Batch, next, durable);
        }

        if (durable)
        {
            Interlocked.Increment(ref durableCopies);
        }

        Interlocked.Exchange(ref checkpoint, next);
        Counted(result);
        state.Backoff = RetryMin;
        Pulse();
        if (durable)
        {
            journal.DeleteBefore(next); // only after a durable write: a segment sealed since the check waits for the next one
        }

        return DatabaseStep.Copied;
    }

    /// <summary>
    /// Gives the journal thread's records to the database loop as they are, so the common case (the database
    /// keeps up) neither reads the journal back nor parses it: that read and parse took a twentieth of the core
    /// at 2,500 requests a second (bench/README.md). Bounded: past <see cref="MaxHandoffRecords"/> nothing is
    /// handed over and the database loop reads the journal, as it does after a restart or a failure.
    /// </summary>
    private void HandOff(List<UsageRecord> batch, long start, long end)
    {
        // One producer (the journal thread); the database thread only lowers the count, so check-then-add cannot overshoot.
        if (batch.Count == 0 || end <= start || Volatile.Read(ref handoffRecords) + batch.Count > MaxHandoffRecords)
        {
            return;
        }

        Interlocked.Add(ref handoffRecords, batch.Count);
        handoff.Enqueue(new Handoff(start, end, [.. batch], journal.LastLineEnds()));
    }

    /// <summary>
    /// The handed-over records from the checkpoint <paramref name="from"/> on, up to the database batch; null when
    /// there are none (the journal is read instead). A checkpoint inside a hand-off (a journal read or a smaller
    /// database batch stopped there) takes its records from that line on, so the loop never stays on the journal-read
    /// path once it is behind; a hand-off the checkpoint has passed is dropped.
    /// </summary>
    private long? TakeHandoff(long from, List<UsageRecord> batch)
    {
        long? next = null;
        while (batch.Count < databaseBatch && handoff.TryPeek(out var h))
        {
            var at = next ?? from;
            var first = h.End <= at ? h.Records.Length : h.RecordAt(at);
            if (first < 0)
            {
                break; // a gap before it (records not handed over): the journal has them
            }

            var take = Math.Min(databaseBatch - batch.Count, h.Records.Length - first);
            if (take > 0)
            {
                batch.AddRange(new ArraySegment<UsageRecord>(h.Records, first, take));
                Interlocked.Add(ref handedOver, take);
                next = h.Start + h.Ends[first + take - 1];
            }

            if (first + take < h.Records.Length)
            {
                break; // the batch is full; the rest of this hand-off is the next copy's
            }

            handoff.TryDequeue(out _);
            Interlocked.Add(ref handoffRecords, -h.Records.Length);
        }

        return next;
    }

    /// <summary>Reads a batch from the journal; null when it cannot be read (logged once until it can again).</summary>
    private long? ReadJournal(long from, DatabaseState state)
    {
        try
        {
            var next = journal.Read(from, databaseBatch, state.Batch);
            state.ReadFailed = false;
            return next;
        }
        catch (Exception ex)
        {
            if (!state.ReadFailed)
            {
                LogJournalReadFailed(logger, ex.Message);
                state.ReadFailed = true;
            }

            return null;
        }
    }

    /// <summary>A backoff pause on the writer's clock; shutdown cuts it short.</summary>
    private void Pause(TimeSpan backoff)
    {
        databaseRetry.Reset();
        if (draining)
        {
            return;
        }

        using var timer = time.CreateTimer(static s => ((ManualResetEventSlim)s!).Set(), databaseRetry, backoff, Timeout.InfiniteTimeSpan);
        databaseRetry.Wait();
    }

    private void Counted(UsageWriteResult result)
    {
        Interlocked.Add(ref inserted, result.Inserted);
        if (result.Conflicts > 0)
        {
            Interlocked.Add(ref conflicts, result.Conflicts);
            LogConflicts(logger, result.Conflicts);
        }

        if (databaseFailure is not null)
        {
            SetDatabase(null);
        }
    }
}
