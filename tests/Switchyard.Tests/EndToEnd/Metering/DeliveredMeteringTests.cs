using System.Text;
using Microsoft.AspNetCore.Http;
using Switchyard.Providers.OpenAI;
using Switchyard.Tests.TestKit;

namespace Switchyard.Tests.EndToEnd.Metering;

/// <summary>
/// Streams and answers that end without the upstream's usage (cut, stalled, the client gone, a server that omits
/// usage) are billed for what was delivered: the completion is at least the tokens of the text the client got,
/// counted here with the same tokenizer, and the prompt is counted from the request. Passthrough (OpenAI client,
/// OpenAI upstream) and translated (Anthropic client, OpenAI upstream) alike.
/// </summary>
public sealed class DeliveredMeteringTests
{
    private const string Yaml = GatewayHarness.Preamble + """
        deployments:
          dep-4o: { provider: up-a, model: gpt-4o-mini }
          dep-a: { provider: up-a, model: upstream-model-a }
          dep-idle: { provider: up-a, model: gpt-4o-mini, timeouts: { idle: 300ms } }
          dep-idle-a: { provider: up-a, model: upstream-model-a, timeouts: { idle: 300ms } }
        models:
          mini: { deployments: [dep-4o], max_attempts: 1 }
          solo: { deployments: [dep-a], max_attempts: 1 }
          idle: { deployments: [dep-idle], max_attempts: 1 }
          idle-a: { deployments: [dep-idle-a], max_attempts: 1 }
        """;

    private static readonly string[] Pieces = ["The sea ", "is wide ", "and deep ", "under the ", "pale moon ", "tonight, ", "it seems ", "to me."];

    [Fact]
    public async Task PassthroughStream_CutAfterContent_BillsDeliveredTokens()
    {
        await using var h = await GatewayHarness.StartAsync(Yaml);
        h.A.Enqueue(UpstreamBehavior.Cut(4, UpstreamBehavior.TextPieces(Pieces)));

        using var response = await h.PostChatAsync(Wire.ChatJson("mini", stream: true));
        var events = await Wire.ReadSseAsync(response);
        var delivered = Wire.Content(events);

        Assert.Equal("The sea is wide and deep ", delivered);
        Assert.True(events[^1].IsError);
        var record = await h.UsageAsync(Wire.Header(response, "x-request-id")!);
        Assert.Equal("stream_cut", record.ErrorKind);
        AssertBilled(record, MeteringKit.O200kTokens(delivered)); // gpt-4o-mini: o200k
    }

    [Fact]
    public async Task TranslatedStream_CutAfterContent_BillsDeliveredTokens()
    {
        await using var h = await GatewayHarness.StartAsync(Yaml);
        h.A.Enqueue(UpstreamBehavior.Cut(4, UpstreamBehavior.TextPieces(Pieces)));

        using var response = await h.SendAsync(MeteringKit.PostMessages(h, MeteringKit.MessagesJson("solo", stream: true)));
        var events = await Wire.ReadSseAsync(response);
        var delivered = MeteringKit.AnthropicText(events);

        Assert.Equal("The sea is wide and deep ", delivered);
        Assert.Equal("error", events[^1].Event);
        var record = await h.UsageAsync(Wire.Header(response, "x-request-id")!);
        Assert.Equal("stream_cut", record.ErrorKind);
        AssertBilled(record, MeteringKit.Cl100kTokens(delivered)); // a non-OpenAI model name: the cl100k approximation
    }

    [Fact]
    public async Task PassthroughStream_StalledUntilIdleTimeout_BillsDeliveredTokens()
    {
        await using var h = await GatewayHarness.StartAsync(Yaml);
        h.A.Enqueue(UpstreamBehavior.Stall(5) with { Source = UpstreamBehavior.TextPieces(Pieces) });

        using var response = await h.PostChatAsync(Wire.ChatJson("idle", stream: true));
        var events = await Wire.ReadSseAsync(response);
        var delivered = Wire.Content(events);

        Assert.Equal("The sea is wide and deep under the ", delivered);
        Wire.AssertErrorEnvelope(events[^1].Data, code: "upstream_timeout");
        var record = await h.UsageAsync(Wire.Header(response, "x-request-id")!);
        Assert.Equal("timeout", record.ErrorKind);
        AssertBilled(record, MeteringKit.O200kTokens(delivered));
    }

    [Fact]
    public async Task TranslatedStream_StalledUntilIdleTimeout_BillsDeliveredTokens()
    {
        await using var h = await GatewayHarness.StartAsync(Yaml);
        h.A.Enqueue(UpstreamBehavior.Stall(5) with { Source = UpstreamBehavior.TextPieces(Pieces) });

        using var response = await h.SendAsync(MeteringKit.PostMessages(h, MeteringKit.MessagesJson("idle-a", stream: true)));
        var events = await Wire.ReadSseAsync(response);
        var delivered = MeteringKit.AnthropicText(events);

        Assert.Equal("The sea is wide and deep under the ", delivered);
        Assert.Equal("error", events[^1].Event);
        var record = await h.UsageAsync(Wire.Header(response, "x-request-id")!);
        Assert.Equal("timeout", record.ErrorKind);
        AssertBilled(record, MeteringKit.Cl100kTokens(delivered));
    }

    [Fact]
    public async Task PassthroughStream_ClientLeavesAfterSixChunks_BillsWhatItGot()
    {
        await using var h = await GatewayHarness.StartAsync(Yaml);
        h.A.Enqueue(UpstreamBehavior.Stall(7) with { Source = UpstreamBehavior.TextPieces(Pieces) }); // role + 6 pieces, then silence

        var (requestId, seen) = await ReadThenLeaveAsync(h, h.Post("/v1/chat/completions", Wire.ChatJson("mini", stream: true)), 6,
            ev => Wire.Content([ev]));

        await h.A.WaitForAbortAsync(GatewayHarness.Bound);
        var record = await h.UsageAsync(requestId);
        Assert.Equal("client_cancelled", record.ErrorKind);
        Assert.Equal("The sea is wide and deep under the pale moon tonight, ", seen);
        AssertBilled(record, MeteringKit.O200kTokens(seen));
    }

    [Fact]
    public async Task TranslatedStream_ClientLeavesAfterSixChunks_BillsWhatItGot()
    {
        await using var h = await GatewayHarness.StartAsync(Yaml);
        h.A.Enqueue(UpstreamBehavior.Stall(7) with { Source = UpstreamBehavior.TextPieces(Pieces) });

        var (requestId, seen) = await ReadThenLeaveAsync(h, MeteringKit.PostMessages(h, MeteringKit.MessagesJson("solo", stream: true)), 6,
            ev => MeteringKit.AnthropicText([ev]));

        await h.A.WaitForAbortAsync(GatewayHarness.Bound);
        var record = await h.UsageAsync(requestId);
        Assert.Equal("client_cancelled", record.ErrorKind);
        Assert.Equal("The sea is wide and deep under the pale moon tonight, ", seen);
        AssertBilled(record, MeteringKit.Cl100kTokens(seen));
    }

    [Fact]
    public async Task PassthroughStream_ServerOmitsUsage_EstimatedFromTheCompleteAnswer()
    {
        await using var h = await GatewayHarness.StartAsync(Yaml);
        h.A.SetDefault(StreamWithoutUsage(Pieces));

        using var response = await h.PostChatAsync(Wire.ChatJson("mini", stream: true));
        var events = await Wire.ReadSseAsync(response);
        Assert.True(events[^1].IsDone);
        var record = await h.UsageAsync(Wire.Header(response, "x-request-id")!);
        Assert.Null(record.ErrorKind);
        AssertBilled(record, MeteringKit.O200kTokens(string.Concat(Pieces)));

        var (_, probed, _) = await MeteringKit.ProbeAsync(h.Gateway, OpenAIChatFormat.Instance, Operation.ChatCompletions,
            "/v1/chat/completions", Wire.ChatJson("mini", stream: true));
        Assert.Equal("estimated", probed.UsageSource);
        Assert.Equal(record.CompletionTokens, probed.CompletionTokens);
    }

    [Fact]
    public async Task PassthroughWhole_ServerOmitsUsage_EstimatedFromTheAnswer()
    {
        await using var h = await GatewayHarness.StartAsync(Yaml);
        const string answer = "A whole answer from a server that reports no usage at all.";
        h.A.SetDefault(UpstreamBehavior.Raw((http, _) => WriteJsonAsync(http,
            $$"""{"id":"c1","object":"chat.completion","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"{{answer}}"},"finish_reason":"stop"}]}""")));

        using var response = await h.PostChatAsync(Wire.ChatJson("mini"));
        Assert.Contains(answer, await response.Content.ReadAsStringAsync());
        var record = await h.UsageAsync(Wire.Header(response, "x-request-id")!);
        AssertBilled(record, MeteringKit.O200kTokens(answer));

        var (_, probed, _) = await MeteringKit.ProbeAsync(h.Gateway, OpenAIChatFormat.Instance, Operation.ChatCompletions,
            "/v1/chat/completions", Wire.ChatJson("mini"));
        Assert.Equal("estimated", probed.UsageSource);
    }

    [Fact]
    public async Task TranslatedWhole_ServerOmitsUsage_EstimatedFromTheAnswer()
    {
        await using var h = await GatewayHarness.StartAsync(Yaml);
        const string answer = "A translated answer without any usage object.";
        h.A.SetDefault(UpstreamBehavior.Raw((http, _) => WriteJsonAsync(http,
            $$"""{"id":"c1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"{{answer}}"},"finish_reason":"stop"}]}""")));

        using var response = await h.SendAsync(MeteringKit.PostMessages(h, MeteringKit.MessagesJson("solo", stream: false)));
        Assert.Equal(200, (int)response.StatusCode);
        Assert.Contains(answer, await response.Content.ReadAsStringAsync());
        var record = await h.UsageAsync(Wire.Header(response, "x-request-id")!);
        AssertBilled(record, MeteringKit.Cl100kTokens(answer));
    }

    [Fact]
    public async Task PassthroughStream_UpstreamReportsUsage_RecordedAsReported()
    {
        await using var h = await GatewayHarness.StartAsync(Yaml);

        var (_, record, body) = await MeteringKit.ProbeAsync(h.Gateway, OpenAIChatFormat.Instance, Operation.ChatCompletions,
            "/v1/chat/completions", Wire.ChatJson("mini", stream: true));

        Assert.Contains("[DONE]", body);
        Assert.Equal("reported", record.UsageSource);
        Assert.Equal(FakeUsage.Default.PromptTokens, record.PromptTokens);
        Assert.Equal(FakeUsage.Default.CompletionTokens, record.CompletionTokens);
    }

    [Fact]
    public async Task PassthroughStream_Cut_RecordSaysEstimated()
    {
        await using var h = await GatewayHarness.StartAsync(Yaml);
        h.A.Enqueue(UpstreamBehavior.Cut(4, UpstreamBehavior.TextPieces(Pieces)));

        var (_, record, _) = await MeteringKit.ProbeAsync(h.Gateway, OpenAIChatFormat.Instance, Operation.ChatCompletions,
            "/v1/chat/completions", Wire.ChatJson("mini", stream: true));

        Assert.Equal("estimated", record.UsageSource);
        Assert.Equal("stream_cut", record.ErrorKind);
        AssertBilled(record, MeteringKit.O200kTokens("The sea is wide and deep "));
    }

    /// <summary>Prompt counted (never 0), completion at least the delivered text's tokens, total their sum.</summary>
    internal static void AssertBilled(UsageRecord record, int deliveredTokens)
    {
        Assert.True(deliveredTokens > 0);
        Assert.True(record.PromptTokens > 0, $"prompt tokens {record.PromptTokens}");
        Assert.True(record.CompletionTokens >= deliveredTokens, $"completion tokens {record.CompletionTokens} < delivered {deliveredTokens}");
        Assert.Equal(record.PromptTokens + record.CompletionTokens, record.TotalTokens);
        Assert.Equal("estimated", record.UsageSource); // read back from the store: the column is persisted
    }

    /// <summary>Reads <paramref name="count"/> content events, then closes the connection at once (no draining), as a client process exiting would.</summary>
    private static async Task<(string RequestId, string Seen)> ReadThenLeaveAsync(GatewayHarness h, HttpRequestMessage request, int count,
        Func<SseEvent, string> textOf)
    {
        using var handler = new SocketsHttpHandler { MaxResponseDrainSize = 0, ResponseDrainTimeout = TimeSpan.Zero };
        using var client = new HttpClient(handler) { Timeout = GatewayHarness.Bound };
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(200, (int)response.StatusCode);
        var seen = new StringBuilder();
        var pieces = 0;
        await foreach (var ev in SseReader.ReadEventsAsync(await response.Content.ReadAsStreamAsync()))
        {
            if (textOf(ev) is { Length: > 0 } text)
            {
                seen.Append(text);
                if (++pieces == count)
                {
                    break;
                }
            }
        }

        var requestId = Wire.Header(response, "x-request-id")!;
        response.Dispose();
        return (requestId, seen.ToString());
    }

    /// <summary>A complete OpenAI stream ending in <c>[DONE]</c>, with no usage chunk even when asked (some compatible servers).</summary>
    private static RawBehavior StreamWithoutUsage(string[] pieces) => UpstreamBehavior.Raw(async (http, _) =>
    {
        await SseWriter.BeginAsync(http.Response, http.RequestAborted);
        const string head = "\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\"";
        foreach (var piece in pieces)
        {
            await SseWriter.WriteDataAsync(http.Response,
                "{" + head + ",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + piece + "\"},\"finish_reason\":null}]}", http.RequestAborted);
        }

        await SseWriter.WriteDataAsync(http.Response, "{" + head + ",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}", http.RequestAborted);
        await SseWriter.WriteDoneAsync(http.Response, http.RequestAborted);
    });

    private static Task WriteJsonAsync(HttpContext http, string json)
    {
        http.Response.StatusCode = 200;
        http.Response.ContentType = "application/json";
        return http.Response.WriteAsync(json);
    }
}
