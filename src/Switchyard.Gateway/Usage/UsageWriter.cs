using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Switchyard.Usage;

/// <summary>
/// Takes usage records off the request path: requests <see cref="Enqueue"/> into a bounded channel; one
/// background loop writes them to the store in batches (one transaction each). A failed batch goes to the
/// <see cref="UsageSpool"/> and is replayed once the store accepts writes again; a full channel also
/// spills to the spool rather than blocking a request or dropping a record.
/// </summary>
public sealed partial class UsageWriter : IAsyncDisposable
{
    private const int BatchSize = 512;
    private static readonly TimeSpan ReplayInterval = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan GatherDelay = TimeSpan.FromMilliseconds(25);

    private readonly Channel<UsageRecord> channel;
    private readonly IUsageStore store;
    private readonly UsageSpool spool;
    private readonly ILogger logger;
    private readonly Task loop;
    private long enqueued;
    private long settled;
    private volatile bool storeHealthy = true;
    private volatile bool spoolPending;

    /// <summary>Starts the writer loop.</summary>
    public UsageWriter(IUsageStore store, UsageSpool spool, ILogger<UsageWriter> logger, int capacity = 65_536)
    {
        this.store = store;
        this.spool = spool;
        this.logger = logger;
        channel = Channel.CreateBounded<UsageRecord>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        spoolPending = spool.HasRecords; // left over from a previous run: replay it
        loop = Task.Run(RunAsync);
    }

    /// <summary>True while the last write to the store succeeded.</summary>
    public bool StoreHealthy => storeHealthy;

    /// <summary>Queues a record; never blocks.</summary>
    public void Enqueue(UsageRecord record)
    {
        Interlocked.Increment(ref enqueued);
        if (!channel.Writer.TryWrite(record))
        {
            // Burst beyond the channel (or writer stopped): durable, slower, never lost.
            spool.Append([record]);
            spoolPending = true;
            Interlocked.Increment(ref settled);
        }
    }

    /// <summary>Waits until every record queued before the call is in the store or the spool (tests, shutdown).</summary>
    public async Task FlushAsync(CancellationToken ct = default)
    {
        var target = Interlocked.Read(ref enqueued);
        while (Interlocked.Read(ref settled) < target)
        {
            await Task.Delay(5, ct).ConfigureAwait(false);
        }
    }

    /// <summary>The store being written to.</summary>
    public IUsageStore Store => store;

    private async Task RunAsync()
    {
        var batch = new List<UsageRecord>(BatchSize);
        var reader = channel.Reader;
        var nextReplay = DateTime.UtcNow;
        while (true)
        {
            var more = await WaitAsync(reader).ConfigureAwait(false);
            if (more && reader.CanCount && reader.Count < BatchSize)
            {
                // Let a batch gather: one transaction per ~25 ms instead of one per request at moderate load.
                // Each commit costs a WAL write; on a one-core box that CPU would come out of request latency.
                await Task.Delay(GatherDelay).ConfigureAwait(false);
            }

            while (batch.Count < BatchSize && reader.TryRead(out var r))
            {
                batch.Add(r);
            }

            if (batch.Count > 0)
            {
                WriteOrSpool(batch);
                Interlocked.Add(ref settled, batch.Count);
                batch.Clear();
            }

            if (storeHealthy || DateTime.UtcNow >= nextReplay)
            {
                nextReplay = DateTime.UtcNow + ReplayInterval;
                TryReplay();
            }

            if (!more && !reader.TryPeek(out _))
            {
                return;
            }
        }
    }

    /// <summary>Waits for records, waking every <see cref="ReplayInterval"/> so a spool is replayed when idle too.</summary>
    private static async Task<bool> WaitAsync(ChannelReader<UsageRecord> reader)
    {
        if (reader.TryPeek(out _))
        {
            return true;
        }

        using var cts = new CancellationTokenSource(ReplayInterval);
        try
        {
            return await reader.WaitToReadAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return true;
        }
    }

    private void WriteOrSpool(List<UsageRecord> batch)
    {
        try
        {
            store.Write(batch);
            storeHealthy = true;
        }
        catch (Exception ex)
        {
            storeHealthy = false;
            LogStoreFailed(logger, batch.Count, spool.Path, ex.Message);
            try
            {
                spool.Append(batch);
                spoolPending = true;
            }
            catch (Exception spoolEx)
            {
                LogSpoolFailed(logger, batch.Count, spoolEx.Message);
            }
        }
    }

    private void TryReplay()
    {
        if (!spoolPending)
        {
            return;
        }

        // Cleared before the replay, so a record spooled while it runs raises the flag again.
        spoolPending = false;
        try
        {
            var n = spool.Replay(store.Write);
            storeHealthy = true;
            LogReplayed(logger, n);
        }
        catch (Exception ex)
        {
            storeHealthy = false;
            spoolPending = true;
            LogReplayFailed(logger, ex.Message);
        }
    }

    /// <summary>Stops accepting records and writes what is queued. The store belongs to the caller.</summary>
    public async ValueTask DisposeAsync()
    {
        channel.Writer.TryComplete();
        await loop.ConfigureAwait(false);
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "Usage store refused a batch of {Count} records; spooled to {SpoolPath}: {Reason}")]
    private static partial void LogStoreFailed(ILogger logger, int count, string spoolPath, string reason);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Critical, Message = "Usage spool write failed; {Count} records could not be persisted: {Reason}")]
    private static partial void LogSpoolFailed(ILogger logger, int count, string reason);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Information, Message = "Replayed {Count} spooled usage records into the store")]
    private static partial void LogReplayed(ILogger logger, int count);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Warning, Message = "Usage spool replay failed, will retry: {Reason}")]
    private static partial void LogReplayFailed(ILogger logger, string reason);
}
