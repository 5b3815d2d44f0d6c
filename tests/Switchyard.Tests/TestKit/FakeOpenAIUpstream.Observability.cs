namespace Switchyard.Tests.TestKit;

/// <summary>Observability: what arrived, what was aborted, and bounded waits for both.</summary>
public sealed partial class FakeOpenAIUpstream
{
    private readonly List<RecordedRequest> _requests = [];
    private readonly List<Exception> _handlerErrors = [];
    private int _sequence;
    private int _abortedCount;
    private TaskCompletionSource _changed = NewSignal();

    /// <summary>Every request received (all endpoints, including unknown routes), in arrival order. A snapshot.</summary>
    public IReadOnlyList<RecordedRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return _requests.ToArray();
            }
        }
    }

    /// <summary>Number of requests received so far.</summary>
    public int RequestCount
    {
        get
        {
            lock (_gate)
            {
                return _requests.Count;
            }
        }
    }

    /// <summary>The most recent request, or null.</summary>
    public RecordedRequest? LastRequest
    {
        get
        {
            lock (_gate)
            {
                return _requests.Count == 0 ? null : _requests[^1];
            }
        }
    }

    /// <summary>
    /// How many requests the client (gateway) abandoned before the fake finished answering — i.e. the gateway propagated
    /// a cancellation or timeout upstream. Connections the fake cut itself (<see cref="CutStreamBehavior"/>) are not counted.
    /// </summary>
    public int AbortedCount => Volatile.Read(ref _abortedCount);

    /// <summary>Exceptions thrown while answering (e.g. by a <see cref="RawBehavior"/>); assert empty to catch broken scripts.</summary>
    public IReadOnlyList<Exception> HandlerErrors
    {
        get
        {
            lock (_gate)
            {
                return _handlerErrors.ToArray();
            }
        }
    }

    /// <summary>Requests that matched <paramref name="endpoint"/>, in arrival order.</summary>
    public IReadOnlyList<RecordedRequest> RequestsTo(UpstreamEndpoint endpoint) => Requests.Where(r => r.Endpoint == endpoint).ToArray();

    /// <summary>Waits until at least <paramref name="count"/> requests have arrived; throws <see cref="TimeoutException"/> otherwise.</summary>
    public async Task<IReadOnlyList<RecordedRequest>> WaitForRequestsAsync(int count, TimeSpan timeout)
    {
        await WaitUntilAsync(() => RequestCount >= count, timeout, () => $"expected {count} request(s), got {RequestCount}");
        return Requests;
    }

    /// <summary>Waits until at least <paramref name="count"/> client aborts were observed; throws <see cref="TimeoutException"/> otherwise.</summary>
    public Task WaitForAbortAsync(TimeSpan timeout, int count = 1) =>
        WaitUntilAsync(() => AbortedCount >= count, timeout, () => $"expected {count} aborted request(s), got {AbortedCount}");

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Event-driven rather than sleep-polling: every state change completes the current signal. The signal is captured
    /// before the condition is evaluated, so a change between the check and the await cannot be missed. The timeout is
    /// wall-clock on purpose (it bounds the test, independent of any fake clock).
    /// </summary>
    private async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, Func<string> describe)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                changed = _changed.Task;
            }

            if (condition())
            {
                return;
            }

            try
            {
                await changed.WaitAsync(deadline.Token);
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested)
            {
                if (condition())
                {
                    return;
                }

                throw new TimeoutException($"Fake upstream: {describe()} within {timeout}.");
            }
        }
    }

    private void Pulse()
    {
        TaskCompletionSource fired;
        lock (_gate)
        {
            fired = _changed;
            _changed = NewSignal();
        }

        fired.TrySetResult();
    }

    private void OnClientAborted(RecordedRequest record)
    {
        record.MarkAborted();
        Interlocked.Increment(ref _abortedCount);
        Pulse();
    }

    private void AddHandlerError(Exception exception)
    {
        lock (_gate)
        {
            _handlerErrors.Add(exception);
        }

        Pulse();
    }

    private void ResetObservations()
    {
        lock (_gate)
        {
            _requests.Clear();
            _handlerErrors.Clear();
            _sequence = 0;
        }

        Interlocked.Exchange(ref _abortedCount, 0);
        Pulse();
    }
}
