namespace Switchyard.Tests.TestKit;

/// <summary>
/// The real redis-server the Redis tests use: <c>SWITCHYARD_TEST_REDIS</c> (<c>host:port</c>), printed by
/// <c>.ci/services/redis.sh</c>. Without it a test fails and says how to get one, unless
/// <c>SWITCHYARD_TEST_SKIP_REDIS=1</c> says explicitly to skip (then the test returns at once).
/// Every test takes its own key prefix, so tests and runs never see each other's counters.
/// </summary>
internal static class RedisTestServer
{
    /// <summary>The server's <c>host:port</c>, or null when skipping was asked for; throws when neither is set.</summary>
    public static string? Endpoint()
    {
        var endpoint = Environment.GetEnvironmentVariable("SWITCHYARD_TEST_REDIS");
        if (!string.IsNullOrWhiteSpace(endpoint))
        {
            return endpoint.Trim();
        }

        if (Environment.GetEnvironmentVariable("SWITCHYARD_TEST_SKIP_REDIS") == "1")
        {
            return null;
        }

        throw new InvalidOperationException(
            "SWITCHYARD_TEST_REDIS is not set: these tests need a real redis-server. Run `eval \"$(.ci/services/redis.sh)\"` "
            + "first (it installs and starts one on 127.0.0.1), or set SWITCHYARD_TEST_SKIP_REDIS=1 to skip them explicitly.");
    }

    /// <summary>A key prefix no other test or run uses.</summary>
    public static string NewPrefix() => "sytest-" + Guid.NewGuid().ToString("N")[..12];
}
