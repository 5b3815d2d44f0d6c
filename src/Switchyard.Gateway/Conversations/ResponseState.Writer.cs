using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Switchyard.Conversations;

/// <summary>
/// The write side: complete answers are queued by the request that wrote them (never blocking it) and kept by
/// one loop, one transaction each; the same loop purges what retention has expired, every
/// <see cref="PurgeInterval"/>. A write that fails is not retried: the answer already reached the client, and a
/// later reference to it is told it was not kept and why. Failures are logged at most once per
/// <see cref="WarningInterval"/>, with a count of those not logged.
/// </summary>
public sealed partial class ResponseState
{
    /// <summary>How often expired responses are purged (they are never served in between either way).</summary>
    public static readonly TimeSpan PurgeInterval = TimeSpan.FromMinutes(10);

    private static readonly TimeSpan WarningInterval = TimeSpan.FromMinutes(1);

    private readonly Channel<Pending> channel;
    private readonly Task loop;
    private readonly Lock warningGate = new();
    private long lastWarning = long.MinValue;
    private int unloggedWarnings;

    /// <summary>An answer waiting for the writer; <see cref="Done"/> completes once it is written or given up.</summary>
    /// <param name="OwnInputStart">Where the request's own input starts in the context (before it: the conversation it continued).</param>
    private sealed record Pending(StoredResponse Response, int OwnInputStart, TaskCompletionSource Done);

    /// <inheritdoc />
    public void Answered(ConversationTurn turn, StoredAnswer answer)
    {
        var response = new StoredResponse(turn.ResponseId, turn.Owner, time.GetUtcNow().ToUnixTimeMilliseconds(), turn.PreviousResponseId,
            answer.Status, answer.Json, [.. turn.History, .. turn.Input], answer.Output);
        var entry = new Pending(response, turn.History.Count, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        pending[response.Id] = entry;
        if (!channel.Writer.TryWrite(entry))
        {
            NotKept(entry, $"the gateway's response store queue was full ({QueueCapacity} answers waiting)");
        }
    }

    /// <inheritdoc />
    public void Failed(ConversationTurn turn, string reason) => RememberNotKept(turn.Owner, turn.ResponseId, reason);

    /// <summary>Waits until every answer queued so far is written or given up (tests, shutdown).</summary>
    public async Task FlushAsync(CancellationToken ct = default)
    {
        foreach (var entry in pending.Values)
        {
            await entry.Done.Task.WaitAsync(ct).ConfigureAwait(false);
        }
    }

    private async Task RunAsync()
    {
        var reader = channel.Reader;
        var nextPurge = DateTimeOffset.MinValue;
        while (true)
        {
            if (time.GetUtcNow() >= nextPurge)
            {
                Purge();
                nextPurge = time.GetUtcNow() + PurgeInterval;
            }

            bool more;
            using (var wake = new CancellationTokenSource(PurgeInterval, time))
            {
                try
                {
                    more = await reader.WaitToReadAsync(wake.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    continue; // time to purge
                }
            }

            if (!more)
            {
                return;
            }

            while (reader.TryRead(out var entry))
            {
                Keep(entry);
            }
        }
    }

    /// <summary>Writes one answer, unless it is over the bounds; whatever happens, its waiters are released.</summary>
    private void Keep(Pending entry)
    {
        try
        {
            if (OverBounds(entry) is { } reason)
            {
                NotKept(entry, reason, warn: false);
                return;
            }

            store.Write(entry.Response);
        }
        catch (Exception ex)
        {
            // A failing store must never stop the loop: the next answer may well be written.
            NotKept(entry, "the gateway could not write it to its response store: " + ex.Message);
        }
        finally
        {
            pending.TryRemove(entry.Response.Id, out _);
            entry.Done.TrySetResult();
        }
    }

    /// <summary>Why an answer is not kept (<c>responses.max_size</c>, <see cref="MaxContextItems"/>), or null.</summary>
    private string? OverBounds(Pending entry)
    {
        var r = entry.Response;
        if (r.Input.Count + r.Output.Count > MaxContextItems)
        {
            return $"its conversation has {r.Input.Count + r.Output.Count} items, more than the {MaxContextItems} a kept response may have";
        }

        long bytes = Encoding.UTF8.GetByteCount(r.Json);
        for (var i = entry.OwnInputStart; i < r.Input.Count; i++)
        {
            bytes += Encoding.UTF8.GetByteCount(r.Input[i].Json);
        }

        foreach (var item in r.Output)
        {
            bytes += Encoding.UTF8.GetByteCount(item.Json);
        }

        var max = router.Current.Config.Responses.MaxSize;
        return bytes > max ? $"it is {bytes} bytes, over responses.max_size ({max} bytes)" : null;
    }

    private void NotKept(Pending entry, string reason, bool warn = true)
    {
        RememberNotKept(entry.Response.Owner, entry.Response.Id, reason);
        pending.TryRemove(entry.Response.Id, out _);
        entry.Done.TrySetResult();
        if (warn)
        {
            Warn("an answer was not kept: " + reason);
        }
    }

    private void Purge()
    {
        try
        {
            var purged = store.Purge(NotBefore());
            if (purged > 0)
            {
                LogPurged(logger, purged);
            }
        }
        catch (Exception ex)
        {
            Warn("purging expired responses failed: " + ex.Message);
        }
    }

    /// <summary>Logs a store problem, at most once per <see cref="WarningInterval"/>.</summary>
    private void Warn(string problem)
    {
        int unlogged;
        lock (warningGate)
        {
            var now = time.GetTimestamp();
            if (lastWarning != long.MinValue && time.GetElapsedTime(lastWarning, now) < WarningInterval)
            {
                unloggedWarnings++;
                return;
            }

            lastWarning = now;
            unlogged = unloggedWarnings;
            unloggedWarnings = 0;
        }

        LogProblem(logger, problem, unlogged);
    }

    /// <summary>Stops taking answers and writes those queued. The store belongs to the caller.</summary>
    public async ValueTask DisposeAsync()
    {
        channel.Writer.TryComplete();
        await loop.ConfigureAwait(false);
    }

    [LoggerMessage(EventId = 3101, Level = LogLevel.Warning,
        Message = "Response store: {Problem} ({Unlogged} more problems since the last warning were not logged)")]
    private static partial void LogProblem(ILogger logger, string problem, int unlogged);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Information, Message = "Purged {Count} expired responses")]
    private static partial void LogPurged(ILogger logger, int count);
}
