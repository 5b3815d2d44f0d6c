using System.Diagnostics;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Switchyard.Tests.TestKit;
using Switchyard.Usage;
using Xunit.Abstractions;

namespace Switchyard.Tests.EndToEnd.Metering;

/// <summary>Runs alone: its memory measurements must not see other tests' allocations.</summary>
[CollectionDefinition(nameof(MemoryBoundCollection), DisableParallelization = true)]
public sealed class MemoryBoundCollection;

/// <summary>
/// What an upstream cannot make the gateway do: hold an SSE event that never ends, translate a whole answer of
/// any size, or relay a 2xx body that is not JSON as a clean answer. Each fails as an upstream fault (fallback
/// applies before the first byte to the client; an error event after it) and is recorded. Memory is measured in
/// this process (gateway and fakes alike) around the request: the peak of the managed heap above the baseline.
/// </summary>
[Collection(nameof(MemoryBoundCollection))]
public sealed class UpstreamBoundsTests(ITestOutputHelper output)
{
    private const string Yaml = GatewayHarness.Preamble + """
        deployments:
          dep-a: { provider: up-a, model: upstream-model-a }
          dep-b: { provider: up-b, model: upstream-model-b }
        models:
          chat:
            deployments: [dep-a]
            fallbacks: [dep-b]
            retry: { max_retries: 1, base_delay: 1ms, max_delay: 50ms }
          solo: { deployments: [dep-a], max_attempts: 1 }
        """;

    /// <summary>The most the managed heap may grow while an endless event is refused: the 1 MiB bound, its pooled doublings, slack.</summary>
    private const long EventHeapBound = 16L << 20;

    /// <summary>The same for a 50 MB whole answer: the 16 MiB bound and its doublings (kept by the array pool), slack.</summary>
    private const long BodyHeapBound = 64L << 20;

    [Fact]
    public async Task PassthroughStream_EndlessEvent_FailsBeforeCommitWithinBoundedMemory()
    {
        await using var h = await GatewayHarness.StartAsync(Yaml);
        h.A.SetDefault(EndlessEvent(firstEvents: 0));

        var (response, body, peak) = await MeasureAsync(h, () => h.PostChatAsync(Wire.ChatJson("solo", stream: true)), r => r.Content.ReadAsStringAsync());

        Assert.Equal(502, (int)response.StatusCode);
        Wire.AssertErrorEnvelope(body, code: "upstream_response_too_large");
        var record = await h.UsageAsync(Wire.Header(response, "x-request-id")!);
        Assert.Equal("response_too_large", record.ErrorKind);
        Report("endless SSE event, passthrough", peak);
        Assert.InRange(peak, long.MinValue, EventHeapBound);
    }

    [Fact]
    public async Task PassthroughStream_EndlessEventBeforeCommit_FallsBack()
    {
        await using var h = await GatewayHarness.StartAsync(Yaml);
        h.A.SetDefault(EndlessEvent(firstEvents: 0));
        h.B.Enqueue(UpstreamBehavior.Text("B answers instead"));

        using var response = await h.PostChatAsync(Wire.ChatJson("chat", stream: true));
        var events = await Wire.ReadSseAsync(response);

        Assert.Equal("B answers instead", Wire.Content(events));
        Assert.Equal("response_too_large", Wire.Header(response, "x-switchyard-fallback-reason"));
    }

    [Fact]
    public async Task PassthroughStream_EndlessEventAfterCommit_EndsWithErrorEvent()
    {
        await using var h = await GatewayHarness.StartAsync(Yaml);
        h.A.SetDefault(EndlessEvent(firstEvents: 2));

        var (response, events, peak) = await MeasureAsync(h, () => h.PostChatAsync(Wire.ChatJson("solo", stream: true)), Wire.ReadSseAsync);

        Assert.Equal("first words ", Wire.Content(events));
        Wire.AssertErrorEnvelope(events[^1].Data, code: "upstream_event_too_large");
        Assert.DoesNotContain(events, e => e.IsDone);
        var record = await h.UsageAsync(Wire.Header(response, "x-request-id")!);
        Assert.Equal("response_too_large", record.ErrorKind);
        DeliveredMeteringTests.AssertBilled(record, MeteringKit.Cl100kTokens("first words "));
        Report("endless SSE event after commit, passthrough", peak);
        Assert.InRange(peak, long.MinValue, EventHeapBound);
    }

    [Fact]
    public async Task TranslatedStream_EndlessEvent_FailsWithinBoundedMemory()
    {
        await using var h = await GatewayHarness.StartAsync(Yaml);
        h.A.SetDefault(EndlessEvent(firstEvents: 0));

        var (response, _, peak) = await MeasureAsync(h, () => h.SendAsync(MeteringKit.PostMessages(h, MeteringKit.MessagesJson("solo", stream: true))),
            r => r.Content.ReadAsStringAsync());

        Assert.Equal(502, (int)response.StatusCode);
        var record = await h.UsageAsync(Wire.Header(response, "x-request-id")!);
        Assert.Equal("response_too_large", record.ErrorKind);
        Report("endless SSE event, translated", peak);
        Assert.InRange(peak, long.MinValue, EventHeapBound);
    }

    [Fact]
    public async Task TranslatedWhole_50MBAnswer_Is502WithinBoundedMemory()
    {
        await using var h = await GatewayHarness.StartAsync(Yaml);
        h.A.SetDefault(HugeAnswer(50L << 20));

        var (response, body, peak) = await MeasureAsync(h, () => h.SendAsync(MeteringKit.PostMessages(h, MeteringKit.MessagesJson("solo", stream: false))),
            r => r.Content.ReadAsStringAsync());

        Assert.Equal(502, (int)response.StatusCode);
        Assert.Contains("larger than 16777216 bytes", body);
        var record = await h.UsageAsync(Wire.Header(response, "x-request-id")!);
        Assert.Equal("response_too_large", record.ErrorKind);
        Assert.Equal(502, record.Status);
        Report("50 MB translated whole answer", peak);
        Assert.InRange(peak, long.MinValue, BodyHeapBound);
    }

    [Fact]
    public async Task PassthroughWhole_InvalidJson_FallsBack()
    {
        await using var h = await GatewayHarness.StartAsync(Yaml);
        h.A.SetDefault(NotJson());
        h.B.Enqueue(UpstreamBehavior.Text("B answers in JSON"));

        using var response = await h.PostChatAsync(Wire.ChatJson("chat"));

        Assert.Equal(200, (int)response.StatusCode);
        Assert.Contains("B answers in JSON", await response.Content.ReadAsStringAsync());
        Assert.Equal("invalid_response", Wire.Header(response, "x-switchyard-fallback-reason"));
        Assert.Equal(1, h.A.RequestCount); // switched at once: the same call would return the same page
        var record = await h.UsageAsync(Wire.Header(response, "x-request-id")!);
        Assert.Equal("invalid_response", record.FallbackReason);
        Assert.Equal("dep-b", record.FinalDeployment);
    }

    [Fact]
    public async Task PassthroughWhole_InvalidJsonAlone_Is502InvalidResponse()
    {
        await using var h = await GatewayHarness.StartAsync(Yaml);
        h.A.SetDefault(NotJson());

        using var response = await h.PostChatAsync(Wire.ChatJson("solo"));

        await Wire.AssertOpenAIErrorAsync(response, 502, code: "invalid_response");
        var record = await h.UsageAsync(Wire.Header(response, "x-request-id")!);
        Assert.Equal("invalid_response", record.ErrorKind);
        Assert.Equal(502, record.Status);
        Assert.Equal(0, record.CompletionTokens);
    }

    [Fact]
    public async Task TranslatedWhole_InvalidJsonAlone_Is502InvalidResponse()
    {
        await using var h = await GatewayHarness.StartAsync(Yaml);
        h.A.SetDefault(NotJson());

        using var response = await h.SendAsync(MeteringKit.PostMessages(h, MeteringKit.MessagesJson("solo", stream: false)));

        Assert.Equal(502, (int)response.StatusCode);
        var record = await h.UsageAsync(Wire.Header(response, "x-request-id")!);
        Assert.Equal("invalid_response", record.ErrorKind);
    }

    /// <summary>
    /// Sends the request and reads the answer with <paramref name="read"/>, sampling the managed heap meanwhile; the
    /// response, and the peak above the baseline (a full collection first, so the baseline holds only live data).
    /// </summary>
    private static async Task<(HttpResponseMessage Response, T Result, long Peak)> MeasureAsync<T>(GatewayHarness h, Func<Task<HttpResponseMessage>> send,
        Func<HttpResponseMessage, Task<T>> read)
    {
        await h.Gateway.Services.GetRequiredService<TokenCounter>().Warm(); // loaded once per process, in the background at start: not this request's
        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        var peak = 0L;
        using var stop = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                peak = Math.Max(peak, GC.GetTotalMemory(false) - baseline);
                await Task.Delay(2, CancellationToken.None);
            }
        });
        var response = await send();
        var result = await read(response);
        peak = Math.Max(peak, GC.GetTotalMemory(false) - baseline);
        await stop.CancelAsync();
        await sampler;
        return (response, result, peak);
    }

    private void Report(string what, long peak) =>
        output.WriteLine($"{what}: managed heap peak +{peak / (1024.0 * 1024):0.0} MiB; working set {Process.GetCurrentProcess().WorkingSet64 / (1024.0 * 1024):0} MiB");

    /// <summary>
    /// <paramref name="firstEvents"/> ordinary events (a role delta, then "first words "), then <c>data: xxxx...</c> that never ends
    /// (64 MiB at most, so a gateway without the bound fails the test rather than the machine).
    /// </summary>
    private static RawBehavior EndlessEvent(int firstEvents) => UpstreamBehavior.Raw(async (http, _) =>
    {
        await SseWriter.BeginAsync(http.Response, http.RequestAborted);
        const string head = "\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\"";
        string[] first =
        [
            "{" + head + ",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}",
            "{" + head + ",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"first words \"},\"finish_reason\":null}]}",
        ];
        foreach (var data in first.Take(firstEvents))
        {
            await SseWriter.WriteDataAsync(http.Response, data, http.RequestAborted);
        }

        await WriteEndlessAsync(http, "data: "u8.ToArray(), 64L << 20);
    });

    /// <summary>A 200 chat.completion whose content is <paramref name="size"/> bytes of text, streamed (no Content-Length).</summary>
    private static RawBehavior HugeAnswer(long size) => UpstreamBehavior.Raw(async (http, _) =>
    {
        http.Response.StatusCode = 200;
        http.Response.ContentType = "application/json";
        var prefix = Encoding.UTF8.GetBytes(
            """{"id":"c1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":" """.TrimEnd());
        await WriteEndlessAsync(http, prefix, size);
        await http.Response.WriteAsync("\"},\"finish_reason\":\"stop\"}]}", http.RequestAborted);
    });

    private static async Task WriteEndlessAsync(HttpContext http, byte[] prefix, long size)
    {
        await http.Response.Body.WriteAsync(prefix, http.RequestAborted);
        var chunk = new byte[64 * 1024];
        Array.Fill(chunk, (byte)'x');
        for (long sent = 0; sent < size && !http.RequestAborted.IsCancellationRequested; sent += chunk.Length)
        {
            await http.Response.Body.WriteAsync(chunk, http.RequestAborted);
        }
    }

    /// <summary>A 200 that claims JSON and is an HTML page (a proxy's, a wrong base URL's).</summary>
    private static RawBehavior NotJson() => UpstreamBehavior.Raw(async (http, _) =>
    {
        http.Response.StatusCode = 200;
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync("<html><body>Service temporarily rerouted</body></html>");
    });
}
