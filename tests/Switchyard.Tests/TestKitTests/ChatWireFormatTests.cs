using System.Text.Json.Nodes;
using Switchyard.Tests.TestKit;

namespace Switchyard.Tests.TestKitTests;

/// <summary>The fake's chat-completion answers, checked field by field on the raw wire.</summary>
public sealed class ChatWireFormatTests
{
    [Fact]
    public async Task NonStreamText_HasTheFullChatCompletionShape()
    {
        await using var fake = await FakeOpenAIUpstream.StartAsync();
        fake.Enqueue(UpstreamBehavior.Text("Hi there", usage: new FakeUsage(21, 9) { CachedTokens = 4, ReasoningTokens = 2 }));
        using var client = FakeHttp.NewClient();

        using var response = await FakeHttp.PostChatAsync(client, fake, FakeHttp.ChatBody(model: "gpt-4o-mini"));

        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith("req_", response.Headers.GetValues("x-request-id").Single());
        var json = await FakeHttp.ReadJsonAsync(response);
        Assert.StartsWith("chatcmpl-", (string)json["id"]!);
        Assert.Equal("chat.completion", (string)json["object"]!);
        Assert.True((long)json["created"]! > 1_600_000_000);
        Assert.Equal("gpt-4o-mini", (string)json["model"]!);
        Assert.Equal("default", (string)json["service_tier"]!);
        Assert.StartsWith("fp_", (string)json["system_fingerprint"]!);

        var choice = json["choices"]!.AsArray().Single()!.AsObject();
        Assert.Equal(0, (int)choice["index"]!);
        Assert.Equal("stop", (string)choice["finish_reason"]!);
        AssertNullProperty(choice, "logprobs");
        var message = choice["message"]!.AsObject();
        Assert.Equal("assistant", (string)message["role"]!);
        Assert.Equal("Hi there", (string)message["content"]!);
        AssertNullProperty(message, "refusal");

        var usage = json["usage"]!.AsObject();
        Assert.Equal(21, (int)usage["prompt_tokens"]!);
        Assert.Equal(9, (int)usage["completion_tokens"]!);
        Assert.Equal(30, (int)usage["total_tokens"]!);
        Assert.Equal(4, (int)usage["prompt_tokens_details"]!["cached_tokens"]!);
        Assert.Equal(0, (int)usage["prompt_tokens_details"]!["audio_tokens"]!);
        var completionDetails = usage["completion_tokens_details"]!.AsObject();
        Assert.Equal(2, (int)completionDetails["reasoning_tokens"]!);
        Assert.Equal(0, (int)completionDetails["audio_tokens"]!);
        Assert.Equal(0, (int)completionDetails["accepted_prediction_tokens"]!);
        Assert.Equal(0, (int)completionDetails["rejected_prediction_tokens"]!);
    }

    [Fact]
    public async Task Requests_AreRecordedWithHeadersAndBody()
    {
        await using var fake = await FakeOpenAIUpstream.StartAsync();
        using var client = FakeHttp.NewClient();

        using var response = await FakeHttp.PostChatAsync(client, fake, FakeHttp.ChatBody(stream: true, includeUsage: true, model: "my-model"));
        await response.Content.ReadAsStringAsync();

        var request = Assert.Single(fake.Requests);
        Assert.Equal(1, fake.RequestCount);
        Assert.Equal(1, request.Sequence);
        Assert.Equal("POST", request.Method);
        Assert.Equal("/v1/chat/completions", request.Path);
        Assert.Equal(UpstreamEndpoint.ChatCompletions, request.Endpoint);
        Assert.Equal($"Bearer {FakeHttp.ApiKey}", request.Authorization);
        Assert.Equal(FakeHttp.ApiKey, request.BearerToken);
        Assert.StartsWith("application/json", request.Header("content-type"));
        Assert.Contains("\"my-model\"", request.Body);
        Assert.Equal("Say hello", (string)request.Json!["messages"]![0]!["content"]!);
        Assert.Equal("my-model", request.Model);
        Assert.True(request.IsStream);
        Assert.True(request.IncludeUsage);
        Assert.IsType<TextCompletionBehavior>(request.Behavior);
        Assert.Equal(response.Headers.GetValues("x-request-id").Single(), request.RequestId);
        Assert.False(request.WasAborted);
    }

    [Fact]
    public async Task Stream_WithIncludeUsage_SendsUsageNullOnEveryChunkThenAUsageOnlyChunk()
    {
        await using var fake = await FakeOpenAIUpstream.StartAsync();
        fake.Enqueue(UpstreamBehavior.TextPieces("Hel", "lo ", "wörld 👋") with { Usage = new FakeUsage(7, 3) });
        using var client = FakeHttp.NewClient();

        using var response = await FakeHttp.PostChatAsync(client, fake, FakeHttp.ChatBody(stream: true, includeUsage: true));
        var raw = await response.Content.ReadAsStringAsync();

        Assert.Equal("text/event-stream; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        Assert.DoesNotContain("\r", raw);
        Assert.StartsWith("data: {", raw);
        Assert.EndsWith("\n\ndata: [DONE]\n\n", raw);
        Assert.Contains("wörld 👋", raw); // raw UTF-8 like OpenAI, not \u escapes

        var events = SseReader.Parse(raw);
        Assert.True(events[^1].IsDone);
        var chunks = FakeHttp.Chunks(events);
        Assert.Equal(1 + 3 + 1 + 1, chunks.Count); // role, 3 pieces, finish, usage
        Assert.Single(chunks.Select(c => (string)c["id"]!).Distinct());
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", (string)c["object"]!));

        var role = chunks[0]["choices"]![0]!["delta"]!.AsObject();
        Assert.Equal("assistant", (string)role["role"]!);
        Assert.Equal("", (string)role["content"]!);
        Assert.Equal("Hello wörld 👋", FakeHttp.ContentOf(chunks));

        var finish = chunks[4]["choices"]![0]!.AsObject();
        Assert.Empty(finish["delta"]!.AsObject());
        Assert.Equal("stop", (string)finish["finish_reason"]!);
        Assert.All(chunks.Take(4), c => Assert.Null((string?)c["choices"]![0]!["finish_reason"]));

        Assert.All(chunks.Take(5), c => AssertNullProperty(c, "usage"));
        var last = chunks[^1];
        Assert.Empty(last["choices"]!.AsArray());
        Assert.Equal(7, (int)last["usage"]!["prompt_tokens"]!);
        Assert.Equal(3, (int)last["usage"]!["completion_tokens"]!);
        Assert.Equal(10, (int)last["usage"]!["total_tokens"]!);
        Assert.NotNull(last["usage"]!["completion_tokens_details"]);
    }

    [Fact]
    public async Task Stream_WithoutIncludeUsage_HasNoUsageAnywhere()
    {
        await using var fake = await FakeOpenAIUpstream.StartAsync();
        fake.Enqueue(UpstreamBehavior.Text("one two three four", chunks: 4));
        using var client = FakeHttp.NewClient();

        using var response = await FakeHttp.PostChatAsync(client, fake, FakeHttp.ChatBody(stream: true));
        var chunks = FakeHttp.Chunks(SseReader.Parse(await response.Content.ReadAsStringAsync()));

        Assert.Equal(1 + 4 + 1, chunks.Count);
        Assert.All(chunks, c => Assert.False(c.ContainsKey("usage")));
        Assert.All(chunks, c => Assert.Single(c["choices"]!.AsArray()));
        Assert.Equal("one two three four", FakeHttp.ContentOf(chunks));
    }

    [Fact]
    public async Task NonStreamToolCalls_HaveNullContentAndToolCallsFinishReason()
    {
        await using var fake = await FakeOpenAIUpstream.StartAsync();
        fake.Enqueue(UpstreamBehavior.ToolCalls(
            new FakeToolCall("get_weather", """{"city":"Paris"}""") { Id = "call_abc" },
            new FakeToolCall("get_time", """{"tz":"CET"}""")));
        using var client = FakeHttp.NewClient();

        using var response = await FakeHttp.PostChatAsync(client, fake, FakeHttp.ChatBody());
        var choice = (await FakeHttp.ReadJsonAsync(response))["choices"]![0]!.AsObject();

        Assert.Equal("tool_calls", (string)choice["finish_reason"]!);
        var message = choice["message"]!.AsObject();
        AssertNullProperty(message, "content");
        var calls = message["tool_calls"]!.AsArray();
        Assert.Equal(2, calls.Count);
        Assert.Equal("call_abc", (string)calls[0]!["id"]!);
        Assert.StartsWith("call_", (string)calls[1]!["id"]!);
        Assert.All(calls, c => Assert.Equal("function", (string)c!["type"]!));
        Assert.Equal("get_weather", (string)calls[0]!["function"]!["name"]!);
        Assert.Equal("""{"city":"Paris"}""", (string)calls[0]!["function"]!["arguments"]!);
        Assert.Equal("get_time", (string)calls[1]!["function"]!["name"]!);
    }

    [Fact]
    public async Task StreamToolCalls_SendOpeningDeltaPerCallThenArgumentFragments()
    {
        await using var fake = await FakeOpenAIUpstream.StartAsync();
        fake.Enqueue(UpstreamBehavior.ToolCalls(
            FakeToolCall.Fragmented("get_weather", "{\"ci", "ty\":\"Par", "is\"}") with { Id = "call_1" },
            FakeToolCall.Fragmented("get_time", "{\"tz\":", "\"CET\"}") with { Id = "call_2" }));
        using var client = FakeHttp.NewClient();

        using var response = await FakeHttp.PostChatAsync(client, fake, FakeHttp.ChatBody(stream: true));
        var chunks = FakeHttp.Chunks(SseReader.Parse(await response.Content.ReadAsStringAsync()));
        var deltas = chunks.Select(c => c["choices"]![0]!["delta"]!.AsObject()).ToList();

        // opening(0), 3 fragments, opening(1), 2 fragments, finish
        Assert.Equal(1 + 3 + 1 + 2 + 1, chunks.Count);
        Assert.Equal("assistant", (string)deltas[0]["role"]!);
        AssertNullProperty(deltas[0], "content");
        AssertOpening(deltas[0], 0, "call_1", "get_weather");
        AssertFragment(deltas[1], 0, "{\"ci");
        AssertFragment(deltas[2], 0, "ty\":\"Par");
        AssertFragment(deltas[3], 0, "is\"}");
        Assert.False(deltas[4].ContainsKey("role"));
        AssertOpening(deltas[4], 1, "call_2", "get_time");
        AssertFragment(deltas[5], 1, "{\"tz\":");
        AssertFragment(deltas[6], 1, "\"CET\"}");
        Assert.Empty(deltas[7]);
        Assert.Equal("tool_calls", (string)chunks[^1]["choices"]![0]!["finish_reason"]!);
    }

    [Fact]
    public async Task NonBmpCharactersAreRawUtf8_AndLiteralBackslashSequencesSurvive()
    {
        const string content = "emoji 👋, escaped-looking text \\uD83D\\uDC4B and a quote \"";
        await using var fake = await FakeOpenAIUpstream.StartAsync();
        fake.Enqueue(UpstreamBehavior.Text(content));
        using var client = FakeHttp.NewClient();

        using var response = await FakeHttp.PostChatAsync(client, fake, FakeHttp.ChatBody());
        var raw = await response.Content.ReadAsStringAsync();

        Assert.Contains("👋", raw);
        Assert.Equal(content, (string)JsonNode.Parse(raw)!["choices"]![0]!["message"]!["content"]!);
    }

    [Fact]
    public async Task Queue_IsFifoThenFallsBackToTheDefault()
    {
        await using var fake = await FakeOpenAIUpstream.StartAsync();
        fake.SetDefault(UpstreamBehavior.Text("default reply"));
        fake.Enqueue(UpstreamBehavior.ServerError(), UpstreamBehavior.Text("second"));
        using var client = FakeHttp.NewClient();

        var statuses = new List<int>();
        var contents = new List<string?>();
        for (var i = 0; i < 3; i++)
        {
            using var response = await FakeHttp.PostChatAsync(client, fake, FakeHttp.ChatBody());
            statuses.Add((int)response.StatusCode);
            contents.Add((string?)(await FakeHttp.ReadJsonAsync(response))["choices"]?[0]?["message"]?["content"]);
        }

        Assert.Equal([500, 200, 200], statuses);
        Assert.Equal([null, "second", "default reply"], contents);
        Assert.Equal(0, fake.PendingBehaviors());
    }

    [Fact]
    public async Task ResponseModel_OverridesTheEchoedModel()
    {
        await using var fake = await FakeOpenAIUpstream.StartAsync();
        fake.Enqueue((UpstreamBehavior.Text() with { ResponseModel = "gpt-4o-mini-2024-07-18" }).WithHeader("x-ratelimit-remaining-requests", "59"));
        using var client = FakeHttp.NewClient();

        using var response = await FakeHttp.PostChatAsync(client, fake, FakeHttp.ChatBody(model: "gpt-4o-mini"));

        Assert.Equal("gpt-4o-mini-2024-07-18", (string)(await FakeHttp.ReadJsonAsync(response))["model"]!);
        Assert.Equal("59", response.Headers.GetValues("x-ratelimit-remaining-requests").Single());
    }

    internal static void AssertNullProperty(JsonObject obj, string name)
    {
        Assert.True(obj.ContainsKey(name), $"expected property '{name}' to be present");
        Assert.Null(obj[name]);
    }

    private static void AssertOpening(JsonObject delta, int index, string id, string name)
    {
        var call = delta["tool_calls"]!.AsArray().Single()!.AsObject();
        Assert.Equal(index, (int)call["index"]!);
        Assert.Equal(id, (string)call["id"]!);
        Assert.Equal("function", (string)call["type"]!);
        Assert.Equal(name, (string)call["function"]!["name"]!);
        Assert.Equal("", (string)call["function"]!["arguments"]!);
    }

    private static void AssertFragment(JsonObject delta, int index, string fragment)
    {
        var call = delta["tool_calls"]!.AsArray().Single()!.AsObject();
        Assert.Equal(index, (int)call["index"]!);
        Assert.False(call.ContainsKey("id"));
        Assert.False(call.ContainsKey("type"));
        Assert.False(call["function"]!.AsObject().ContainsKey("name"));
        Assert.Equal(fragment, (string)call["function"]!["arguments"]!);
    }
}
