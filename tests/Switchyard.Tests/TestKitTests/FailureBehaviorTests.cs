using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;
using Switchyard.Tests.TestKit;

namespace Switchyard.Tests.TestKitTests;

/// <summary>Cut streams, stalls, delays, in-stream errors, raw handlers and abort observation.</summary>
public sealed class FailureBehaviorTests
{
    [Fact]
    public async Task CutStream_DeliversNChunksThenTheConnectionDiesWithoutDone()
    {
        await using var fake = await FakeOpenAIUpstream.StartAsync();
        fake.Enqueue(UpstreamBehavior.Cut(chunksBeforeCut: 2));
        using var client = FakeHttp.NewClient();

        using var response = await FakeHttp.PostChatAsync(client, fake, FakeHttp.ChatBody(stream: true), HttpCompletionOption.ResponseHeadersRead);
        await using var body = await response.Content.ReadAsStreamAsync();
        var events = new List<SseEvent>();
        await Assert.ThrowsAnyAsync<IOException>(async () =>
        {
            await foreach (var e in SseReader.ReadEventsAsync(body))
            {
                events.Add(e);
            }
        });

        Assert.Equal(2, events.Count);
        Assert.DoesNotContain(events, e => e.IsDone);
        Assert.Equal(0, fake.AbortedCount); // the fake cut it; that is not a client abort
    }

    [Fact]
    public async Task CutNonStream_TruncatesTheJsonBody()
    {
        await using var fake = await FakeOpenAIUpstream.StartAsync();
        fake.Enqueue(UpstreamBehavior.Cut(0));
        using var client = FakeHttp.NewClient();

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => FakeHttp.PostChatAsync(client, fake, FakeHttp.ChatBody()));

        Assert.IsAssignableFrom<IOException>(error.InnerException);
    }

    [Fact]
    public async Task InStreamError_SendsChunksThenAnErrorEventAndEndsWithoutDone()
    {
        await using var fake = await FakeOpenAIUpstream.StartAsync();
        fake.Enqueue(UpstreamBehavior.StreamError(2, "boom", "server_error", code: "overloaded"));
        using var client = FakeHttp.NewClient();

        using var response = await FakeHttp.PostChatAsync(client, fake, FakeHttp.ChatBody(stream: true));
        var events = SseReader.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal(3, events.Count);
        Assert.DoesNotContain(events, e => e.IsDone);
        Assert.True(events[2].IsError);
        Assert.Equal("boom", (string)events[2].Json!["error"]!["message"]!);
        Assert.Equal("overloaded", (string)events[2].Json!["error"]!["code"]!);
        Assert.Equal("chat.completion.chunk", (string)events[1].Json!["object"]!);
    }

    [Fact]
    public async Task Stall_ClientAbortIsObserved()
    {
        await using var fake = await FakeOpenAIUpstream.StartAsync();
        fake.Enqueue(UpstreamBehavior.Stall(chunksBeforeStall: 1));
        using var client = FakeHttp.NewClient();
        using var giveUp = new CancellationTokenSource();

        var response = await FakeHttp.PostChatAsync(client, fake, FakeHttp.ChatBody(stream: true), HttpCompletionOption.ResponseHeadersRead, giveUp.Token);
        var body = await response.Content.ReadAsStreamAsync(giveUp.Token);
        await using (var events = SseReader.ReadEventsAsync(body, giveUp.Token).GetAsyncEnumerator())
        {
            Assert.True(await events.MoveNextAsync());
            Assert.Equal("assistant", (string)events.Current.Json!["choices"]![0]!["delta"]!["role"]!);
            Assert.Equal(0, fake.AbortedCount);

            // What a gateway does when its caller disconnects or an idle timeout fires: cancel and drop the connection.
            await giveUp.CancelAsync();
            response.Dispose();
        }

        await fake.WaitForAbortAsync(FakeHttp.Bound);
        Assert.Equal(1, fake.AbortedCount);
        Assert.True(fake.LastRequest!.WasAborted);
    }

    [Fact]
    public async Task Stall_ReleaseStallsSendsTheRestOfTheStream()
    {
        await using var fake = await FakeOpenAIUpstream.StartAsync();
        fake.Enqueue(UpstreamBehavior.Stall(chunksBeforeStall: 2) with { Source = UpstreamBehavior.Text("slow but fine") });
        using var client = FakeHttp.NewClient();

        using var response = await FakeHttp.PostChatAsync(client, fake, FakeHttp.ChatBody(stream: true), HttpCompletionOption.ResponseHeadersRead);
        var received = new List<SseEvent>();
        await foreach (var e in SseReader.ReadEventsAsync(await response.Content.ReadAsStreamAsync()))
        {
            received.Add(e);
            if (received.Count == 2)
            {
                fake.ReleaseStalls();
            }
        }

        Assert.True(received[^1].IsDone);
        Assert.Equal("slow but fine", FakeHttp.ContentOf(FakeHttp.Chunks(received)));
        Assert.Equal(0, fake.AbortedCount);
    }

    [Fact]
    public async Task Stall_HeadersOnlyUntilTheReleaseTokenFires_NonStream()
    {
        await using var fake = await FakeOpenAIUpstream.StartAsync();
        using var release = new CancellationTokenSource();
        fake.Enqueue(UpstreamBehavior.Stall(release: release.Token) with { Source = UpstreamBehavior.Text("finally") });
        using var client = FakeHttp.NewClient();

        using var response = await FakeHttp.PostChatAsync(client, fake, FakeHttp.ChatBody(), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(200, (int)response.StatusCode); // headers arrived while the body is stalled
        var bodyTask = response.Content.ReadAsStringAsync();
        Assert.False(bodyTask.IsCompleted);

        await release.CancelAsync();
        var json = JsonNode.Parse(await bodyTask.WaitAsync(FakeHttp.Bound))!;

        Assert.Equal("finally", (string)json["choices"]![0]!["message"]!["content"]!);
    }

    [Fact]
    public async Task Delay_RunsOnTheFakeClock()
    {
        var start = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var time = new FakeTimeProvider(start);
        await using var fake = await FakeOpenAIUpstream.StartAsync(time);
        fake.Enqueue(UpstreamBehavior.Delay(TimeSpan.FromMinutes(10), UpstreamBehavior.Text("late")));
        using var client = FakeHttp.NewClient();

        var responseTask = FakeHttp.PostChatAsync(client, fake, FakeHttp.ChatBody());
        await fake.WaitForRequestsAsync(1, FakeHttp.Bound);
        Assert.False(responseTask.IsCompleted);

        // The delay's timer is armed just after the request is recorded, so keep advancing (bounded) until it fires.
        using var bound = new CancellationTokenSource(FakeHttp.Bound);
        while (!responseTask.IsCompleted && !bound.IsCancellationRequested)
        {
            time.Advance(TimeSpan.FromMinutes(10));
            await Task.WhenAny(responseTask, Task.Delay(10));
        }

        using var response = await responseTask;
        var json = await FakeHttp.ReadJsonAsync(response);
        Assert.Equal("late", (string)json["choices"]![0]!["message"]!["content"]!);
        Assert.Equal(start, fake.LastRequest!.Timestamp);
        Assert.True((long)json["created"]! >= start.AddMinutes(10).ToUnixTimeSeconds());
    }

    [Fact]
    public async Task Delay_ClientGivingUpIsCountedAsAbort()
    {
        await using var fake = await FakeOpenAIUpstream.StartAsync();
        fake.Enqueue(UpstreamBehavior.Delay(TimeSpan.FromMinutes(5)));
        using var client = FakeHttp.NewClient();
        using var giveUp = new CancellationTokenSource();

        var responseTask = FakeHttp.PostChatAsync(client, fake, FakeHttp.ChatBody(), cancellationToken: giveUp.Token);
        await fake.WaitForRequestsAsync(1, FakeHttp.Bound);
        await giveUp.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => responseTask);
        await fake.WaitForAbortAsync(FakeHttp.Bound);
        Assert.True(fake.LastRequest!.WasAborted);
    }

    [Fact]
    public async Task Raw_OwnsTheResponse_AndHandlerFailuresAreCollected()
    {
        await using var fake = await FakeOpenAIUpstream.StartAsync();
        fake.Enqueue(
            UpstreamBehavior.Raw(async (http, request) =>
            {
                http.Response.StatusCode = 502;
                http.Response.ContentType = "text/html";
                await http.Response.WriteAsync($"<html>bad gateway for {request.Model}</html>");
            }),
            UpstreamBehavior.Raw((_, _) => throw new InvalidOperationException("script bug")));
        using var client = FakeHttp.NewClient();

        using var first = await FakeHttp.PostChatAsync(client, fake, FakeHttp.ChatBody(model: "m"));
        using var second = await FakeHttp.PostChatAsync(client, fake, FakeHttp.ChatBody());

        Assert.Equal(502, (int)first.StatusCode);
        Assert.Equal("<html>bad gateway for m</html>", await first.Content.ReadAsStringAsync());
        Assert.Equal(500, (int)second.StatusCode);
        Assert.Equal("script bug", Assert.Single(fake.HandlerErrors).Message);
    }

    [Fact]
    public async Task WaitForRequests_CountsConcurrentRequestsAndTimesOutWithAClearError()
    {
        await using var fake = await FakeOpenAIUpstream.StartAsync();
        using var client = FakeHttp.NewClient();

        var calls = Enumerable.Range(0, 8).Select(_ => FakeHttp.PostChatAsync(client, fake, FakeHttp.ChatBody())).ToArray();
        var requests = await fake.WaitForRequestsAsync(8, FakeHttp.Bound);
        foreach (var response in await Task.WhenAll(calls))
        {
            response.Dispose();
        }

        Assert.Equal(Enumerable.Range(1, 8), requests.Select(r => r.Sequence));
        var timeout = await Assert.ThrowsAsync<TimeoutException>(() => fake.WaitForRequestsAsync(9, TimeSpan.FromMilliseconds(50)));
        Assert.Contains("expected 9 request(s), got 8", timeout.Message);
    }

    [Fact]
    public async Task Reset_ClearsScriptsAndObservations()
    {
        await using var fake = await FakeOpenAIUpstream.StartAsync();
        using var client = FakeHttp.NewClient();
        fake.SetDefault(UpstreamBehavior.ServerError());
        (await FakeHttp.PostChatAsync(client, fake, FakeHttp.ChatBody())).Dispose();
        fake.Enqueue(UpstreamBehavior.ServerError());

        fake.Reset();
        using var response = await FakeHttp.PostChatAsync(client, fake, FakeHttp.ChatBody());

        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal(1, Assert.Single(fake.Requests).Sequence);
        Assert.Equal(0, fake.PendingBehaviors());
    }
}
