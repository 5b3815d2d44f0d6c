using System.Net.Http.Headers;
using System.Security.Cryptography;

namespace Switchyard.Providers.Vertex;

/// <summary>
/// One provider's OAuth2 access token, minted from a service-account key and kept fresh so that the synchronous
/// <see cref="Canonical.IProviderAdapter.BuildRequest"/> can read it without waiting.
/// <list type="bullet">
/// <item>Ahead of time: after each mint a timer (on the injected <see cref="TimeProvider"/>) refreshes the token
/// when <see cref="RefreshAhead"/> of its life is left (55 minutes into Google's one-hour tokens). A request that
/// finds the token inside that window also starts a refresh, in case the timer's mint failed. Either way the
/// request goes on with the current, still valid token.</item>
/// <item>Only when no valid token exists (the first request, or after a long idle period) does a caller block, on
/// one mint shared by every concurrent caller, for at most its wait (<see cref="MintTimeout"/> at most).</item>
/// <item>Idle providers stop minting: the timer refreshes only if the token was used since it was minted, so a
/// provider nobody calls mints at most once more after its last request.</item>
/// <item>A failed mint is remembered (<see cref="LastFailure"/>, safe to show) and retried no sooner than an
/// exponential backoff (5 s doubling to 5 min), so a broken key does not hammer the token endpoint; requests meanwhile
/// get no token at once and fail as <see cref="FailureKind.Auth"/>.</item>
/// </list>
/// Thread-safe. Never logs; the token appears only in the header it returns.
/// </summary>
internal sealed class VertexTokenSource : IDisposable
{
    /// <summary>Refresh once this much of a token's life is left.</summary>
    public static readonly TimeSpan RefreshAhead = TimeSpan.FromMinutes(5);

    /// <summary>A token this close to expiry is not handed out any more: it could expire in flight or on a skewed clock.</summary>
    public static readonly TimeSpan ExpiryMargin = TimeSpan.FromSeconds(30);

    /// <summary>Longest one mint may take (the exchange's own timeout, and the longest a caller waits for it).</summary>
    public static readonly TimeSpan MintTimeout = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan FirstBackoff = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromMinutes(5);

    private readonly ServiceAccountKey key;
    private readonly Uri endpoint;
    private readonly HttpMessageInvoker http;
    private readonly TimeProvider time;
    private readonly Lock gate = new();
    private volatile Minted? current;
    private volatile string? failure;
    private Task? inflight;
    private ITimer? timer;
    private DateTimeOffset retryAt = DateTimeOffset.MinValue;
    private TimeSpan backoff;
    private long lastUsedTicks;
    private int attempts;
    private bool disposed;

    /// <summary>Creates a source; nothing is minted before the first request asks.</summary>
    /// <param name="key">The service account (owned: disposed with this source).</param>
    /// <param name="endpoint">Where to POST the assertion (the key's <c>token_uri</c> or the <c>token_url</c> setting).</param>
    /// <param name="http">The client for the token endpoint (shared, not owned).</param>
    /// <param name="time">Clock for assertion times, expiry and the refresh timer.</param>
    public VertexTokenSource(ServiceAccountKey key, Uri endpoint, HttpMessageInvoker http, TimeProvider time)
    {
        this.key = key;
        this.endpoint = endpoint;
        this.http = http;
        this.time = time;
    }

    /// <summary>Why the last mint failed (null after a success). Names causes, never secrets.</summary>
    public string? LastFailure => failure;

    /// <summary>Mints attempted so far (diagnostics and tests).</summary>
    public int Attempts => Volatile.Read(ref attempts);

    /// <summary>
    /// The <c>Authorization: Bearer</c> header for a request now, or null when no token can be had (see
    /// <see cref="LastFailure"/>). Returns at once while a valid token exists; otherwise blocks the calling thread
    /// on the shared mint for at most <paramref name="wait"/> (capped at <see cref="MintTimeout"/>). That
    /// block is the price of a synchronous BuildRequest: it happens on a provider's first request and after it
    /// sat idle past a token's life, never on a busy provider.
    /// </summary>
    public AuthenticationHeaderValue? Authorization(TimeSpan wait)
    {
        var now = time.GetUtcNow();
        Interlocked.Exchange(ref lastUsedTicks, now.UtcTicks);
        var token = current;
        if (token is not null && token.ExpiresAt - now > ExpiryMargin)
        {
            if (token.ExpiresAt - now <= RefreshAhead)
            {
                _ = Refresh(now); // the timer's refresh failed or is late: try again, without waiting for it
            }

            return token.Header;
        }

        if (Refresh(now) is not { } mint)
        {
            return null; // backing off after a failure: fail fast rather than queue on a broken key
        }

        try
        {
            mint.WaitAsync(wait < MintTimeout ? wait : MintTimeout, time).GetAwaiter().GetResult();
        }
        catch (TimeoutException)
        {
            return null; // the mint goes on and serves the next request
        }

        token = current;
        return token is not null && token.ExpiresAt - time.GetUtcNow() > ExpiryMargin ? token.Header : null;
    }

    /// <summary>Starts a mint unless one is running (then that one is returned) or a failure's backoff has not passed (null).</summary>
    internal Task? Refresh(DateTimeOffset now)
    {
        lock (gate)
        {
            if (disposed || (inflight is null && now < retryAt))
            {
                return null;
            }

            // Task.Run: the caller may hold a request thread or the timer callback; signing and I/O run elsewhere.
            // The task's own completion takes this lock, so it cannot clear 'inflight' before it is assigned.
            return inflight ??= Task.Run(MintAsync);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (gate)
        {
            disposed = true;
            timer?.Dispose();
            timer = null;
        }

        key.Dispose();
    }

    private async Task MintAsync()
    {
        var started = time.GetUtcNow();
        Interlocked.Increment(ref attempts);
        Minted? minted = null;
        string? error = null;
        try
        {
            var assertion = ServiceAccountJwt.Create(key, started);
            using var cts = new CancellationTokenSource(MintTimeout, time);
            var token = await GoogleTokenEndpoint.ExchangeAsync(http, endpoint, assertion, cts.Token).ConfigureAwait(false);

            // Expiry counted from before the request: the token cannot outlive what Google granted.
            minted = new Minted(new AuthenticationHeaderValue("Bearer", token.Value), started, started + token.ExpiresIn);
        }
        catch (VertexCredentialsException ex)
        {
            error = ex.Message;
        }
        catch (OperationCanceledException)
        {
            error = $"the token endpoint did not answer within {MintTimeout.TotalSeconds:0} s";
        }
        catch (HttpRequestException ex)
        {
            // The request error kind, not the message: messages can carry response fragments.
            error = $"the token endpoint {endpoint.Host} could not be reached ({ex.HttpRequestError})";
        }
        catch (Exception ex) when (ex is CryptographicException or ObjectDisposedException)
        {
            error = "signing the token request with the service-account key failed";
        }
        catch (Exception ex)
        {
            // Anything else must still end this mint below: a faulted, never-cleared mint would wedge the source.
            error = $"minting an access token failed ({ex.GetType().Name})";
        }

        Settle(minted, error);
    }

    /// <summary>Ends the mint: keeps the new token and schedules its refresh, or records the failure and backs off.</summary>
    private void Settle(Minted? minted, string? error)
    {
        lock (gate)
        {
            inflight = null;
            if (disposed)
            {
                return;
            }

            var now = time.GetUtcNow();
            if (minted is not null)
            {
                current = minted;
                failure = null;
                backoff = TimeSpan.Zero;
                retryAt = DateTimeOffset.MinValue;
                var ahead = minted.Lifetime / 2 < RefreshAhead ? minted.Lifetime / 2 : RefreshAhead;
                Schedule(minted.ExpiresAt - ahead - now);
            }
            else
            {
                failure = error;
                backoff = backoff == TimeSpan.Zero ? FirstBackoff : (backoff * 2 < MaxBackoff ? backoff * 2 : MaxBackoff);
                retryAt = now + backoff;
                if (current is { } still && still.ExpiresAt - now > ExpiryMargin)
                {
                    Schedule(backoff); // a token is still valid: retry in the background before it runs out
                }
            }
        }
    }

    private void Schedule(TimeSpan due)
    {
        timer ??= time.CreateTimer(static s => ((VertexTokenSource)s!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        timer.Change(due > TimeSpan.FromSeconds(1) ? due : TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
    }

    private void OnTimer()
    {
        // Unused since the last mint: let this token lapse; a later request mints again (and waits once).
        if (current is { } token && Interlocked.Read(ref lastUsedTicks) < token.MintedAt.UtcTicks)
        {
            return;
        }

        _ = Refresh(time.GetUtcNow());
    }

    /// <summary>A minted token: its ready-made header, when the mint started, when it expires.</summary>
    private sealed record Minted(AuthenticationHeaderValue Header, DateTimeOffset MintedAt, DateTimeOffset ExpiresAt)
    {
        public TimeSpan Lifetime => ExpiresAt - MintedAt;
    }
}
