using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using Switchyard.Canonical;
using Switchyard.Configuration;
using Switchyard.Dispatch;
using Switchyard.Providers.Anthropic;
using Switchyard.Providers.AzureOpenAI;
using Switchyard.Providers.Bedrock;
using Switchyard.Providers.Gemini;
using Switchyard.Providers.OpenAI;
using Switchyard.Routing;
using Switchyard.Upstream;

namespace Switchyard.Tests.Upstream;

/// <summary>Provider key pools: rotation, cooldowns, reloads, what reaches the dispatcher, and that keys never show.</summary>
public sealed class KeyPoolTests
{
    private const string KeyA = "sk-pool-test-alpha-0001";
    private const string KeyB = "sk-pool-test-bravo-0002";
    private const string KeyC = "sk-pool-test-charlie-0003";

    private static readonly DateTimeOffset Start = DateTimeOffset.Parse("2026-11-24T12:00:00Z");

    private static ProviderConfig Provider(string name = "p", KeyCooldowns? cooldowns = null, string kind = OpenAICompatibleProvider.KindName,
        Dictionary<string, string>? settings = null, params string[] keys) =>
        new(name, kind, "openai-compatible", new Uri("https://upstream.example/v1"), keys.FirstOrDefault(), [], Timeouts.Default)
        {
            ApiKeys = keys,
            KeyCooldowns = cooldowns ?? KeyCooldowns.Default,
            Settings = settings ?? new Dictionary<string, string>(),
        };

    private static (KeyPool Pool, FakeTimeProvider Time) Pool(params string[] keys)
    {
        var time = new FakeTimeProvider(Start);
        return (new KeyPoolRegistry(time).Create(Provider(keys: keys))!, time);
    }

    private static string Fingerprint(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[^4..];

    private static int[] Take(KeyPool pool, int n) => [.. Enumerable.Range(0, n).Select(_ => pool.Next().Index)];

    [Fact]
    public void Next_RotatesOverEveryKeyInOrder()
    {
        var (pool, _) = Pool(KeyA, KeyB, KeyC);

        Assert.Equal([0, 1, 2, 0, 1, 2, 0], Take(pool, 7));
        Assert.Equal(3, pool.Count);
        Assert.Equal(3, pool.Available);
    }

    [Fact]
    public void Next_SingleKey_AlwaysThatKeyEvenWhileCooling()
    {
        var (pool, _) = Pool(KeyA);
        var lease = pool.Next();
        pool.Failed(lease, FailureKind.Auth, null);

        Assert.Same(lease, pool.Next());
        Assert.Equal(0, pool.Available);
    }

    [Fact]
    public void Failed_RateLimited_SkipsKeyForSixtySecondsByDefault()
    {
        var (pool, time) = Pool(KeyA, KeyB, KeyC);
        var a = pool.Next();
        pool.Failed(a, FailureKind.RateLimited, retryAfter: null);

        // Fair among the rest: B, C, B, C... never A.
        Assert.Equal([1, 2, 1, 2], Take(pool, 4));
        time.Advance(TimeSpan.FromSeconds(59.9));
        Assert.DoesNotContain(0, Take(pool, 4));

        time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Contains(0, Take(pool, 3));
        Assert.Equal(3, pool.Available);
    }

    [Fact]
    public void Failed_RateLimitedWithLongerRetryAfter_CoolsForTheRetryAfter()
    {
        var (pool, time) = Pool(KeyA, KeyB);
        pool.Failed(pool.Next(), FailureKind.RateLimited, TimeSpan.FromSeconds(120));

        time.Advance(TimeSpan.FromSeconds(119));
        Assert.Equal([1, 1, 1], Take(pool, 3));
        var status = pool.Status()[0];
        Assert.False(status.Available);
        Assert.Equal(TimeSpan.FromSeconds(1), status.CooldownRemaining);
        Assert.Equal(FailureKind.RateLimited, status.Reason);

        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Contains(0, Take(pool, 2));
    }

    [Fact]
    public void Failed_RateLimitedWithShorterRetryAfter_KeepsTheDefaultCooldown()
    {
        var (pool, time) = Pool(KeyA, KeyB);
        pool.Failed(pool.Next(), FailureKind.RateLimited, TimeSpan.FromSeconds(2));

        time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal([1, 1], Take(pool, 2));
    }

    [Fact]
    public void Failed_Auth_CoolsForFiveMinutes()
    {
        var (pool, time) = Pool(KeyA, KeyB);
        pool.Failed(pool.Next(), FailureKind.Auth, null);

        time.Advance(TimeSpan.FromMinutes(4.99));
        Assert.Equal([1, 1, 1], Take(pool, 3));
        Assert.Equal(FailureKind.Auth, pool.Status()[0].Reason);

        time.Advance(TimeSpan.FromMinutes(0.01));
        Assert.Contains(0, Take(pool, 2));
    }

    [Fact]
    public void Failed_ConfiguredCooldowns_AreUsed()
    {
        var time = new FakeTimeProvider(Start);
        var pool = new KeyPoolRegistry(time).Create(Provider(cooldowns: new KeyCooldowns(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10)), keys: [KeyA, KeyB]))!;
        pool.Failed(pool.Next(), FailureKind.RateLimited, null);
        pool.Failed(pool.Next(), FailureKind.Auth, null);

        time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal([true, false], pool.Status().Select(s => s.Available));
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(2, pool.Available);
    }

    [Fact]
    public void Failed_OtherKinds_DoNotCoolTheKey()
    {
        var (pool, _) = Pool(KeyA, KeyB);
        var a = pool.Next();
        foreach (var kind in (FailureKind[])[FailureKind.ServerError, FailureKind.Timeout, FailureKind.ClientError, FailureKind.ContextWindow])
        {
            pool.Failed(a, kind, TimeSpan.FromMinutes(1));
        }

        Assert.Equal(2, pool.Available);
    }

    [Fact]
    public void Failed_ShorterLaterCooldown_DoesNotShortenTheCurrentOne()
    {
        var (pool, time) = Pool(KeyA, KeyB);
        var a = pool.Next();
        pool.Failed(a, FailureKind.Auth, null);
        pool.Failed(a, FailureKind.RateLimited, null);

        time.Advance(TimeSpan.FromMinutes(2));
        var status = pool.Status()[0];
        Assert.False(status.Available);
        Assert.Equal(FailureKind.Auth, status.Reason);
        Assert.Equal(2, status.Failures);
    }

    [Fact]
    public void Next_AllCooling_UsesTheKeyWhoseCooldownEndsFirst()
    {
        var (pool, time) = Pool(KeyA, KeyB, KeyC);
        var leases = Enumerable.Range(0, 3).Select(_ => pool.Next()).ToArray();
        pool.Failed(leases[0], FailureKind.Auth, null);                         // ends at +5m
        pool.Failed(leases[1], FailureKind.RateLimited, TimeSpan.FromSeconds(90)); // ends at +90s
        pool.Failed(leases[2], FailureKind.RateLimited, null);                  // ends at +60s
        time.Advance(TimeSpan.FromSeconds(10));

        Assert.Equal(0, pool.Available);
        Assert.Equal([2, 2], Take(pool, 2));

        time.Advance(TimeSpan.FromSeconds(50)); // C is back
        Assert.Equal([2, 2], Take(pool, 2));
    }

    [Fact]
    public void Failed_LeaseOfAnotherPool_Throws()
    {
        var (pool, _) = Pool(KeyA, KeyB);
        var (other, _) = Pool(KeyA, KeyB);

        Assert.Throws<ArgumentException>(() => pool.Failed(other.Next(), FailureKind.Auth, null));
    }

    [Fact]
    public void Registry_ReloadWithSameKeys_KeepsTheCooldown()
    {
        var time = new FakeTimeProvider(Start);
        var registry = new KeyPoolRegistry(time);
        var before = registry.Create(Provider("p", keys: [KeyA, KeyB]))!;
        before.Failed(before.Next(), FailureKind.Auth, null);

        // The reload reorders the keys and adds one: A is still cooling, wherever it now sits.
        var after = registry.Create(Provider("p", keys: [KeyC, KeyB, KeyA]))!;
        var status = after.Status();
        Assert.Equal([true, true, false], status.Select(s => s.Available));
        Assert.Equal(Fingerprint(KeyA), status[2].Fingerprint);
        Assert.DoesNotContain(2, Take(after, 6));

        // A provider of another name with the same key starts fresh (state is per provider, like health per deployment).
        Assert.Equal(3, registry.Create(Provider("q", keys: [KeyC, KeyB, KeyA]))!.Available);

        // Failures reported through the old table's pool (a request in flight during the reload) reach the new one.
        before.Failed(LeaseAt(before, 1), FailureKind.RateLimited, null);
        Assert.False(after.Status()[1].Available);
        GC.KeepAlive(before);
    }

    [Fact]
    public void Registry_KeysNoLongerUsedByAnyTable_AreForgotten()
    {
        var registry = new KeyPoolRegistry(new FakeTimeProvider(Start));
        CreateAndDrop(registry);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        var pool = registry.Create(Provider("p", keys: [KeyC]))!;
        Assert.Equal(1, registry.LiveStates);
        GC.KeepAlive(pool);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void CreateAndDrop(KeyPoolRegistry registry)
    {
        var pool = registry.Create(Provider("p", keys: [KeyA, KeyB]))!;
        pool.Failed(pool.Next(), FailureKind.Auth, null);
    }

    [Fact]
    public void Registry_ProviderWithoutKeys_HasNoPool()
    {
        Assert.Null(new KeyPoolRegistry(TimeProvider.System).Create(Provider(keys: [])));
    }

    [Fact]
    public void Report_RateLimitWithAnotherKeyAvailable_KeepsTheKindButDropsRetryAfter()
    {
        var (pool, _) = Pool(KeyA, KeyB);
        using var message = Leased(pool);
        var failure = new UpstreamFailure(FailureKind.RateLimited, "deployment 'd' returned HTTP 429", 429, TimeSpan.FromSeconds(30), [1, 2]) { ClientShaped = true };

        var reported = KeyPool.Report(message, failure);

        Assert.Equal(FailureKind.RateLimited, reported.Kind);
        Assert.Null(reported.RetryAfter);
        Assert.True(reported.ClientShaped);
        Assert.Equal(429, reported.Status);
        Assert.Contains("another key is available", reported.Message);
        Assert.False(pool.Status()[0].Available);
        Assert.Equal(TimeSpan.FromSeconds(60), pool.Status()[0].CooldownRemaining);
    }

    [Fact]
    public void Report_AuthWithAnotherKeyAvailable_BecomesTransientWithoutTheUpstreamBody()
    {
        var (pool, _) = Pool(KeyA, KeyB);
        using var message = Leased(pool);
        var failure = new UpstreamFailure(FailureKind.Auth, "deployment 'd' returned HTTP 401", 401, null,
            Encoding.UTF8.GetBytes("""{"error":{"message":"Incorrect API key provided: sk-pool****0001"}}""")) { ClientShaped = true };

        var reported = KeyPool.Report(message, failure);

        Assert.Equal(FailureKind.Transient, reported.Kind);
        Assert.Null(reported.Body);
        Assert.False(reported.ClientShaped);
        Assert.Equal(401, reported.Status);
        Assert.Equal(FailureKind.Auth, pool.Status()[0].Reason);
        Assert.Equal(TimeSpan.FromMinutes(5), pool.Status()[0].CooldownRemaining);
        Assert.Contains($"key[0] (sha256 …{Fingerprint(KeyA)})", reported.Message);
        Assert.DoesNotContain(KeyA, reported.Message);
    }

    [Theory]
    [InlineData(402, FailureKind.ClientError, null)]
    [InlineData(429, FailureKind.RateLimited, """{"error":{"type":"insufficient_quota","code":"insufficient_quota"}}""")]
    public void Report_PaymentRequiredOrQuotaExhausted_IsALongCooldown(int status, FailureKind kind, string? body)
    {
        var (pool, _) = Pool(KeyA, KeyB);
        using var message = Leased(pool);

        var reported = KeyPool.Report(message, new UpstreamFailure(kind, "x", status, null, body is null ? null : Encoding.UTF8.GetBytes(body)));

        Assert.Equal(FailureKind.Transient, reported.Kind);
        Assert.Equal(TimeSpan.FromMinutes(5), pool.Status()[0].CooldownRemaining);
    }

    [Fact]
    public void Report_NoOtherKeyAvailable_LeavesTheFailureAsClassified()
    {
        var (pool, _) = Pool(KeyA, KeyB);
        pool.Failed(LeaseAt(pool, 1), FailureKind.Auth, null);
        using var message = Leased(pool);
        var failure = new UpstreamFailure(FailureKind.Auth, "deployment 'd' returned HTTP 401", 401, null, [1]) { ClientShaped = true };

        Assert.Same(failure, KeyPool.Report(message, failure));
        Assert.Equal(0, pool.Available); // still cooled, for the next request's choice
    }

    [Fact]
    public void Report_SingleKey_LeavesTheFailureAsClassified()
    {
        var (pool, _) = Pool(KeyA);
        using var message = Leased(pool);
        var failure = new UpstreamFailure(FailureKind.RateLimited, "x", 429, TimeSpan.FromSeconds(3));

        Assert.Same(failure, KeyPool.Report(message, failure));
    }

    [Fact]
    public void Report_FailureNotAboutTheKey_OrNoLease_ChangesNothing()
    {
        var (pool, _) = Pool(KeyA, KeyB);
        using var message = Leased(pool);
        var server = new UpstreamFailure(FailureKind.ServerError, "x", 500);
        Assert.Same(server, KeyPool.Report(message, server));
        Assert.Equal(2, pool.Available);

        using var bare = new HttpRequestMessage();
        var auth = new UpstreamFailure(FailureKind.Auth, "x", 401);
        Assert.Same(auth, KeyPool.Report(bare, auth));
    }

    [Fact]
    public void ToStrings_NeverShowAKey()
    {
        var (pool, time) = Pool(KeyA, KeyB);
        var lease = pool.Next();
        pool.Failed(lease, FailureKind.Auth, null);
        var provider = Provider("p", keys: [KeyA, KeyB]);
        var deployment = DeploymentTarget.Create(new DeploymentConfig("d", provider, "m", Timeouts.Default), pool);

        var shown = string.Join("\n", lease.ToString(), pool.ToString(), string.Join(",", pool.Status()), provider.ToString(),
            deployment.ToString(), deployment.Config.ToString(), pool.Next().ToString());

        Assert.DoesNotContain("sk-pool", shown);
        Assert.DoesNotContain("alpha", shown);
        Assert.DoesNotContain("bravo", shown);
        Assert.Contains(Fingerprint(KeyA), shown);
        Assert.Equal($"key[0] (sha256 …{Fingerprint(KeyA)})", lease.ToString());
        GC.KeepAlive(time);
    }

    [Fact]
    public void Adapters_RotateTheirKeyHeaderAndRecordTheLease()
    {
        var request = new ChatRequest { Model = "m" };
        var user = new Message(Role.User);
        user.Content.Add(new TextPart("hi"));
        request.Messages.Add(user);

        var cases = new (IProviderAdapter Adapter, string Kind, Dictionary<string, string>? Settings, Func<HttpRequestMessage, string?> Read)[]
        {
            (new OpenAIChatAdapter(), OpenAICompatibleProvider.KindName, null, m => m.Headers.Authorization?.Parameter),
            (new AnthropicAdapter(), AnthropicProvider.KindName, null, m => Single(m, "x-api-key")),
            (new AzureOpenAIAdapter(), AzureOpenAIProvider.KindName, null, m => Single(m, AzureOpenAIAdapter.KeyHeader)),
            (new GeminiAdapter(), GeminiProvider.KindName, null, m => Single(m, "x-goog-api-key")),
            (new BedrockAdapter(new FakeTimeProvider(Start), _ => null), BedrockProvider.KindName, new() { ["region"] = "us-east-1" }, m => m.Headers.Authorization?.Parameter),
        };

        foreach (var (adapter, kind, settings, read) in cases)
        {
            var provider = Provider("p-" + kind, kind: kind, settings: settings, keys: [KeyA, KeyB]);
            var deployment = DeploymentTarget.Create(new DeploymentConfig("d", provider, "m", Timeouts.Default), new KeyPoolRegistry(TimeProvider.System).Create(provider));
            var sent = new List<string?>();
            for (var i = 0; i < 3; i++)
            {
                using var message = adapter.BuildRequest(request, deployment, allowDrop: true).Message;
                sent.Add(read(message));
                Assert.True(message.Options.TryGetValue(KeyPool.LeaseOption, out var lease), kind.ToString());
                Assert.Equal(i % 2, lease!.Index);
            }

            Assert.Equal([KeyA, KeyB, KeyA], sent);
        }

        // The passthrough path leases the same way.
        var openAi = Provider("p-pass", keys: [KeyA, KeyB]);
        var target = DeploymentTarget.Create(new DeploymentConfig("d", openAi, "m", Timeouts.Default));
        var adapterOpenAi = new OpenAIChatAdapter();
        var tokens = new List<string?>();
        for (var i = 0; i < 2; i++)
        {
            using var message = new HttpRequestMessage(HttpMethod.Post, (Uri?)null);
            adapterOpenAi.PreparePassthrough(message, target, Operation.ChatCompletions, stream: false);
            tokens.Add(message.Headers.Authorization?.Parameter);
        }

        Assert.Equal([KeyA, KeyB], tokens);
    }

    [Fact]
    public void EmbeddingsProviders_RotateTheirKeyHeaderAndRecordTheLease()
    {
        var request = new EmbeddingsRequest(["hello"], null, Base64: false);
        var cases = new (IEmbeddingsProvider Provider, string Kind, string Model, Dictionary<string, string>? Settings, Func<HttpRequestMessage, string?> Read)[]
        {
            (new GeminiEmbeddings(), GeminiProvider.KindName, "text-embedding-004", null, m => Single(m, "x-goog-api-key")),
            (new BedrockEmbeddings(new FakeTimeProvider(Start), _ => null), BedrockProvider.KindName, "amazon.titan-embed-text-v2:0",
                new() { ["region"] = "us-east-1" }, m => m.Headers.Authorization?.Parameter),
        };

        foreach (var (embeddings, kind, model, settings, read) in cases)
        {
            var provider = Provider("e-" + kind, kind: kind, settings: settings, keys: [KeyA, KeyB]);
            var deployment = DeploymentTarget.Create(new DeploymentConfig("d", provider, model, Timeouts.Default));
            var sent = new List<string?>();
            for (var i = 0; i < 3; i++)
            {
                using var message = embeddings.BuildEmbeddings(request, deployment);
                sent.Add(read(message));
                Assert.True(message.Options.TryGetValue(KeyPool.LeaseOption, out _), kind.ToString());
            }

            Assert.Equal([KeyA, KeyB, KeyA], sent);
        }
    }

    [Fact]
    public void RouteTable_DeploymentsOfOneProvider_ShareItsPool()
    {
        var config = ConfigLoader.LoadYaml("""
            providers:
              p: { kind: openai-compatible, base_url: "http://127.0.0.1:9/v1", api_keys: ["${K1}", "${K2}"] }
              keyless: { kind: openai-compatible, base_url: "http://127.0.0.1:9/v1" }
            deployments:
              d1: { provider: p, model: m1 }
              d2: { provider: p, model: m2 }
              d3: { provider: keyless, model: m3 }
            models:
              m: { deployments: [d1, d2, d3] }
            """, "test.yaml", n => n switch { "K1" => KeyA, "K2" => KeyB, _ => null }).Config!;
        var registry = new KeyPoolRegistry(new FakeTimeProvider(Start));

        var table = RouteTable.Build(config, registry);

        var targets = table.Aliases["m"].Deployments;
        Assert.Same(table.KeyPools["p"], targets[0].Keys);
        Assert.Same(targets[0].Keys, targets[1].Keys);
        Assert.Null(targets[2].Keys);
        Assert.False(table.KeyPools.ContainsKey("keyless"));
        Assert.Equal(2, table.KeyPools["p"].Count);

        // A reload through the same registry keeps a cooled key cooled.
        var pool = table.KeyPools["p"];
        pool.Failed(LeaseAt(pool, 0), FailureKind.Auth, null);
        Assert.Equal(1, RouteTable.Build(config, registry).KeyPools["p"].Available);
    }

    private static HttpRequestMessage Leased(KeyPool pool)
    {
        var message = new HttpRequestMessage();
        message.Options.Set(KeyPool.LeaseOption, pool.Next());
        return message;
    }

    /// <summary>The lease of key <paramref name="index"/>, taken by rotating (Next is the only way to get one).</summary>
    private static KeyLease LeaseAt(KeyPool pool, int index)
    {
        for (var i = 0; i < pool.Count * 2; i++)
        {
            if (pool.Next() is { } lease && lease.Index == index)
            {
                return lease;
            }
        }

        throw new InvalidOperationException($"key {index} is cooling down");
    }

    private static string? Single(HttpRequestMessage message, string header) =>
        message.Headers.TryGetValues(header, out var values) ? values.Single() : null;
}
