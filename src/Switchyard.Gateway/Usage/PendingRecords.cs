namespace Switchyard.Usage;

/// <summary>
/// The requests whose usage record is not queued yet: between entering the pipeline and Settle. A request's record is
/// settled after its body has reached the client, so a flush that waited only for queued records could run before the
/// record of a request the caller has already seen answered. <see cref="SettledAsync"/> waits for the requests that
/// had entered before it was called, not for those that come after (a flush under steady traffic still ends).
/// </summary>
/// <remarks>
/// Requests count into the current generation; a flush seals it and starts the next. Two interlocked operations per
/// request and no allocation; a generation per flush.
/// </remarks>
public sealed class PendingRecords
{
    private readonly Lock gate = new();
    private readonly List<Generation> sealedPending = [];
    private Generation current = new();

    /// <summary>A request enters; pass what this returns to <see cref="Settled"/> once its record is queued.</summary>
    public Generation Enter()
    {
        var g = Volatile.Read(ref current);
        Interlocked.Increment(ref g.Count);
        return g;
    }

    /// <summary>A request's record is queued (or it leaves none).</summary>
    public static void Settled(Generation generation)
    {
        if (Interlocked.Decrement(ref generation.Count) == 0 && Volatile.Read(ref generation.Sealed) == 1)
        {
            generation.Done.TrySetResult();
        }
    }

    /// <summary>Completes when every request that entered before this call has settled.</summary>
    public Task SettledAsync(CancellationToken ct = default)
    {
        Task[] waits;
        lock (gate)
        {
            var old = Interlocked.Exchange(ref current, new Generation());
            Interlocked.Exchange(ref old.Sealed, 1); // a full fence: an exit that reached 0 before this sees it, or we see its 0
            if (Volatile.Read(ref old.Count) == 0)
            {
                old.Done.TrySetResult();
            }

            sealedPending.RemoveAll(g => g.Done.Task.IsCompleted);
            sealedPending.Add(old);
            waits = [.. sealedPending.Select(g => g.Done.Task)];
        }

        return Task.WhenAll(waits).WaitAsync(ct);
    }

    /// <summary>The requests counted between two flushes.</summary>
    public sealed class Generation
    {
        internal readonly TaskCompletionSource Done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        internal int Count;
        internal int Sealed;
    }
}
