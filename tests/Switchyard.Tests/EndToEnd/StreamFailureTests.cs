using System.Text;
using Microsoft.AspNetCore.Http;
using OpenAI.Chat;
using Switchyard.Tests.TestKit;

namespace Switchyard.Tests.EndToEnd;

/// <summary>
/// Streams that go wrong: before the commit point (first event) they fall back; after it they end with an
/// OpenAI error event and no <c>[DONE]</c>. Timeout tests assert what happened, never how long it took.
/// </summary>
public sealed class StreamFailureTests
{
    private const string StreamYaml = GatewayHarness.Preamble + """
        deployments:
          dep-a: { provider: up-a, model: upstream-model-a }
          dep-b: { provider: up-b, model: upstream-model-b }
          dep-idle: { provider: up-a, model: upstream-model-a, timeouts: { idle: 300ms } }
          dep-slow: { provider: up-a, model: upstream-model-a, timeouts: { first_byte: 300ms } }
        models:
          chat:
            deployments: [dep-a]
            fallbacks: [dep-b]
            retry: { max_retries: 1, base_delay: 1ms, max_delay: 50ms }
          idle:
            deployments: [dep-idle]
            fallbacks: [dep-b]
            retry: { max_retries: 1, base_delay: 1ms, max_delay: 50ms }
          slow:
            deployments: [dep-slow]
            fallbacks: [dep-b]
            retry: { max_retries: 1, base_delay: 1ms, max_delay: 50ms }
        """;

    [Fact]
    public async Task PostChatStream_CutBeforeFirstEvent_FallsBackToCleanStream()
    {
        await using var h = await GatewayHarness.StartAsync(StreamYaml);
        h.A.SetDefault(UpstreamBehavior.Cut(0));
        h.B.Enqueue(UpstreamBehavior.Text("clean answer from B", chunks: 4));

        using var response = await h.PostChatAsync(Wire.ChatJson("chat", stream: true));
        var events = await Wire.ReadSseAsync(response);

        Assert.Equal("clean answer from B", Wire.Content(events));
        Assert.DoesNotContain(events, e => e.IsError);
        Assert.True(events[^1].IsDone);
        Assert.Single(events, e => e.IsDone);
        Assert.Equal("dep-b", Wire.Header(response, "x-switchyard-deployment"));
        Assert.Equal("stream_cut", Wire.Header(response, "x-switchyard-fallback-reason"));
        Assert.Equal(2, h.A.RequestCount);
        var fallback = Assert.Single(h.B.Requests);
        Assert.Equal("upstream-model-b", fallback.Model); // the body was rewritten again for the next deployment
        Assert.True(fallback.IncludeUsage);
        var record = await h.UsageAsync(Wire.Header(response, "x-request-id")!);
        Assert.Equal("dep-b", record.FinalDeployment);
        Assert.Equal("stream_cut", record.FallbackReason);
        Assert.Null(record.ErrorKind);
    }

    [Fact]
    public async Task CompleteChatStreaming_PrimaryCutBeforeFirstEvent_SdkSeesSecondaryText()
    {
        await using var h = await GatewayHarness.StartAsync(StreamYaml);
        h.A.SetDefault(UpstreamBehavior.Cut(0));
        h.B.Enqueue(UpstreamBehavior.Text("B streamed this 🚀", chunks: 5));

        var text = new StringBuilder();
        await foreach (var update in h.Chat("chat").CompleteChatStreamingAsync([new UserChatMessage("hi")]))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }
        }

        Assert.Equal("B streamed this 🚀", text.ToString());
    }

    [Fact]
    public async Task PostChatStream_CutAfterEvents_RelaysThemThenErrorEventWithoutDone()
    {
        await using var h = await GatewayHarness.StartAsync(StreamYaml);
        h.A.Enqueue(UpstreamBehavior.Cut(3, UpstreamBehavior.TextPieces("first ", "second ", "third")));

        using var response = await h.PostChatAsync(Wire.ChatJson("chat", stream: true));
        var events = await Wire.ReadSseAsync(response);

        Assert.Equal(4, events.Count); // role delta, "first ", "second ", then the gateway's error event
        Assert.Equal("first second ", Wire.Content(events));
        Assert.All(events.Take(3), e => Assert.False(e.IsError));
        Assert.True(events[3].IsError);
        Wire.AssertErrorEnvelope(events[3].Data, code: "upstream_stream_cut", type: "server_error");
        Assert.DoesNotContain(events, e => e.IsDone);
        Assert.Equal(0, h.B.RequestCount); // committed: no fallback after the first event
        var record = await h.UsageAsync(Wire.Header(response, "x-request-id")!);
        Assert.Equal(200, record.Status);
        Assert.Equal("stream_cut", record.ErrorKind);
        Assert.Equal("dep-a", record.FinalDeployment);
        Assert.Equal(1, record.Attempts);
    }

    [Fact]
    public async Task PostChatStream_InStreamErrorEvent_RelayedOnceWithoutDone()
    {
        await using var h = await GatewayHarness.StartAsync(StreamYaml);
        h.A.Enqueue(UpstreamBehavior.StreamError(2, message: "The upstream model crashed mid-answer.", code: "model_crashed"));

        using var response = await h.PostChatAsync(Wire.ChatJson("chat", stream: true));
        var events = await Wire.ReadSseAsync(response);

        Assert.Equal(3, events.Count);
        var error = Assert.Single(events, e => e.IsError);
        Assert.Same(events[2], error);
        var envelope = Wire.AssertErrorEnvelope(error.Data, code: "model_crashed", type: "server_error");
        Assert.Equal("The upstream model crashed mid-answer.", Wire.StringOf(envelope["message"]));
        Assert.DoesNotContain(events, e => e.IsDone);
        Assert.Equal(0, h.B.RequestCount);
        var record = await h.UsageAsync(Wire.Header(response, "x-request-id")!);
        Assert.Equal("stream_cut", record.ErrorKind);
    }

    [Fact]
    public async Task PostChatStream_ErrorEventBeforeAnyContent_FallsBack()
    {
        await using var h = await GatewayHarness.StartAsync(StreamYaml);
        h.A.SetDefault(UpstreamBehavior.StreamError(0));
        h.B.Enqueue(UpstreamBehavior.Text("B after A's error event"));

        using var response = await h.PostChatAsync(Wire.ChatJson("chat", stream: true));
        var events = await Wire.ReadSseAsync(response);

        Assert.Equal("B after A's error event", Wire.Content(events));
        Assert.DoesNotContain(events, e => e.IsError);
        Assert.True(events[^1].IsDone);
        Assert.Equal("dep-b", Wire.Header(response, "x-switchyard-deployment"));
    }

    [Fact]
    public async Task PostChatStream_KeepAliveCommentThenErrorEvent_FallsBack()
    {
        // OpenRouter and others send SSE comments (": OPENROUTER PROCESSING") before the first token. A comment is
        // not an event (WHATWG SSE), so it must not be the commit point: an error right after it should still fall back.
        await using var h = await GatewayHarness.StartAsync(StreamYaml);
        h.A.SetDefault(UpstreamBehavior.Raw(async (http, _) =>
        {
            http.Response.StatusCode = 200;
            http.Response.ContentType = "text/event-stream";
            await http.Response.WriteAsync(": PROCESSING\n\n");
            await http.Response.Body.FlushAsync();
            await http.Response.WriteAsync("data: {\"error\":{\"message\":\"overloaded\",\"type\":\"server_error\",\"param\":null,\"code\":null}}\n\n");
        }));
        h.B.Enqueue(UpstreamBehavior.Text("B after A's comment and error"));

        using var response = await h.PostChatAsync(Wire.ChatJson("chat", stream: true));
        var events = await Wire.ReadSseAsync(response);

        Assert.DoesNotContain(events, e => e.IsError);
        Assert.Equal("B after A's comment and error", Wire.Content(events));
        Assert.True(events[^1].IsDone);
        Assert.Equal("dep-b", Wire.Header(response, "x-switchyard-deployment"));
    }

    [Fact]
    public async Task PostChatStream_StalledAfterEvents_IdleTimeoutEndsWithErrorEvent()
    {
        await using var h = await GatewayHarness.StartAsync(StreamYaml);

        // Two events in one write (so no gap between them can ever look like a stall), then silence until aborted.
        h.A.Enqueue(UpstreamBehavior.Raw(async (http, _) =>
        {
            const string head = "\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\"";
            await SseWriter.BeginAsync(http.Response, http.RequestAborted);
            await http.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(
                "data: {" + head + ",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n"
                + "data: {" + head + ",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"one \"},\"finish_reason\":null}]}\n\n"));
            await http.Response.Body.FlushAsync();
            await Task.Delay(Timeout.InfiniteTimeSpan, http.RequestAborted);
        }));

        using var response = await h.PostChatAsync(Wire.ChatJson("idle", stream: true));
        var events = await Wire.ReadSseAsync(response);

        Assert.Equal(3, events.Count);
        Assert.Equal("one ", Wire.Content(events));
        Assert.True(events[2].IsError);
        Wire.AssertErrorEnvelope(events[2].Data, code: "upstream_timeout", type: "server_error");
        Assert.DoesNotContain(events, e => e.IsDone);
        await h.A.WaitForAbortAsync(GatewayHarness.Bound); // the stalled upstream request was abandoned
        Assert.Equal(0, h.B.RequestCount);
        var record = await h.UsageAsync(Wire.Header(response, "x-request-id")!);
        Assert.Equal("timeout", record.ErrorKind);
        Assert.Equal(200, record.Status);
    }

    [Fact]
    public async Task PostChatStream_FirstByteTimeout_FallsBack()
    {
        await using var h = await GatewayHarness.StartAsync(StreamYaml);
        h.A.SetDefault(UpstreamBehavior.Delay(TimeSpan.FromMinutes(1)));
        h.B.Enqueue(UpstreamBehavior.Text("B was faster"));

        using var response = await h.PostChatAsync(Wire.ChatJson("slow", stream: true));
        var events = await Wire.ReadSseAsync(response);

        Assert.Equal("B was faster", Wire.Content(events));
        Assert.True(events[^1].IsDone);
        Assert.Equal("dep-b", Wire.Header(response, "x-switchyard-deployment"));
        Assert.Equal("timeout", Wire.Header(response, "x-switchyard-fallback-reason"));
        await h.A.WaitForAbortAsync(GatewayHarness.Bound, count: 2); // both timed-out attempts were cancelled upstream
    }

    [Fact]
    public async Task PostChat_NonStreamFirstByteTimeout_FallsBack()
    {
        await using var h = await GatewayHarness.StartAsync(StreamYaml);
        h.A.SetDefault(UpstreamBehavior.Delay(TimeSpan.FromMinutes(1)));
        h.B.Enqueue(UpstreamBehavior.Text("B was faster"));

        using var response = await h.PostChatAsync(Wire.ChatJson("slow"));
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(200, (int)response.StatusCode);
        Assert.Contains("B was faster", body);
        Assert.Equal("timeout", Wire.Header(response, "x-switchyard-fallback-reason"));
    }

    [Fact]
    public async Task PostChatStream_ClientDisconnectsMidStream_CancelsUpstreamRequest()
    {
        await using var h = await GatewayHarness.StartAsync(StreamYaml);
        h.A.Enqueue(UpstreamBehavior.Stall(2));

        // No response draining: closing the response closes the connection at once, as a client process exiting would.
        using var handler = new SocketsHttpHandler { MaxResponseDrainSize = 0, ResponseDrainTimeout = TimeSpan.Zero };
        using var client = new HttpClient(handler) { Timeout = GatewayHarness.Bound };
        var response = await client.SendAsync(h.Post("/v1/chat/completions", Wire.ChatJson("chat", stream: true)), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(200, (int)response.StatusCode);
        var stream = await response.Content.ReadAsStreamAsync();
        var seen = 0;
        await foreach (var ev in SseReader.ReadEventsAsync(stream))
        {
            Assert.False(ev.IsError);
            if (++seen == 2)
            {
                break;
            }
        }

        var requestId = Wire.Header(response, "x-request-id")!;
        response.Dispose();

        await h.A.WaitForAbortAsync(GatewayHarness.Bound);
        Assert.True(Assert.Single(h.A.Requests).WasAborted);
        var record = await h.UsageAsync(requestId);
        Assert.Equal("client_cancelled", record.ErrorKind);
        Assert.Equal(0, h.B.RequestCount);
    }

    [Fact]
    public async Task PostChatStream_HeadersButNoEventWithinFirstByte_FallsBack()
    {
        await using var h = await GatewayHarness.StartAsync(StreamYaml);
        h.A.SetDefault(UpstreamBehavior.Stall(0)); // 200 + SSE headers, then silence
        h.B.Enqueue(UpstreamBehavior.Text("B streams instead"));

        using var response = await h.PostChatAsync(Wire.ChatJson("slow", stream: true));
        var events = await Wire.ReadSseAsync(response);

        Assert.Equal("B streams instead", Wire.Content(events));
        Assert.DoesNotContain(events, e => e.IsError);
        Assert.Equal("timeout", Wire.Header(response, "x-switchyard-fallback-reason"));
        await h.A.WaitForAbortAsync(GatewayHarness.Bound, count: 2);
    }

    [Fact]
    public async Task PostChat_NonStreamBodyStalls_IdleTimeoutFallsBack()
    {
        await using var h = await GatewayHarness.StartAsync(StreamYaml);
        h.A.SetDefault(UpstreamBehavior.Stall(0)); // headers with Content-Length, then no body
        h.B.Enqueue(UpstreamBehavior.Text("B answers whole"));

        using var response = await h.PostChatAsync(Wire.ChatJson("idle"));
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(200, (int)response.StatusCode);
        Assert.Contains("B answers whole", body);
        Assert.Equal("timeout", Wire.Header(response, "x-switchyard-fallback-reason"));
    }

    [Fact]
    public async Task PostChat_ClientCancelsWhileUpstreamThinks_CancelsUpstreamRequest()
    {
        await using var h = await GatewayHarness.StartAsync(StreamYaml);
        h.A.Enqueue(UpstreamBehavior.Delay(TimeSpan.FromMinutes(1)));

        using var cancel = new CancellationTokenSource();
        var send = h.Http.SendAsync(h.Post("/v1/chat/completions", Wire.ChatJson("chat")), cancel.Token);
        await h.A.WaitForRequestsAsync(1, GatewayHarness.Bound);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => send);

        await h.A.WaitForAbortAsync(GatewayHarness.Bound);
        var record = await h.SingleUsageAsync();
        Assert.Equal("client_cancelled", record.ErrorKind);
        Assert.Equal(1, record.Attempts);
        Assert.Equal(0, h.B.RequestCount);
    }

    [Fact]
    public async Task CompleteChatStreaming_CutAfterEvents_SdkGetsPartialTextAndNoFinishReason()
    {
        // What an OpenAI .NET SDK user sees of a broken stream: the SDK (2.15) does not throw on the error event,
        // so the only signal is the missing finish reason. Pinned here so a change on either side is noticed.
        await using var h = await GatewayHarness.StartAsync(StreamYaml);
        h.A.Enqueue(UpstreamBehavior.Cut(3, UpstreamBehavior.TextPieces("first ", "second ", "third")));

        var text = new StringBuilder();
        ChatFinishReason? finish = null;
        await foreach (var update in h.Chat("chat").CompleteChatStreamingAsync([new UserChatMessage("hi")]))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }

            finish ??= update.FinishReason;
        }

        Assert.Equal("first second ", text.ToString());
        Assert.Null(finish);
    }
}
