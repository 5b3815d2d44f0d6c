using System.ClientModel;
using Microsoft.Extensions.Time.Testing;
using Switchyard.Tests.TestKit.Replicate;
using Switchyard.Usage;

namespace Switchyard.Tests.EndToEnd.Media;

/// <summary>
/// A real gateway on a fake clock in front of <see cref="FakeReplicateUpstream"/>: FLUX schnell and dev as official
/// models (priced per image by the book), a community model version priced per second, an alias that falls back from
/// schnell to dev, one with a 20 s deadline, and one on a provider that asks for webhooks (<see cref="WebhookSecret"/>). Predictions move only when the gateway polls, and the gateway polls
/// only when the test advances <see cref="Clock"/>.
/// </summary>
public sealed class ReplicateGateway : IAsyncLifetime
{
    /// <summary>The Replicate deployments' poll interval.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    /// <summary>The webhook signing secret the gateway is configured with (Replicate's <c>whsec_</c> + base64 key).</summary>
    public const string WebhookSecret = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

    private GatewayHarness? harness;

    /// <summary>The fake Replicate.</summary>
    public FakeReplicateUpstream Fake { get; private set; } = null!;

    /// <summary>The gateway's clock.</summary>
    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 12, 6, 10, 0, 0, TimeSpan.Zero));

    /// <summary>The gateway.</summary>
    internal GatewayHarness H => harness!;

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        Fake = await FakeReplicateUpstream.StartAsync();
        var yaml = $$$"""
            auth:
              keys:
                - { id: app, hash: {{APP_HASH}} }
                - { id: ops, hash: {{OPS_HASH}}, role: operator }
            providers:
              rep:
                preset: replicate
                base_url: "{{{Fake.BaseUrl}}}/v1"
                api_key: "${REP_KEY}"
                settings: { poll_interval: 1s, wait: 30 }
              rep-hooked:
                preset: replicate
                base_url: "{{{Fake.BaseUrl}}}/v1"
                api_key: "${REP_KEY}"
                settings: { poll_interval: 1s, webhook_url: "https://gw.example/v1/webhooks/replicate", webhook_secret: "${REP_WEBHOOK_SECRET}" }
            deployments:
              schnell: { provider: rep, model: black-forest-labs/flux-schnell }
              dev: { provider: rep, model: black-forest-labs/flux-dev }
              community: { provider: rep, model: "someone/sdxl-lite:{{{FakeReplicateUpstream.Version}}}", price: { per_second: 0.001 } }
              schnell-short: { provider: rep, model: black-forest-labs/flux-schnell, timeouts: { total: 20s } }
              hooked: { provider: rep-hooked, model: black-forest-labs/flux-schnell, timeouts: { total: 20s } }
              kling: { provider: rep, model: kwaivgi/kling-v2.1, operations: [videos], price: { per_second: 0.05 } }
            models:
              flux-schnell: schnell
              flux-any: { deployments: [schnell], fallbacks: [dev], retry: { max_retries: 0 } }
              sdxl-lite: community
              flux-short: schnell-short
              flux-hooked: hooked
              kling: kling
            """;
        harness = await GatewayHarness.StartAsync(yaml, fakes: 0, time: Clock,
            env: new Dictionary<string, string> { ["REP_KEY"] = FakeReplicateUpstream.Token, ["REP_WEBHOOK_SECRET"] = WebhookSecret });
    }

    /// <summary>
    /// Steps the clock one poll interval at a time until <paramref name="call"/> completes: after each step it waits for
    /// the fake to have answered something (an event), so the gateway moves exactly as fast as its polls are answered.
    /// Bounded by <see cref="GatewayHarness.Bound"/> of real time; never a timing assertion.
    /// </summary>
    public async Task<T> DriveAsync<T>(Task<T> call)
    {
        var bound = DateTime.UtcNow + GatewayHarness.Bound;
        while (!call.IsCompleted)
        {
            Assert.True(DateTime.UtcNow < bound, "the gateway did not answer while the clock was driven");
            Clock.Advance(PollInterval);
            await Task.WhenAny(call, Fake.AnsweredAsync(TimeSpan.FromMilliseconds(100)));
        }

        return await call;
    }

    /// <summary>The record of the request an SDK call made.</summary>
    public Task<UsageRecord> RecordOf(ClientResult result)
    {
        Assert.True(result.GetRawResponse().Headers.TryGetValue("x-request-id", out var id));
        return H.UsageAsync(id!);
    }

    /// <summary>The record of a raw response.</summary>
    public Task<UsageRecord> RecordOf(HttpResponseMessage response) => H.UsageAsync(GatewayHarness.RecordId(response));

    /// <summary>SDK credential for the gateway's client key.</summary>
    public static ApiKeyCredential Key => new(GatewayHarness.ClientKey);

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (harness is not null)
        {
            await harness.DisposeAsync();
        }

        await Fake.DisposeAsync();
    }
}
