using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Switchyard.Fleet;
using Switchyard.Governance;
using Switchyard.Tests.TestKit;

namespace Switchyard.Tests.Fleet;

/// <summary>
/// Replicas of the shared counters for a test: each its own <see cref="RedisLink"/> (a connection, as a separate
/// process would have) on one real redis-server, one key prefix per test, one fake clock.
/// </summary>
internal sealed class RedisReplicas : IAsyncDisposable
{
    private readonly List<RedisLink> links = [];

    private RedisReplicas(string endpoint, FakeTimeProvider clock)
    {
        Endpoint = endpoint;
        Clock = clock;
    }

    public string Endpoint { get; }

    public FakeTimeProvider Clock { get; }

    public string Prefix { get; } = RedisTestServer.NewPrefix();

    /// <summary>Null when SWITCHYARD_TEST_SKIP_REDIS=1 (the test returns at once).</summary>
    public static RedisReplicas? Create(FakeTimeProvider clock) =>
        RedisTestServer.Endpoint() is { } endpoint ? new RedisReplicas(endpoint, clock) : null;

    /// <summary>Settings for a replica connecting to <paramref name="endpoint"/> (the server, or a proxy in front of it).</summary>
    /// <remarks>The timeout is generous (2 s, a loaded 2-core CI machine) except where a test sets its own.</remarks>
    public RedisSettings Settings(string? endpoint = null, RedisFallback policy = RedisFallback.FailClosed, int replicas = 2) =>
        new(endpoint ?? Endpoint, "SWITCHYARD_TEST_REDIS", TimeSpan.FromSeconds(2), policy, replicas) { KeyPrefix = Prefix };

    /// <summary>A new replica: its own connection and its own local fallback book.</summary>
    public (SharedLimitCounters Counters, RedisLink Link) Replica(RedisSettings? settings = null, Microsoft.Extensions.Logging.ILogger? logger = null)
    {
        var link = RedisLink.Connect(settings ?? Settings(), Clock, logger ?? NullLogger.Instance);
        links.Add(link);
        return (new SharedLimitCounters(link, new LimitBook(Clock), Clock), link);
    }

    /// <summary>A new replica's shared budgets: its own connection, seeded from <paramref name="history"/>.</summary>
    public (SharedBudgetCounters Budgets, RedisLink Link) BudgetReplica(ISpendSource? history = null, RedisSettings? settings = null)
    {
        var link = RedisLink.Connect(settings ?? Settings(), Clock, NullLogger.Instance);
        links.Add(link);
        return (new SharedBudgetCounters(link, history, Clock), link);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var link in links)
        {
            await link.DisposeAsync();
        }
    }
}
