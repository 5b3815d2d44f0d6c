using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Switchyard.Tests.TestKit;
using Switchyard.Usage;

namespace Switchyard.Tests.EndToEnd.Metering;

/// <summary>
/// Graceful shutdown: once stopping begins, requests in flight may finish within <c>server.shutdown_timeout</c>; past
/// it (driven here by the gateway's fake clock, never by waiting) every open stream ends with its format's error
/// event, a request not yet answered gets a 503, the connections end cleanly (a reset would throw on read), and
/// every request leaves a record, streams billed for what they delivered.
/// </summary>
public sealed class ShutdownDrainTests
{
    private const string Yaml = GatewayHarness.Preamble + """
        server: { shutdown_timeout: 30s }
        deployments:
          dep-a: { provider: up-a, model: upstream-model-a }
          dep-b: { provider: up-b, model: upstream-model-b }
        models:
          long: { deployments: [dep-a], max_attempts: 1 }
          short: { deployments: [dep-b], max_attempts: 1 }
        """;

    private static readonly string[] Pieces = ["Waves ", "come ", "and ", "go ", "all ", "night."];

    [Fact]
    public async Task Stop_StreamsPastTheTimeoutEndWithErrorEvents_OthersFinish_AllRecorded()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var h = await GatewayHarness.StartAsync(Yaml, time: time);
        using var release = new CancellationTokenSource();
        var text = UpstreamBehavior.TextPieces(Pieces);
        h.A.Enqueue(UpstreamBehavior.Stall(3) with { Source = text }, UpstreamBehavior.Stall(3) with { Source = text });
        h.B.Enqueue(UpstreamBehavior.Stall(2) with { Source = text, Release = release.Token }, UpstreamBehavior.Delay(TimeSpan.FromMinutes(1)));

        // Four requests in flight: two streams that will outlast the drain (OpenAI passthrough, Anthropic translated),
        // one stream that finishes within it, and a whole answer still waiting for its upstream.
        var passthrough = await StartStreamAsync(h, h.Post("/v1/chat/completions", Wire.ChatJson("long", stream: true)), h.A, 1);
        var translated = await StartStreamAsync(h, MeteringKit.PostMessages(h, MeteringKit.MessagesJson("long", stream: true)), h.A, 2);
        var finishing = await StartStreamAsync(h, h.Post("/v1/chat/completions", Wire.ChatJson("short", stream: true)), h.B, 1);
        var waiting = h.PostChatAsync(Wire.ChatJson("short"));
        await h.B.WaitForRequestsAsync(2, GatewayHarness.Bound);

        var drain = h.Gateway.Services.GetRequiredService<DrainSignal>();
        var stopping = h.StopGatewayAsync();
        await WaitUntilAsync(() => drain.Draining);

        await release.CancelAsync(); // finishes within the drain
        var finished = await MeteringKit.ReadAllAsync(finishing);
        Assert.True(finished[^1].IsDone);
        Assert.DoesNotContain(finished, e => e.IsError);

        time.Advance(TimeSpan.FromSeconds(30)); // the drain is over
        var cut = await MeteringKit.ReadAllAsync(passthrough);
        Wire.AssertErrorEnvelope(cut[^1].Data, code: "gateway_shutting_down");
        Assert.DoesNotContain(cut, e => e.IsDone);
        var anthropic = await MeteringKit.ReadAllAsync(translated);
        Assert.Equal("error", anthropic[^1].Event);
        Assert.DoesNotContain(anthropic, e => e.Event == "message_stop");
        using var refused = await waiting;
        await Wire.AssertOpenAIErrorAsync(refused, 503, code: "gateway_shutting_down");
        await stopping.WaitAsync(GatewayHarness.Bound);

        using var store = new SqliteUsageStore(Path.Combine(h.DataDirectory, "switchyard.db"));
        var records = store.ReadRecent(10);
        Assert.Equal(4, records.Count);
        var byId = records.ToDictionary(r => r.RequestId);
        var cutRecord = byId[Wire.Header(passthrough, "x-request-id")!];
        Assert.Equal("shutting_down", cutRecord.ErrorKind);
        DeliveredMeteringTests.AssertBilled(cutRecord, MeteringKit.Cl100kTokens(Wire.Content(cut)));
        var anthropicRecord = byId[Wire.Header(translated, "x-request-id")!];
        Assert.Equal("shutting_down", anthropicRecord.ErrorKind);
        DeliveredMeteringTests.AssertBilled(anthropicRecord, MeteringKit.Cl100kTokens(MeteringKit.AnthropicText(anthropic)));
        var finishedRecord = byId[Wire.Header(finishing, "x-request-id")!];
        Assert.Null(finishedRecord.ErrorKind);
        Assert.Equal(FakeUsage.Default.CompletionTokens, finishedRecord.CompletionTokens);
        var refusedRecord = byId[Wire.Header(refused, "x-request-id")!];
        Assert.Equal(503, refusedRecord.Status);
        Assert.Equal("shutting_down", refusedRecord.ErrorKind);
        passthrough.Dispose();
        translated.Dispose();
        finishing.Dispose();
    }

    /// <summary>Sends a stream request once the fake has seen <paramref name="upstreamCount"/> - 1 requests, and returns after its headers.</summary>
    private static async Task<HttpResponseMessage> StartStreamAsync(GatewayHarness h, HttpRequestMessage request, FakeOpenAIUpstream fake, int upstreamCount)
    {
        var response = await h.SendAsync(request);
        Assert.Equal(200, (int)response.StatusCode);
        await fake.WaitForRequestsAsync(upstreamCount, GatewayHarness.Bound);
        return response;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var deadline = new CancellationTokenSource(GatewayHarness.Bound);
        while (!condition())
        {
            await Task.Delay(5, deadline.Token);
        }
    }
}
