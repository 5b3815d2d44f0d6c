using System.ClientModel;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Anthropic.Models.Messages;
using Microsoft.Extensions.Time.Testing;
using OpenAI.Chat;
using Switchyard.Tests.TestKit;

namespace Switchyard.Tests.EndToEnd.Cache;

/// <summary>
/// The exact cache end to end (Kestrel, a fake OpenAI upstream, the official SDKs): hits answer without an upstream
/// call in the client's own format and shape, records say so, and nothing but a complete successful answer is stored.
/// </summary>
[Collection(Observability.ScrapeCollection.Name)]
public sealed class CacheEndToEndTests
{
    private static string Json(string model = "cached", bool stream = false, string content = "What is 2+2?") =>
        Wire.ChatJson(model, stream, includeUsage: stream ? true : null, content: content);

    private static string? HeaderOf(ClientResult result) =>
        result.GetRawResponse().Headers.TryGetValue("x-switchyard-cache", out var value) ? value : null;

    [Fact]
    public async Task OpenAISdk_SecondIdenticalRequest_HitWithoutUpstreamCall_RecordsSaving()
    {
        await using var h = await CacheHarness.StartAsync();
        h.A.SetDefault(UpstreamBehavior.Text("Four.", usage: new FakeUsage(1000, 500)));

        var first = await h.Chat("cached").CompleteChatAsync([new UserChatMessage("What is 2+2?")]);
        await CacheHarness.SettledAsync(h, 1);
        var second = await h.Chat("cached").CompleteChatAsync([new UserChatMessage("What is 2+2?")]);

        Assert.Equal("miss", HeaderOf(first));
        Assert.Equal("hit", HeaderOf(second));
        Assert.Equal("Four.", second.Value.Content[0].Text);
        Assert.Equal(ChatFinishReason.Stop, second.Value.FinishReason);
        Assert.Equal(500, second.Value.Usage.OutputTokenCount); // the body describes the stored answer
        Assert.Equal(1, h.A.RequestCount);

        var records = await h.UsageRecordsAsync(2);
        var miss = Assert.Single(records, r => r.Cache == "miss");
        var hit = Assert.Single(records, r => r.Cache == "hit");
        Assert.Equal(6000, miss.CostMicros); // 1000 × $2/M + 500 × $8/M
        Assert.Equal(0, miss.CostSavedMicros);
        Assert.Equal((0, 0L, 0L, 200), (hit.Attempts, hit.CostMicros, hit.PromptTokens + hit.CompletionTokens, hit.Status));
        Assert.Equal(6000, hit.CostSavedMicros);
        Assert.Equal("dep-a", hit.FinalDeployment);
        Assert.Null(hit.ErrorKind);
    }

    [Fact]
    public async Task OpenAISdk_StreamStored_ReplaysAsStreamAndAsWholeAnswer()
    {
        await using var h = await CacheHarness.StartAsync();
        const string text = "Grüße — a streamed answer 🎉 in pieces.";
        h.A.Enqueue(UpstreamBehavior.Text(text, chunks: 6, usage: new FakeUsage(30, 12)));

        var streamed1 = await StreamAsync(h.Chat("cached"), "stream me");
        await CacheHarness.SettledAsync(h, 1);
        var streamed2 = await StreamAsync(h.Chat("cached"), "stream me");
        var whole = await h.Chat("cached").CompleteChatAsync([new UserChatMessage("stream me")]);

        Assert.Equal((text, ChatFinishReason.Stop), (streamed1.Text, streamed1.Finish));
        Assert.Equal((text, ChatFinishReason.Stop), (streamed2.Text, streamed2.Finish));
        Assert.Equal(12, streamed2.Usage!.OutputTokenCount);
        Assert.Equal(text, whole.Value.Content[0].Text);
        Assert.Equal("hit", HeaderOf(whole));
        Assert.Equal(1, h.A.RequestCount);
    }

    [Fact]
    public async Task OpenAISdk_ToolCallsStoredWhole_ReplayAsStreamWithTheirArguments()
    {
        await using var h = await CacheHarness.StartAsync();
        h.A.Enqueue(UpstreamBehavior.ToolCalls(new FakeToolCall("get_weather", """{"city":"Paris"}""") { Id = "call_1" }));
        var tool = ChatTool.CreateFunctionTool("get_weather", "weather", BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string"}}}"""));
        var options = new ChatCompletionOptions { Tools = { tool } };

        var whole = await h.Chat("cached").CompleteChatAsync([new UserChatMessage("weather?")], options);
        await CacheHarness.SettledAsync(h, 1);
        var args = new StringBuilder();
        string? name = null;
        ChatFinishReason? finish = null;
        await foreach (var update in h.Chat("cached").CompleteChatStreamingAsync([new UserChatMessage("weather?")], options))
        {
            foreach (var call in update.ToolCallUpdates)
            {
                name ??= call.FunctionName;
                args.Append(call.FunctionArgumentsUpdate?.ToString());
            }

            finish ??= update.FinishReason;
        }

        Assert.Equal("get_weather", whole.Value.ToolCalls[0].FunctionName);
        Assert.Equal(("get_weather", """{"city":"Paris"}""", ChatFinishReason.ToolCalls), (name, args.ToString(), finish));
        Assert.Equal(1, h.A.RequestCount);
    }

    [Fact]
    public async Task AnthropicSdk_TranslatedStreamStored_ReplayedAsAnthropicStream()
    {
        await using var h = await CacheHarness.StartAsync();
        h.A.Enqueue(UpstreamBehavior.Text("Bonjour from the cache", chunks: 4, usage: new FakeUsage(20, 6)));
        var ask = new MessageCreateParams { Model = "cached", MaxTokens = 200, Messages = [new UserMessageParam("Say bonjour")] };

        var first = await AnthropicStreamAsync(h, ask);
        await CacheHarness.SettledAsync(h, 1);
        var second = await AnthropicStreamAsync(h, ask);
        var whole = await CacheHarness.AnthropicSdk(h).Messages.Create(ask);

        Assert.Equal(("Bonjour from the cache", "end_turn"), first);
        Assert.Equal(("Bonjour from the cache", "end_turn"), second);
        Assert.True(Assert.Single(whole.Content).TryPickText(out var text));
        Assert.Equal("Bonjour from the cache", text.Text);
        Assert.Equal(6, whole.Usage.OutputTokens);
        Assert.Equal(1, h.A.RequestCount);
        var records = await h.UsageRecordsAsync(3);
        Assert.Equal(2, records.Count(r => r.Cache == "hit" && r.Format == "anthropic.messages"));
    }

    [Fact]
    public async Task CrossFormat_OpenAIEntry_NotServedToAnAnthropicClient()
    {
        await using var h = await CacheHarness.StartAsync();
        await h.Chat("cached").CompleteChatAsync([new UserChatMessage("same words")]);
        await CacheHarness.SettledAsync(h, 1);

        await CacheHarness.AnthropicSdk(h).Messages.Create(
            new MessageCreateParams { Model = "cached", MaxTokens = 100, Messages = [new UserMessageParam("same words")] });

        Assert.Equal(2, h.A.RequestCount); // keys hold the client format (docs/adr/0015-cache.md)
    }

    [Fact]
    public async Task KeyScope_AnotherKeyOfTheSameTeam_NeverSharesAnEntry()
    {
        await using var h = await CacheHarness.StartAsync();

        using var app1 = await CacheHarness.PostAsync(h, Json());
        using var red2 = await CacheHarness.PostAsync(h, Json(), CacheHarness.RedKey);
        using var app2 = await CacheHarness.PostAsync(h, Json());

        Assert.Equal(("miss", "miss", "hit"), (CacheHarness.CacheHeader(app1), CacheHarness.CacheHeader(red2), CacheHarness.CacheHeader(app2)));
        Assert.Equal(2, h.A.RequestCount);
    }

    [Fact]
    public async Task TeamScope_SharedWithinATeam_NeverAcrossTeams()
    {
        await using var h = await CacheHarness.StartAsync();

        using var app = await CacheHarness.PostAsync(h, Json("team-cached"));
        using var red2 = await CacheHarness.PostAsync(h, Json("team-cached"), CacheHarness.RedKey);
        using var blue = await CacheHarness.PostAsync(h, Json("team-cached"), CacheHarness.BlueKey);

        Assert.Equal(("miss", "hit", "miss"), (CacheHarness.CacheHeader(app), CacheHarness.CacheHeader(red2), CacheHarness.CacheHeader(blue)));
        Assert.Equal(2, h.A.RequestCount);
    }

    [Fact]
    public async Task NoStore_AnswerNotKept_NoCache_SkipsLookupButRefreshes()
    {
        await using var h = await CacheHarness.StartAsync();

        using var noStore = await CacheHarness.PostAsync(h, Json(), headers: ("x-switchyard-cache", "no-store"));
        using var miss = await CacheHarness.PostAsync(h, Json());
        using var noCache = await CacheHarness.PostAsync(h, Json(), headers: ("x-switchyard-cache", "no-cache"));
        using var hit = await CacheHarness.PostAsync(h, Json(), headers: ("x-switchyard-cache", "no-store"));

        Assert.Equal(("miss", "miss", "miss", "hit"),
            (CacheHarness.CacheHeader(noStore), CacheHarness.CacheHeader(miss), CacheHarness.CacheHeader(noCache), CacheHarness.CacheHeader(hit)));
        Assert.Equal(3, h.A.RequestCount);
    }

    [Fact]
    public async Task Namespace_PartitionsTheCallersEntries()
    {
        await using var h = await CacheHarness.StartAsync();

        using var a = await CacheHarness.PostAsync(h, Json(), headers: ("x-switchyard-cache-namespace", "eval-1"));
        using var b = await CacheHarness.PostAsync(h, Json(), headers: ("x-switchyard-cache-namespace", "eval-2"));
        using var c = await CacheHarness.PostAsync(h, Json(), headers: ("x-switchyard-cache-namespace", "eval-1"));

        Assert.Equal(("miss", "miss", "hit"), (CacheHarness.CacheHeader(a), CacheHarness.CacheHeader(b), CacheHarness.CacheHeader(c)));
    }

    [Theory]
    [InlineData("x-switchyard-cache", "no-thanks")]
    [InlineData("x-switchyard-cache-ttl", "soon")]
    public async Task BadCacheHeader_400NamingIt_NoUpstreamCall(string header, string value)
    {
        await using var h = await CacheHarness.StartAsync();

        using var response = await CacheHarness.PostAsync(h, Json(), headers: (header, value));

        await Wire.AssertOpenAIErrorAsync(response, 400, code: "invalid_cache_header", param: header);
        Assert.Equal(0, h.A.RequestCount);
    }

    [Fact]
    public async Task Explain_DryRun_SameHeaderRefusal_NoLookupNoStore()
    {
        await using var h = await CacheHarness.StartAsync();
        using var stored = await CacheHarness.PostAsync(h, Json());
        var bad = h.Post("/v1/route/explain", Json(), GatewayHarness.OperatorKey);
        bad.Headers.Add("x-switchyard-cache", "bogus");
        var good = h.Post("/v1/route/explain", Json(), GatewayHarness.OperatorKey);

        using var refused = await h.SendAsync(bad);
        using var explained = await h.SendAsync(good);

        await Wire.AssertOpenAIErrorAsync(refused, 400, code: "invalid_cache_header", param: "x-switchyard-cache");
        Assert.Equal(HttpStatusCode.OK, explained.StatusCode);
        Assert.Null(CacheHarness.CacheHeader(explained)); // explain shows the plan; it never answers from the cache
        Assert.Equal(1, h.A.RequestCount);
    }

    [Fact]
    public async Task Ttl_OnTheGatewaysClock_EntryExpires_ClientTtlShortensIt_RouteTtlReplacesTheAlias()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var h = await CacheHarness.StartAsync(time);
        using var stored = await CacheHarness.PostAsync(h, Json(content: "a"));
        using var shortTtl = await CacheHarness.PostAsync(h, Json(content: "b"), headers: ("x-switchyard-cache-ttl", "30s"));
        using var viaRoute = await CacheHarness.PostAsync(h, Json(content: "c"), headers: ("x-switchyard-route", "short"));

        time.Advance(TimeSpan.FromSeconds(31));
        using var a1 = await CacheHarness.PostAsync(h, Json(content: "a"));
        using var b1 = await CacheHarness.PostAsync(h, Json(content: "b"));
        using var c1 = await CacheHarness.PostAsync(h, Json(content: "c"), headers: ("x-switchyard-route", "short"));
        time.Advance(TimeSpan.FromSeconds(30));
        using var c2 = await CacheHarness.PostAsync(h, Json(content: "c"), headers: ("x-switchyard-route", "short"));
        time.Advance(TimeSpan.FromMinutes(9));
        using var a2 = await CacheHarness.PostAsync(h, Json(content: "a"));

        Assert.Equal(("hit", "miss", "hit"), (CacheHarness.CacheHeader(a1), CacheHarness.CacheHeader(b1), CacheHarness.CacheHeader(c1)));
        Assert.Equal(("miss", "miss"), (CacheHarness.CacheHeader(c2), CacheHarness.CacheHeader(a2)));
    }

    [Fact]
    public async Task UpstreamError_NeverStored()
    {
        await using var h = await CacheHarness.StartAsync();
        h.A.Enqueue(UpstreamBehavior.ServerError());

        using var failed = await CacheHarness.PostAsync(h, Json());
        using var fresh = await CacheHarness.PostAsync(h, Json());
        using var hit = await CacheHarness.PostAsync(h, Json());

        Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        Assert.Equal(("miss", "hit"), (CacheHarness.CacheHeader(fresh), CacheHarness.CacheHeader(hit)));
        Assert.Equal(2, h.A.RequestCount);
    }

    [Fact]
    public async Task CutStream_NeverStored()
    {
        await using var h = await CacheHarness.StartAsync();
        h.A.Enqueue(UpstreamBehavior.Cut(2, UpstreamBehavior.TextPieces("one ", "two ", "three")));

        using var cut = await CacheHarness.PostAsync(h, Json(stream: true));
        var events = await Wire.ReadSseAsync(cut);
        await CacheHarness.SettledAsync(h, 1);
        using var fresh = await CacheHarness.PostAsync(h, Json(stream: true));
        var freshEvents = await Wire.ReadSseAsync(fresh);

        Assert.Contains(events, e => e.IsError);
        Assert.Equal("miss", CacheHarness.CacheHeader(fresh));
        Assert.DoesNotContain(freshEvents, e => e.IsError);
        Assert.Equal(2, h.A.RequestCount);
        var records = await h.UsageRecordsAsync(2);
        Assert.All(records, r => Assert.Equal("miss", r.Cache));
    }

    [Fact]
    public async Task AliasWithoutCache_NoHeaderNoRecordField()
    {
        await using var h = await CacheHarness.StartAsync();

        using var first = await CacheHarness.PostAsync(h, Json("plain"));
        using var second = await CacheHarness.PostAsync(h, Json("plain"));

        Assert.Null(CacheHarness.CacheHeader(second));
        Assert.Equal(2, h.A.RequestCount);
        Assert.All(await h.UsageRecordsAsync(2), r => Assert.Null(r.Cache));
    }

    [Fact]
    public async Task SameMeaningDifferentSpelling_Hit_DifferentParameter_Miss()
    {
        await using var h = await CacheHarness.StartAsync();
        const string a = """{"model":"cached","messages":[{"role":"user","content":"x"}],"temperature":0.5,"user":"u1"}""";
        const string same = """{ "temperature": 5e-1, "user": "u2", "messages": [ { "content": "x", "role": "user" } ], "model": "cached" }""";
        const string other = """{"model":"cached","messages":[{"role":"user","content":"x"}],"temperature":0.6}""";

        using var r1 = await CacheHarness.PostAsync(h, a);
        using var r2 = await CacheHarness.PostAsync(h, same);
        using var r3 = await CacheHarness.PostAsync(h, other);

        Assert.Equal(("miss", "hit", "miss"), (CacheHarness.CacheHeader(r1), CacheHarness.CacheHeader(r2), CacheHarness.CacheHeader(r3)));
        var body = JsonNode.Parse(await r2.Content.ReadAsStringAsync())!;
        Assert.Equal("chat.completion", body["object"]!.GetValue<string>());
    }

    [Fact]
    public async Task Metrics_CountHitsMissesAndTheSaving()
    {
        await using var h = await CacheHarness.StartAsync();
        h.A.SetDefault(UpstreamBehavior.Text("Four.", usage: new FakeUsage(1000, 500)));
        using var miss = await CacheHarness.PostAsync(h, Json("metrics-cached"));
        using var hit = await CacheHarness.PostAsync(h, Json("metrics-cached"));
        await h.UsageAsync(GatewayHarness.RecordId(hit));

        var metrics = await Observability.MetricsEndpointTests.ScrapeAsync(h);

        double Lookups(string result) => Observability.MetricsEndpointTests.Single(metrics, "switchyard_cache_lookups_total", "counter",
            s => s["switchyard_alias"] == "metrics-cached" && s["switchyard_cache_result"] == result).Value;
        Assert.Equal((1, 1), (Lookups("hit"), Lookups("miss")));
        Assert.Equal(0.006, Observability.MetricsEndpointTests.Single(metrics, "switchyard_cache_saved_usd_total", "counter",
            s => s["switchyard_alias"] == "metrics-cached").Value, precision: 9);
        // The gauges carry no label: with other gateways of the test run on the same meter name, which one a scrape
        // reports is not this test's to choose, so only their presence is checked.
        Assert.Equal("gauge", metrics["switchyard_cache_entries"].Type);
        Assert.Equal("gauge", metrics["switchyard_cache_size_bytes"].Type);
    }

    [Fact]
    public async Task Gemini_StreamedThenWhole_HitInGeminisShape()
    {
        await using var h = await CacheHarness.StartAsync();
        h.A.Enqueue(UpstreamBehavior.Text("Hallo from Gemini's cache", chunks: 3));
        const string body = """{"contents":[{"role":"user","parts":[{"text":"greet"}]}]}""";

        using var streamed = await h.SendAsync(Gemini(h, "/v1beta/models/cached:streamGenerateContent?alt=sse", body));
        var events = await Wire.ReadSseAsync(streamed);
        await CacheHarness.SettledAsync(h, 1);
        using var whole = await h.SendAsync(Gemini(h, "/v1beta/models/cached:generateContent", body));
        var json = JsonNode.Parse(await whole.Content.ReadAsStringAsync())!;

        Assert.Equal("miss", CacheHarness.CacheHeader(streamed));
        Assert.DoesNotContain(events, e => e.IsError);
        Assert.Equal("hit", CacheHarness.CacheHeader(whole));
        Assert.Equal("Hallo from Gemini's cache", json["candidates"]![0]!["content"]!["parts"]![0]!["text"]!.GetValue<string>());
        Assert.Equal(1, h.A.RequestCount);
    }

    private static HttpRequestMessage Gemini(GatewayHarness h, string path, string body)
    {
        var request = h.Post(path, body, key: null);
        request.Headers.Add("x-goog-api-key", GatewayHarness.ClientKey);
        return request;
    }

    private static async Task<(string Text, ChatFinishReason? Finish, ChatTokenUsage? Usage)> StreamAsync(ChatClient chat, string prompt)
    {
        var text = new StringBuilder();
        ChatFinishReason? finish = null;
        ChatTokenUsage? usage = null;
        await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage(prompt)]))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }

            finish ??= update.FinishReason;
            usage ??= update.Usage;
        }

        return (text.ToString(), finish, usage);
    }

    private static async Task<(string Text, string? Stop)> AnthropicStreamAsync(GatewayHarness h, MessageCreateParams ask)
    {
        var text = new StringBuilder();
        string? stop = null;
        await foreach (var ev in CacheHarness.AnthropicSdk(h).Messages.CreateStreaming(ask))
        {
            if (ev.TryPickContentBlockDelta(out var delta) && delta.Delta.TryPickText(out var t))
            {
                text.Append(t.Text);
            }
            else if (ev.TryPickDelta(out var messageDelta))
            {
                stop = messageDelta.Delta.StopReason?.Raw() ?? stop;
            }
        }

        return (text.ToString(), stop);
    }
}
