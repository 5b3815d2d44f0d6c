using StackExchange.Redis;
using Switchyard.Hosting;
using Switchyard.Tests.TestKit;

namespace Switchyard.Tests.EndToEnd.Cache;

/// <summary>
/// The exact cache in Redis (<c>cache.store: redis</c>) end to end: two replicas (each its own Kestrel, data directory
/// and connection) share one real redis-server, reached through a <see cref="CuttableProxy"/> so a test can take it
/// away. An answer stored by one replica serves the other; the entry expires by Redis's own TTL; an answer over the
/// entry bound is not stored; an outage makes lookups misses, never failures.
/// </summary>
[Collection(Observability.ScrapeCollection.Name)]
public sealed class RedisCacheTests
{
    private const string Yaml = """
        auth:
          keys:
            - { id: app, hash: {{APP_HASH}} }
        providers:
          up-a:
            kind: openai-compatible
            base_url: "{{FAKE0}}"
            api_key: ${UP_KEY}
        deployments:
          dep-a: { provider: up-a, model: upstream-model-a, price: { input: 2, output: 8 } }
        models:
          cached:
            deployments: [dep-a]
            max_attempts: 1
            cache: { ttl: 90s }
        cache:
          store: redis
          max_entry_bytes: 4KiB
        redis:
          connection_string_env: SWITCHYARD_REDIS
          timeout: 500ms
          on_unreachable: local
          key_prefix: PREFIX

        """;

    private sealed class Fleet(GatewayHarness first, GatewayApp second, CuttableProxy proxy, string prefix, string data) : IAsyncDisposable
    {
        public GatewayHarness First { get; } = first;

        public GatewayApp Second { get; } = second;

        public CuttableProxy Proxy { get; } = proxy;

        public string Prefix { get; } = prefix;

        public async Task<HttpResponseMessage> AskAsync(GatewayApp app, string prompt = "What is 2+2?")
        {
            var request = First.Post("/v1/chat/completions", Wire.ChatJson("cached", content: prompt));
            request.RequestUri = new Uri(app.BaseAddress, "/v1/chat/completions");
            var response = await First.Http.SendAsync(request);
            await response.Content.LoadIntoBufferAsync();
            if (app == First.Gateway)
            {
                await First.UsageAsync(GatewayHarness.RecordId(response)); // settled: its store has been sent
            }

            return response;
        }

        public async ValueTask DisposeAsync()
        {
            await Second.DisposeAsync();
            await First.DisposeAsync();
            await Proxy.DisposeAsync();
            try
            {
                Directory.Delete(data, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static async Task<Fleet?> StartAsync()
    {
        if (RedisTestServer.Endpoint() is not { } endpoint)
        {
            return null;
        }

        var proxy = CuttableProxy.Start(endpoint);
        var prefix = RedisTestServer.NewPrefix();
        var yaml = Yaml.Replace("PREFIX", prefix, StringComparison.Ordinal);
        var first = await GatewayHarness.StartFakesOnlyAsync(1);
        first.Env["SWITCHYARD_REDIS"] = proxy.Endpoint;
        var data = Path.Combine(first.DataDirectory, "..", "replica-b-" + Guid.NewGuid().ToString("N")[..8]);
        await first.StartGatewayAsync(first.Options(yaml, configFile: false));
        var o = first.Options(yaml, configFile: false);
        var second = await GatewayApp.StartAsync(new GatewayStartOptions
        {
            ConfigYaml = o.ConfigYaml, Urls = o.Urls, DataDirectory = data, Environment = o.Environment, ConsoleLogging = false, Providers = o.Providers,
        });
        return new Fleet(first, second, proxy, prefix, data);
    }

    [Fact]
    public async Task AnswerStoredByOneReplica_ServesTheOther_WithRedisTtl()
    {
        await using var fleet = await StartAsync();
        if (fleet is null)
        {
            return;
        }

        fleet.First.A.SetDefault(UpstreamBehavior.Text("Four.", usage: new FakeUsage(1000, 500)));

        var miss = await fleet.AskAsync(fleet.First.Gateway);
        var key = await WaitForEntryAsync(fleet.Prefix);
        var hit = await fleet.AskAsync(fleet.Second);

        Assert.Equal(("miss", "hit"), (CacheHarness.CacheHeader(miss), CacheHarness.CacheHeader(hit)));
        Assert.Contains("Four.", await hit.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(1, fleet.First.A.RequestCount);
        await using var redis = await ConnectionMultiplexer.ConnectAsync(RedisTestServer.Endpoint()!);
        var ttl = await redis.GetDatabase().KeyTimeToLiveAsync(key);
        Assert.InRange(ttl!.Value, TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(90));
        Assert.InRange((await redis.GetDatabase().StringLengthAsync(key)), 20, 400); // compact: the answer, not JSON
    }

    [Fact]
    public async Task AnswerOverEntryBound_NotStored()
    {
        await using var fleet = await StartAsync();
        if (fleet is null)
        {
            return;
        }

        fleet.First.A.SetDefault(UpstreamBehavior.Text(new string('x', 5000)));

        await fleet.AskAsync(fleet.First.Gateway);
        var second = await fleet.AskAsync(fleet.Second);

        Assert.Equal("miss", CacheHarness.CacheHeader(second));
        Assert.Equal(2, fleet.First.A.RequestCount);
    }

    [Fact]
    public async Task RedisUnreachable_LookupIsAMiss_RequestServed()
    {
        await using var fleet = await StartAsync();
        if (fleet is null)
        {
            return;
        }

        fleet.First.A.SetDefault(UpstreamBehavior.Text("Four."));
        await fleet.AskAsync(fleet.First.Gateway);
        await WaitForEntryAsync(fleet.Prefix);

        fleet.Proxy.Stall(); // Redis answers nothing: each lookup waits redis.timeout, then the link goes down
        var answers = new List<HttpResponseMessage>();
        for (var i = 0; i < 4; i++)
        {
            answers.Add(await fleet.AskAsync(fleet.Second));
        }

        Assert.All(answers, a => Assert.Equal((System.Net.HttpStatusCode.OK, "miss"), (a.StatusCode, CacheHarness.CacheHeader(a))));
        Assert.Equal(5, fleet.First.A.RequestCount);
    }

    /// <summary>The one cache key under <paramref name="prefix"/> once the store (sent without waiting) has landed.</summary>
    private static async Task<RedisKey> WaitForEntryAsync(string prefix)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(RedisTestServer.Endpoint()!);
        var server = redis.GetServers()[0];
        using var bound = new CancellationTokenSource(GatewayHarness.Bound);
        while (true)
        {
            var keys = server.Keys(pattern: "{" + prefix + "}:cache:*").ToList();
            if (keys.Count == 1)
            {
                return keys[0];
            }

            await Task.Delay(20, bound.Token); // polling the real server for a write sent without waiting, bounded
        }
    }
}
