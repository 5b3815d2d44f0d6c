using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Switchyard.Fleet;
using Switchyard.Hosting;
using Switchyard.Tests.TestKit;

namespace Switchyard.Tests.EndToEnd.Fleet;

/// <summary>
/// The two-replica tests run one after another (not beside each other): each starts two gateways and some count exact
/// outcomes under a tight Redis timeout, which a neighbour's 200-request burst on a 2-core machine could push past.
/// </summary>
[CollectionDefinition(Name)]
public sealed class FleetCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "two-replica fleets";
}

/// <summary>
/// Two gateway replicas (each its own Kestrel, data directory and Redis connection) in front of the same fake
/// upstreams, sharing one real redis-server (optionally through a <see cref="CuttableProxy"/>), one fake clock, and
/// one governance database (as replicas on PostgreSQL would share theirs).
/// </summary>
internal sealed class TwoReplicas : IAsyncDisposable
{
    public const string Yaml = """
        auth:
          keys:
            - { id: app, hash: {{APP_HASH}}, limits: { rpm: 100 } }
        providers:
          up-a:
            kind: openai-compatible
            base_url: "{{FAKE0}}"
            api_key: ${UP_KEY}
        deployments:
          dep-a: { provider: up-a, model: upstream-model-a }
        models:
          chat: dep-a
        redis:
          connection_string_env: SWITCHYARD_REDIS
          timeout: TIMEOUT
          on_unreachable: POLICY
          replicas: 2
          key_prefix: PREFIX

        """;

    /// <summary>The PostgreSQL section <see cref="StartAsync"/> appends when the replicas share a database.</summary>
    private const string PostgresYaml = """

        storage:
          kind: postgres
          connection_string_env: SWITCHYARD_PG

        """;

    private readonly string secondData;

    private TwoReplicas(GatewayHarness first, GatewayApp second, string secondData, CuttableProxy? proxy, string prefix)
    {
        First = first;
        Second = second;
        this.secondData = secondData;
        Proxy = proxy;
        Prefix = prefix;
    }

    /// <summary>The clock both replicas run on.</summary>
    public FakeTimeProvider Clock { get; private set; } = null!;

    /// <summary>The fleet's Redis key prefix (its keys are <c>{Prefix}:...</c>).</summary>
    public string Prefix { get; }

    /// <summary>The PostgreSQL schema both replicas share (null: a shared SQLite governance file, own usage files).</summary>
    public PostgresTestSchema? Database { get; private set; }

    /// <summary>The proxy in front of PostgreSQL, when the test cuts it.</summary>
    public TcpProxy? DatabaseProxy { get; private set; }

    /// <summary>Replica A, with the harness's helpers (fakes, HTTP client, records).</summary>
    public GatewayHarness First { get; }

    /// <summary>Replica B.</summary>
    public GatewayApp Second { get; }

    public CuttableProxy? Proxy { get; }

    public GatewayApp A => First.Gateway;

    /// <summary>Starts both, or returns null when SWITCHYARD_TEST_SKIP_REDIS=1.</summary>
    /// <param name="policy">redis.on_unreachable.</param>
    /// <param name="viaProxy">Connect through a <see cref="CuttableProxy"/> (<see cref="Proxy"/>).</param>
    /// <param name="env">More environment for both replicas.</param>
    /// <param name="timeout">redis.timeout: generous where a test counts exactly on a loaded 2-core machine, tight where it cuts Redis.</param>
    /// <param name="yaml">The configuration (with the <c>redis:</c> placeholders of <see cref="Yaml"/>), <see cref="Yaml"/> by default.</param>
    /// <param name="postgres">Share one PostgreSQL schema (keys, usage records, spend) instead of SQLite files: <c>direct</c>, or <c>cut</c> (through a <see cref="TcpProxy"/>).</param>
    public static async Task<TwoReplicas?> StartAsync(string policy = "fail_closed", bool viaProxy = false, IReadOnlyDictionary<string, string>? env = null, string timeout = "2s",
        string? yaml = null, string? postgres = null)
    {
        if (RedisTestServer.Endpoint() is not { } endpoint || (postgres is not null && PostgresTestSchema.Skipped))
        {
            return null;
        }

        var proxy = viaProxy ? CuttableProxy.Start(endpoint) : null;
        var prefix = RedisTestServer.NewPrefix();
        yaml = (yaml ?? Yaml).Replace("POLICY", policy, StringComparison.Ordinal).Replace("TIMEOUT", timeout, StringComparison.Ordinal).Replace("PREFIX", prefix, StringComparison.Ordinal);
        var all = new Dictionary<string, string>(env ?? new Dictionary<string, string>()) { ["SWITCHYARD_REDIS"] = proxy?.Endpoint ?? endpoint };
        var (database, databaseProxy) = postgres is null ? (null, null) : SharedDatabase(all, postgres == "cut");
        if (database is not null)
        {
            yaml += PostgresYaml;
        }

        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var first = await GatewayHarness.StartFakesOnlyAsync(1);
        var secondData = Path.Combine(first.DataDirectory, "..", "replica-b");
        foreach (var (name, value) in all)
        {
            first.Env[name] = value;
        }

        var shared = Path.Combine(first.DataDirectory, "..", "governance.db");
        await first.StartGatewayAsync(Options(first.Options(yaml, configFile: false), time, first.DataDirectory, shared));
        var second = await GatewayApp.StartAsync(Options(first.Options(yaml, configFile: false), time, secondData, shared));

        // A replica starts even while Redis is not connected yet (on its fallback): tests that count on the shared
        // counters from the first request wait, bounded, until both links are shared.
        await Link(first.Gateway).WhenShared().WaitAsync(GatewayHarness.Bound);
        await Link(second).WhenShared().WaitAsync(GatewayHarness.Bound);
        return new TwoReplicas(first, second, secondData, proxy, prefix) { Database = database, DatabaseProxy = databaseProxy, Clock = time };
    }

    private static (PostgresTestSchema?, TcpProxy?) SharedDatabase(Dictionary<string, string> env, bool cuttable)
    {
        var schema = new PostgresTestSchema();
        var server = new Npgsql.NpgsqlConnectionStringBuilder(schema.ConnectionString);
        var proxy = cuttable ? new TcpProxy(server.Host!, server.Port) : null;
        env["SWITCHYARD_PG"] = proxy is null ? schema.ConnectionString : schema.Through(proxy);
        return (schema, proxy);
    }

    private static GatewayStartOptions Options(GatewayStartOptions o, TimeProvider time, string data, string governance) => new()
    {
        ConfigYaml = o.ConfigYaml,
        Urls = o.Urls,
        DataDirectory = data,
        GovernanceDatabase = governance,
        Environment = o.Environment,
        ConsoleLogging = false,
        TimeProvider = time,
        Random = new Random(2),
        Providers = o.Providers,
    };

    public static RedisLink Link(GatewayApp app) => app.Services.GetRequiredService<RedisLink>();

    public static GovernanceBroadcast Broadcast(GatewayApp app) => app.Services.GetRequiredService<GovernanceBroadcast>();

    /// <summary>A chat completion through <paramref name="app"/> with <paramref name="key"/>.</summary>
    public async Task<HttpResponseMessage> ChatAsync(GatewayApp app, string key = GatewayHarness.ClientKey)
    {
        var request = First.Post("/v1/chat/completions", Wire.ChatJson(), key);
        request.RequestUri = new Uri(app.BaseAddress, "/v1/chat/completions");
        return await First.Http.SendAsync(request);
    }

    /// <summary><c>GET /health/ready</c> of <paramref name="app"/>: the status code and the body.</summary>
    public async Task<(int Status, JsonNode Body)> ReadyAsync(GatewayApp app)
    {
        using var response = await First.Http.GetAsync(new Uri(app.BaseAddress, "/health/ready"));
        return ((int)response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }

    public async ValueTask DisposeAsync()
    {
        await Second.DisposeAsync();
        await First.DisposeAsync();
        if (Proxy is not null)
        {
            await Proxy.DisposeAsync();
        }

        if (DatabaseProxy is not null)
        {
            await DatabaseProxy.DisposeAsync();
        }

        Database?.Dispose();

        try
        {
            Directory.Delete(secondData, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
