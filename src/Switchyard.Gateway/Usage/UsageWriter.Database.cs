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
        var batch = new List<UsageRecord>(databaseBatch);
        var backoff = RetryMin;
        var resync = false;
        var readFailed = false;
        while (true)
        {
            if (draining && Stopwatch.GetElapsedTime(drainStarted) >= ShutdownGrace)
            {
                return; // a long backlog replays at the next start; it is safe in the journal
            }

            try
            {
                if (resync)
                {
                    lock (storeGate)
                    {
                        Interlocked.Exchange(ref checkpoint, store.ReadCheckpoint());
                    }

                    resync = false;
                }

                databaseWake.Reset(); // before looking at the journal's end, so an append after the look sets it again
                var from = Interlocked.Read(ref checkpoint);
                if (from >= journal.End)
                {
                    if (draining)
                    {
                        return;
                    }

                    databaseWake.Wait();
                    continue;
                }

                batch.Clear();
                long next;
                try
                {
                    next = journal.Read(from, databaseBatch, batch);
                    readFailed = false;
                }
                catch (Exception ex)
                {
                    if (!readFailed)
                    {
                        LogJournalReadFailed(logger, ex.Message);
                        readFailed = true;
                    }

                    if (draining)
                    {
                        return;
                    }

                    Pause(backoff);
                    backoff = Longer(backoff);
                    continue;
                }

                UsageWriteResult result;
                lock (storeGate)
                {
                    result = store.Write(batch, next);
                }

                Interlocked.Exchange(ref checkpoint, next);
                Counted(result);
                backoff = RetryMin;
                Pulse();
                journal.DeleteBefore(next);
            }
            catch (Exception ex)
            {
                // Whatever the database throws, the loop lives on: the records wait in the journal.
                SetDatabase(ex);
                resync = true;
                if (draining)
                {
                    return; // the records wait in the journal for the next start
                }

                Pause(backoff);
                backoff = Longer(backoff);
            }
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
