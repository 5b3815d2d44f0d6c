#pragma warning disable OPENAI001 // the SDK marks its VideoClient as an evaluation API
using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using OpenAI.Videos;
using Switchyard.Jobs;
using Switchyard.Tests.EndToEnd.Admin;
using Switchyard.Tests.TestKit;
using Switchyard.Tests.TestKit.Media;

namespace Switchyard.Tests.EndToEnd.Media;

/// <summary>
/// A real gateway (Kestrel, SQLite or PostgreSQL) in front of <see cref="FakeVideoUpstream"/> on a stopped clock: sora-2
/// and sora-2-pro on an OpenAI-compatible provider, Veo on the Gemini API, each priced per second, an alias that falls
/// back from a provider that refuses connections to Veo, and one whose first deployment answers what cannot be read.
/// One per test (jobs, records and the clock are the test's own).
/// </summary>
internal sealed class VideoGateway : IAsyncDisposable
{
    private const string Yaml = """
        auth:
          keys:
            - { id: app, hash: {{APP_HASH}} }
            - { id: ops, hash: {{OPS_HASH}}, role: operator }
        providers:
          oa: { kind: openai-compatible, base_url: "FAKE/openai/v1", api_key: "${VIDEO_KEY}" }
          oa-down: { kind: openai-compatible, base_url: "{{CLOSED}}", api_key: "${VIDEO_KEY}" }
          gem: { preset: gemini, base_url: "FAKE/gemini/v1beta", api_key: "${VIDEO_KEY}" }
        deployments:
          sora: { provider: oa, model: sora-2, price: { per_second: 0.10 } }
          sora-pro: { provider: oa, model: sora-2-pro, price: { per_second: 0.30 } }
          sora-down: { provider: oa-down, model: sora-2, price: { per_second: 0.10 } }
          veo: { provider: gem, model: veo-3.0-generate-001, price: { per_second: 0.40 } }
        models:
          sora-2: sora
          sora-2-pro: sora-pro
          veo-3: veo
          video-any: { deployments: [sora-down], fallbacks: [veo], retry: { max_retries: 0 } }
          sora-then-veo: { deployments: [sora], fallbacks: [veo], retry: { max_retries: 0 } }
        """;

    private VideoGateway(FakeVideoUpstream fake, GatewayHarness harness, FakeTimeProvider clock, string extraYaml)
    {
        Fake = fake;
        H = harness;
        Clock = clock;
        ExtraYaml = extraYaml;
    }

    /// <summary>The fake upstream.</summary>
    public FakeVideoUpstream Fake { get; }

    /// <summary>The gateway.</summary>
    public GatewayHarness H { get; }

    /// <summary>The gateway's clock (stopped: the background poller runs only when a test advances it).</summary>
    public FakeTimeProvider Clock { get; }

    private string ExtraYaml { get; }

    /// <summary>The rendered config (the fake's address filled in).</summary>
    private string Config => Yaml.Replace("FAKE", Fake.BaseUrl, StringComparison.Ordinal) + ExtraYaml;

    /// <summary>Starts the fake and a gateway on <paramref name="extraYaml"/> (e.g. a <c>storage:</c> section) with <paramref name="env"/>.</summary>
    public static async Task<VideoGateway> StartAsync(string extraYaml = "", IReadOnlyDictionary<string, string>? env = null)
    {
        var fake = await FakeVideoUpstream.StartAsync();
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 6, 12, 0, 0, TimeSpan.Zero));
        var all = new Dictionary<string, string>(AdminClient.MasterEnv) { ["VIDEO_KEY"] = FakeVideoUpstream.Key };
        foreach (var (name, value) in env ?? new Dictionary<string, string>())
        {
            all[name] = value;
        }

        try
        {
            var yaml = Yaml.Replace("FAKE", fake.BaseUrl, StringComparison.Ordinal) + extraYaml;
            var harness = await GatewayHarness.StartAsync(yaml, fakes: 0, env: all, time: clock);
            return new VideoGateway(fake, harness, clock, extraYaml);
        }
        catch
        {
            await fake.DisposeAsync();
            throw;
        }
    }

    /// <summary>Stops the gateway and starts a new one on the same database, fake and clock.</summary>
    public Task RestartAsync() => H.RestartGatewayAsync(Config);

    /// <summary>The official SDK's video client, authenticated with <paramref name="key"/>, without SDK retries.</summary>
    public VideoClient Client(string key = GatewayHarness.ClientKey) => new(new ApiKeyCredential(key), new VideoClientOptions
    {
        Endpoint = H.ApiBase,
        RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
        NetworkTimeout = GatewayHarness.Bound,
    });

    /// <summary>Creates a video through the SDK with a JSON body; the video object the gateway answered.</summary>
    public async Task<JsonNode> CreateAsync(string json, string key = GatewayHarness.ClientKey)
    {
        var result = await Client(key).CreateVideoAsync(BinaryContent.Create(BinaryData.FromString(json)), "application/json");
        return Json(result);
    }

    /// <summary>The JSON body of an SDK result.</summary>
    public static JsonNode Json(ClientResult result) => JsonNode.Parse(result.GetRawResponse().Content.ToString())!;

    /// <summary>The id the fake gave the only job it has made so far.</summary>
    public string OnlyUpstreamJob => Assert.Single(Fake.Jobs).Id;

    /// <summary>The background poller of the running gateway.</summary>
    public VideoPoller Poller => H.Gateway.Services.GetRequiredService<VideoPoller>();

    /// <summary>The completion records of <paramref name="videoId"/> (written once the job has ended), after a flush.</summary>
    public async Task<IReadOnlyList<Switchyard.Core.UsageRecord>> CompletionsAsync(string videoId)
    {
        await H.Gateway.FlushUsageAsync(CancellationToken.None);
        return [.. H.Gateway.Usage.Store.ReadRecent(1000).Where(r => r.RequestId == videoId)];
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await H.DisposeAsync();
        await Fake.DisposeAsync();
    }
}
