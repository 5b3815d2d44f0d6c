using static Switchyard.Tests.Configuration.ConfigTestSupport;

namespace Switchyard.Tests.Configuration;

/// <summary><c>redis:</c>: defaults, every field, the connection string from the environment (never echoed), each error at its path.</summary>
public sealed class RedisConfigTests
{
    private const string Secret = "10.0.0.5:6379,password=hunter2-redis";

    [Fact]
    public void NoRedisSection_MeansThisReplicaCountsAlone()
    {
        Assert.Null(LoadValid("models: {}\n").Redis);
    }

    [Fact]
    public void Defaults_FailClosed_50ms_OneReplica()
    {
        var redis = LoadValid("redis: { connection_string_env: REDIS_CS }\n", Env(("REDIS_CS", Secret))).Redis!;

        Assert.Equal((Secret, "REDIS_CS", TimeSpan.FromMilliseconds(50), RedisFallback.FailClosed, 1),
            (redis.ConnectionString, redis.ConnectionStringEnv, redis.Timeout, redis.OnUnreachable, redis.Replicas));
        Assert.Equal(("switchyard", TimeSpan.FromSeconds(30)), (redis.KeyPrefix, redis.LeaseTtl));
        Assert.DoesNotContain("hunter2", redis.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void EveryField_IsRead()
    {
        var redis = LoadValid("""
            redis:
              connection_string_env: REDIS_CS
              timeout: 20ms
              on_unreachable: local
              replicas: 3
              key_prefix: fleet-eu
              lease_ttl: 2m
            """, Env(("REDIS_CS", Secret))).Redis!;

        Assert.Equal((TimeSpan.FromMilliseconds(20), RedisFallback.Local, 3, "fleet-eu", TimeSpan.FromMinutes(2)),
            (redis.Timeout, redis.OnUnreachable, redis.Replicas, redis.KeyPrefix, redis.LeaseTtl));
    }

    [Fact]
    public void AnUnsetVariable_IsAnError_SoAFleetNeverStartsOnPerReplicaCounters()
    {
        var message = SingleErrorAt("redis: { connection_string_env: REDIS_CS }\n", "redis.connection_string_env");

        Assert.Contains("REDIS_CS is not set", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("on_unreachable: fail_open", "redis.on_unreachable", "use fail_closed or local")]
    [InlineData("timeout: 10s", "redis.timeout", "between")]
    [InlineData("replicas: 0", "redis.replicas", "")]
    [InlineData("key_prefix: \"a{b}\"", "redis.key_prefix", "braces")]
    [InlineData("lease_ttl: 1s", "redis.lease_ttl", "between")]
    [InlineData("password: x", "redis.password", "")]
    public void BadValues_AreErrors_AtTheirPath_WithoutEchoingTheSecret(string line, string path, string expected)
    {
        var errors = LoadErrors($"redis:\n  connection_string_env: REDIS_CS\n  {line}\n", Env(("REDIS_CS", Secret)));

        Assert.Contains(errors, e => e.StartsWith(path, StringComparison.Ordinal) && e.Contains(expected, StringComparison.Ordinal));
        Assert.DoesNotContain(errors, e => e.Contains("hunter2", StringComparison.Ordinal));
    }

    [Fact]
    public void OnUnreachable_PerLimitAndBudget_IsRead_AndAbsentMeansTheRedisDefault()
    {
        var config = LoadValid("""
            teams:
              search:
                limits: { rpm: 600, on_unreachable: local }
                budget: { limit_usd: 5, on_unreachable: fail_closed }
                customers:
                  acme: { limits: { rpm: 10 } }
            """);

        var team = config.Teams[0];
        Assert.Equal((RedisFallback.Local, RedisFallback.FailClosed), (team.Limits!.OnUnreachable, team.Budget!.OnUnreachable));
        Assert.Null(config.Customers[0].Limits!.OnUnreachable);
    }

    [Theory]
    [InlineData("limits: { rpm: 1, on_unreachable: open }", "teams.search.limits.on_unreachable")]
    [InlineData("budget: { limit_usd: 1, on_unreachable: fail_open }", "teams.search.budget.on_unreachable")]
    public void OnUnreachable_UnknownValue_IsAnErrorAtItsPath(string line, string path) =>
        Assert.NotEmpty(SingleErrorAt($"teams:\n  search: {{ {line} }}\n", path));
}
