namespace Switchyard.Core;

/// <summary>
/// Graceful shutdown, as the request path sees it. Hosting calls <see cref="Begin"/> when the host starts stopping
/// (SIGTERM, <c>StopAsync</c>): Kestrel stops accepting connections and requests in flight go on. Once
/// <c>server.shutdown_timeout</c> has passed, <see cref="Expired"/> is cancelled: every attempt links it into its
/// upstream reads, so an open stream ends with an error event in its caller's format and a request not yet
/// answered gets a 503, both recorded, well before the host's own timeout would reset their connections.
/// </summary>
public sealed class DrainSignal : IDisposable
{
    private readonly CancellationTokenSource expired;
    private int began;

    /// <summary>A signal on <paramref name="time"/> (the gateway's clock, so tests drive the drain with a fake one).</summary>
    public DrainSignal(TimeProvider time) => expired = new CancellationTokenSource(Timeout.InfiniteTimeSpan, time);

    /// <summary>Cancelled when the drain is over: in-flight work must end now.</summary>
    public CancellationToken Expired => expired.Token;

    /// <summary>True once shutdown has begun.</summary>
    public bool Draining => Volatile.Read(ref began) == 1;

    /// <summary>Starts the drain: <see cref="Expired"/> fires after <paramref name="timeout"/>. Later calls do nothing.</summary>
    public void Begin(TimeSpan timeout)
    {
        if (Interlocked.Exchange(ref began, 1) == 0)
        {
            expired.CancelAfter(timeout > TimeSpan.Zero ? timeout : TimeSpan.FromTicks(1));
        }
    }

    /// <inheritdoc />
    public void Dispose() => expired.Dispose();
}
