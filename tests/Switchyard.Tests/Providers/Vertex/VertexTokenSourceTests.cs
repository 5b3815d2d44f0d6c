using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using Switchyard.Providers.Vertex;
using Switchyard.Tests.TestKit.Vertex;

namespace Switchyard.Tests.Providers.Vertex;

/// <summary>
/// Token caching and refresh against a fake token endpoint on a real socket, with a fake clock: one mint serves
/// many requests, the timer refreshes ahead of expiry, concurrent first requests share one mint, idle sources stop
/// minting, and failures are remembered and backed off.
/// </summary>
public sealed class VertexTokenSourceTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    private readonly FakeTimeProvider time = new(new DateTimeOffset(2025, 6, 1, 8, 0, 0, TimeSpan.Zero));
    private readonly HttpMessageInvoker http = new(new SocketsHttpHandler());
    private FakeGoogleTokenEndpoint tokens = null!;
    private VertexTokenSource source = null!;

    public async Task InitializeAsync()
    {
        tokens = await FakeGoogleTokenEndpoint.StartAsync();
        source = Source(TestServiceAccount.Shared, tokens.TokenUrl);
    }

    public async Task DisposeAsync()
    {
        source.Dispose();
        http.Dispose();
        await tokens.DisposeAsync();
    }

    [Fact]
    public void OneMint_ServesEveryRequestUntilTheRefreshWindow()
    {
        var first = source.Authorization(Wait);

        for (var minute = 0; minute < 54; minute++)
        {
            time.Advance(TimeSpan.FromMinutes(1));
            Assert.Equal(first, source.Authorization(Wait));
        }

        Assert.Equal(new AuthenticationHeaderValue("Bearer", tokens.Issued[0]), first);
        Assert.Equal(1, tokens.Requests);
        Assert.Equal(1, source.Attempts);
    }

    [Fact]
    public async Task TheTimer_RefreshesFiveMinutesBeforeExpiry_InTheBackground()
    {
        var first = source.Authorization(Wait);

        time.Advance(TimeSpan.FromMinutes(54));
        await Task.Delay(100);
        Assert.Equal(1, tokens.Requests); // 3599 s tokens: due at 54:59

        time.Advance(TimeSpan.FromMinutes(1));
        await tokens.WaitForMintsAsync(2);
        var second = await EventuallyAsync(() => source.Authorization(Wait), h => h != first);

        Assert.Equal(new AuthenticationHeaderValue("Bearer", tokens.Issued[1]), second);
        Assert.Equal(2, source.Attempts);
        Assert.Null(TestServiceAccount.Shared.Verify(tokens.Assertions[1]));
    }

    [Fact]
    public async Task ConcurrentFirstRequests_WaitForOneSharedMint()
    {
        tokens.Hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var callers = Enumerable.Range(0, 8).Select(_ => Task.Run(() => source.Authorization(Wait))).ToArray();

        await tokens.WaitForRequestsAsync(1);
        await Task.Delay(200); // every caller is blocked by now; none may start a second mint
        Assert.Equal(1, tokens.Requests);
        Assert.All(callers, c => Assert.False(c.IsCompleted));
        tokens.Hold.SetResult();
        var headers = await Task.WhenAll(callers);

        Assert.All(headers, h => Assert.Equal(new AuthenticationHeaderValue("Bearer", tokens.Issued[0]), h));
        Assert.Equal(1, tokens.Mints);
        Assert.Equal(1, source.Attempts);
    }

    [Fact]
    public async Task AnIdleSource_StopsRefreshing_AndTheNextRequestMintsAgain()
    {
        source.Authorization(Wait);
        time.Advance(TimeSpan.FromMinutes(55)); // used since minted: refreshed
        await tokens.WaitForMintsAsync(2);

        time.Advance(TimeSpan.FromMinutes(55)); // unused since the refresh: left to lapse
        await Task.Delay(200);
        Assert.Equal(2, tokens.Requests);

        time.Advance(TimeSpan.FromMinutes(10)); // the second token has expired
        var header = source.Authorization(Wait);

        Assert.Equal(new AuthenticationHeaderValue("Bearer", tokens.Issued[2]), header);
        Assert.Equal(3, tokens.Requests);
    }

    [Fact]
    public void AFailedMint_GivesNoToken_SaysWhy_AndIsNotRetriedBeforeTheBackoff()
    {
        tokens.Fail(new TokenFailure(400, "invalid_grant", "Invalid JWT Signature."));

        Assert.Null(source.Authorization(Wait));
        Assert.Equal("the token endpoint answered HTTP 400: invalid_grant (Invalid JWT Signature.)", source.LastFailure);
        Assert.Null(source.Authorization(Wait)); // within the 5 s backoff: fails fast, no second mint
        Assert.Equal(1, tokens.Requests);

        time.Advance(TimeSpan.FromSeconds(5));
        var header = source.Authorization(Wait);
        Assert.Equal(new AuthenticationHeaderValue("Bearer", tokens.Issued[0]), header);
        Assert.Null(source.LastFailure);
        Assert.Equal(2, tokens.Requests);
    }

    [Fact]
    public async Task AFailedRefresh_KeepsServingTheValidToken_AndRetriesInTheBackground()
    {
        var first = source.Authorization(Wait);
        tokens.Fail(new TokenFailure(503, "temporarily_unavailable", "Try again later."));

        time.Advance(TimeSpan.FromMinutes(55));
        await tokens.WaitForRequestsAsync(2);
        await EventuallyAsync(() => source.LastFailure, f => f is not null);
        Assert.Equal(first, source.Authorization(Wait)); // still valid for four more minutes

        time.Advance(TimeSpan.FromSeconds(5)); // the backoff timer
        await tokens.WaitForMintsAsync(2);
        var second = await EventuallyAsync(() => source.Authorization(Wait), h => h != first);

        Assert.Equal(new AuthenticationHeaderValue("Bearer", tokens.Issued[1]), second);
        Assert.Null(source.LastFailure);
    }

    [Fact]
    public void AWrongKey_IsRefusedByTheEndpoint_AndTheFailureNeverShowsTheKey()
    {
        using var other = TestServiceAccount.CreateOther();
        using var wrong = Source(other, tokens.TokenUrl);

        Assert.Null(wrong.Authorization(Wait));

        Assert.Contains("invalid_grant", wrong.LastFailure, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE KEY", wrong.LastFailure, StringComparison.Ordinal);
        Assert.DoesNotContain(tokens.Assertions[0], wrong.LastFailure, StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnreachableEndpoint_IsAFailure_NotAnException()
    {
        using var unreachable = Source(TestServiceAccount.Shared, new Uri("http://127.0.0.1:1/token"));

        Assert.Null(unreachable.Authorization(Wait));

        Assert.Equal("the token endpoint 127.0.0.1 could not be reached (ConnectionError)", unreachable.LastFailure);
    }

    private VertexTokenSource Source(TestServiceAccount account, Uri endpoint) =>
        new(ServiceAccountKey.Parse(Encoding.UTF8.GetBytes(account.Json())), endpoint, http, time);

    /// <summary>Polls (real time) until <paramref name="done"/> holds: background mints complete on their own schedule.</summary>
    private static async Task<T> EventuallyAsync<T>(Func<T> read, Func<T, bool> done)
    {
        var deadline = Environment.TickCount64 + 10_000;
        while (true)
        {
            var value = read();
            if (done(value))
            {
                return value;
            }

            Assert.True(Environment.TickCount64 < deadline, "timed out waiting for the token source");
            await Task.Delay(10);
        }
    }
}
