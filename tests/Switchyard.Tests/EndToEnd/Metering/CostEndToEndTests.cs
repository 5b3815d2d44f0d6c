using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;
using Switchyard.Providers.Bedrock;
using Switchyard.Tests.TestKit;
using Switchyard.Tests.TestKit.Anthropic;
using Switchyard.Tests.TestKit.Bedrock;
using Switchyard.Tests.TestKit.Gemini;

namespace Switchyard.Tests.EndToEnd.Metering;

/// <summary>
/// The cost in the usage record, end to end: a fake upstream of each provider reports a known usage, the request goes
/// through the gateway, and the stored record's <c>cost_micros</c> equals the published rates times those tokens,
/// worked out by hand here (USD per million tokens = micro-dollars per token; rounded half up once per record).
/// </summary>
public sealed class CostEndToEndTests : IAsyncLifetime
{
    private static readonly AwsCredentials Aws = new("AKIACOSTTESTKEY", "cost/secret+key", "cost-session-token");

    private FakeAnthropicUpstream anthropic = null!;
    private FakeGeminiUpstream gemini = null!;
    private FakeBedrockUpstream bedrock = null!;

    public async Task InitializeAsync()
    {
        anthropic = await FakeAnthropicUpstream.StartAsync();
        gemini = await FakeGeminiUpstream.StartAsync();
        bedrock = await FakeBedrockUpstream.StartAsync(Aws);
    }

    public async Task DisposeAsync()
    {
        await anthropic.DisposeAsync();
        await gemini.DisposeAsync();
        await bedrock.DisposeAsync();
    }

    private string Yaml => $$$"""
        auth:
          keys:
            - { id: app, hash: {{APP_HASH}} }
        providers:
          openai: { preset: openai, base_url: "{{FAKE0}}", api_key: "${UP_KEY}" }
          xai: { preset: xai, base_url: "{{FAKE0}}", api_key: "${UP_KEY}" }
          elsewhere: { kind: openai-compatible, base_url: "{{FAKE1}}", api_key: "${UP_KEY}" }
          anth: { kind: anthropic, base_url: "{{{anthropic.BaseUrl}}}", api_key: "${UP_KEY}" }
          gem: { preset: gemini, base_url: "{{{gemini.BaseUrl}}}", api_key_env: GEM_KEY }
          aws:
            kind: bedrock
            base_url: "{{{bedrock.BaseUrl}}}"
            settings: { region: us-east-1, access_key_id_env: AWS_ID, secret_access_key_env: AWS_SECRET, session_token_env: AWS_TOKEN }
        deployments:
          o4: { provider: openai, model: o4-mini }
          o4-own: { provider: openai, model: o4-mini, price: { input: 2, output: 8, cached_input: 0.5 } }
          mini: { provider: openai, model: gpt-4o-mini }
          grok: { provider: xai, model: grok-4 }
          mystery: { provider: elsewhere, model: mystery-model }
          sonnet: { provider: anth, model: claude-sonnet-4-5-20250929 }
          pro: { provider: gem, model: gemini-2.5-pro }
          flash38: { provider: gem, model: gemini-3.8-flash }
          haiku: { provider: aws, model: "us.anthropic.claude-3-5-haiku-20241022-v1:0" }
        models:
          o4: o4
          o4-own: o4-own
          mini: mini
          grok: grok
          mystery: mystery
          sonnet: sonnet
          pro: pro
          flash38: flash38
          haiku: haiku
        """;

    private Task<GatewayHarness> StartAsync(TimeProvider? time = null) => GatewayHarness.StartAsync(Yaml, env: new Dictionary<string, string>
    {
        ["GEM_KEY"] = gemini.ApiKey,
        ["AWS_ID"] = Aws.AccessKeyId,
        ["AWS_SECRET"] = Aws.SecretAccessKey,
        ["AWS_TOKEN"] = Aws.SessionToken!,
    }, time: time);

    private static async Task<UsageRecord> RecordOfAsync(GatewayHarness h, HttpResponseMessage response)
    {
        Assert.Equal(200, (int)response.StatusCode);
        return await h.UsageAsync(GatewayHarness.RecordId(response));
    }

    [Fact]
    public async Task OpenAI_CachedPromptAndReasoning_CostIsTheBookTimesTheTokens()
    {
        await using var h = await StartAsync();
        h.A.Enqueue(UpstreamBehavior.Text(usage: new FakeUsage(2000, 800) { CachedTokens = 1500, ReasoningTokens = 500 }));

        var record = await RecordOfAsync(h, await h.PostChatAsync(Wire.ChatJson("o4")));

        // o4-mini: 500 uncached × $1.10 + 1500 cached × $0.275 + 800 output (reasoning included) × $4.40 = 4482.5 µ$
        Assert.Equal((2000, 1500, 800, 500), (record.PromptTokens, record.CachedTokens, record.CompletionTokens, record.ReasoningTokens));
        Assert.Equal(4483, record.CostMicros);
        Assert.Equal("book:2026-12-06", record.PriceVersion);
    }

    [Fact]
    public async Task OpenAI_Streamed_SameCost()
    {
        await using var h = await StartAsync();
        h.A.Enqueue(UpstreamBehavior.Text(usage: new FakeUsage(2000, 800) { CachedTokens = 1500, ReasoningTokens = 500 }));

        using var response = await h.PostChatAsync(Wire.ChatJson("o4", stream: true));
        _ = await response.Content.ReadAsStringAsync();

        Assert.Equal(4483, (await RecordOfAsync(h, response)).CostMicros);
    }

    [Fact]
    public async Task Override_WinsOverTheBook()
    {
        await using var h = await StartAsync();
        h.A.Enqueue(UpstreamBehavior.Text(usage: new FakeUsage(2000, 800) { CachedTokens = 1500, ReasoningTokens = 500 }));

        var record = await RecordOfAsync(h, await h.PostChatAsync(Wire.ChatJson("o4-own")));

        // 500 × $2 + 1500 × $0.50 + 800 × $8
        Assert.Equal(8150, record.CostMicros);
        Assert.Equal("config", record.PriceVersion);
    }

    [Fact]
    public async Task Unpriced_RecordsZeroAndNoVersion()
    {
        await using var h = await StartAsync();
        h.B.Enqueue(UpstreamBehavior.Text(usage: new FakeUsage(1000, 100)));

        var record = await RecordOfAsync(h, await h.PostChatAsync(Wire.ChatJson("mystery")));

        Assert.Equal(1000, record.PromptTokens);
        Assert.Equal((0L, (string?)null), (record.CostMicros, record.PriceVersion));
    }

    [Fact]
    public async Task XAI_ReasoningReportedBesideCompletion_AddedToTheOutputAndBilled()
    {
        await using var h = await StartAsync();
        h.A.Enqueue(UpstreamBehavior.Raw(async (http, _) =>
        {
            // xAI: total = prompt + completion + reasoning (reasoning is not inside completion_tokens).
            http.Response.ContentType = "application/json";
            await http.Response.WriteAsync("""
                {"id":"c1","object":"chat.completion","created":1,"model":"grok-4",
                 "choices":[{"index":0,"message":{"role":"assistant","content":"Hi"},"finish_reason":"stop"}],
                 "usage":{"prompt_tokens":1000,"completion_tokens":100,"total_tokens":2000,
                          "prompt_tokens_details":{"cached_tokens":200},"completion_tokens_details":{"reasoning_tokens":900}}}
                """);
        }));

        var record = await RecordOfAsync(h, await h.PostChatAsync(Wire.ChatJson("grok")));

        // grok-4: 800 × $3 + 200 × $0.75 + (100 + 900) × $15
        Assert.Equal((1000, 900), (record.CompletionTokens, record.ReasoningTokens));
        Assert.Equal(17_550, record.CostMicros);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Anthropic_CacheReadAndWrites5mAnd1h_EachKindAtItsRate(bool stream)
    {
        await using var h = await StartAsync();
        anthropic.Enqueue(AnthropicBehavior.Text(usage: new AnthropicUsage(1000, 600)
        {
            CacheReadInputTokens = 20_000, CacheCreationInputTokens = 4000, CacheCreation1hInputTokens = 1000,
        }));

        using var response = await h.SendAsync(MeteringKit.PostMessages(h, MeteringKit.MessagesJson("sonnet", stream)));
        _ = await response.Content.ReadAsStringAsync();
        var record = await RecordOfAsync(h, response);

        // Sonnet 4.5: 1000 × $3 + 20000 × $0.30 + 3000 × $3.75 (5 min) + 1000 × $6 (1 h) + 600 × $15 = 35250 µ$.
        // The prompt (25000) already holds the cache tokens; they are not billed at $3 a second time.
        Assert.Equal((25_000, 20_000, 4000), (record.PromptTokens, record.CachedTokens, record.CacheWriteTokens));
        Assert.Equal(35_250, record.CostMicros);
    }

    [Fact]
    public async Task Gemini_ThoughtsAndCachedContent_ThoughtsAtTheOutputRate()
    {
        await using var h = await StartAsync();
        gemini.Enqueue(GeminiReply.Text("Hello", usage: new GeminiUsage(3000, 400, Thoughts: 600, Cached: 2000)));

        var record = await RecordOfAsync(h, await h.PostChatAsync(Wire.ChatJson("pro")));

        // Gemini 2.5 Pro: 1000 × $1.25 + 2000 × $0.125 + (400 + 600) × $10
        Assert.Equal((3000, 2000, 1000, 600), (record.PromptTokens, record.CachedTokens, record.CompletionTokens, record.ReasoningTokens));
        Assert.Equal(11_500, record.CostMicros);
    }

    [Fact]
    public async Task Bedrock_CacheReadAndWrite_CrossRegionIdPriced()
    {
        await using var h = await StartAsync();
        bedrock.Enqueue(BedrockReply.Json(new JsonObject
        {
            ["output"] = new JsonObject
            {
                ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = new JsonArray(new JsonObject { ["text"] = "Hi" }) },
            },
            ["stopReason"] = "end_turn",
            ["usage"] = new JsonObject
            {
                ["inputTokens"] = 100, ["outputTokens"] = 300, ["cacheReadInputTokens"] = 5000, ["cacheWriteInputTokens"] = 2000, ["totalTokens"] = 7400,
            },
        }.ToJsonString()));

        var record = await RecordOfAsync(h, await h.PostChatAsync(Wire.ChatJson("haiku")));

        // Claude 3.5 Haiku on Bedrock: 100 × $0.80 + 5000 × $0.08 + 2000 × $1 + 300 × $4
        Assert.Equal((7100, 5000, 2000), (record.PromptTokens, record.CachedTokens, record.CacheWriteTokens));
        Assert.Equal(3680, record.CostMicros);
    }

    [Fact]
    public async Task EffectiveDating_ARecordBeforeTheChangeKeepsTheOldPrice()
    {
        // Gemini 3.8 Flash: $0.75 / $3.75 through 2026-12-31, $1.50 / $7.50 from 2027-01-01 (two entries in the book).
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 31, 23, 0, 0, TimeSpan.Zero));
        await using var h = await StartAsync(clock);
        gemini.Enqueue(GeminiReply.Text("Old year", usage: new GeminiUsage(1000, 1000)), GeminiReply.Text("New year", usage: new GeminiUsage(1000, 1000)));

        var before = await RecordOfAsync(h, await h.PostChatAsync(Wire.ChatJson("flash38")));
        clock.Advance(TimeSpan.FromHours(2));
        var after = await RecordOfAsync(h, await h.PostChatAsync(Wire.ChatJson("flash38")));

        Assert.Equal((4500L, "book:2026-09-20"), (before.CostMicros, before.PriceVersion));
        Assert.Equal((9000L, "book:2027-01-01"), (after.CostMicros, after.PriceVersion));
    }

    [Fact]
    public async Task EstimatedUsage_PricedTheSameWay()
    {
        await using var h = await StartAsync();
        h.A.Enqueue(UpstreamBehavior.Cut(4, UpstreamBehavior.TextPieces("The ", "sea ", "is ", "wide ", "and ", "deep ")));

        using var response = await h.PostChatAsync(Wire.ChatJson("mini", stream: true));
        try
        {
            _ = await response.Content.ReadAsStringAsync();
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            // the cut reaches the client as a broken stream
        }

        var record = await RecordOfAsync(h, response);

        Assert.Equal("estimated", record.UsageSource);
        Assert.True(record.PromptTokens > 0 && record.CompletionTokens > 0);
        var micros = (record.PromptTokens * 0.15m) + (record.CompletionTokens * 0.60m); // gpt-4o-mini
        Assert.Equal((long)decimal.Round(micros, 0, MidpointRounding.AwayFromZero), record.CostMicros);
        Assert.Equal("book:2026-12-06", record.PriceVersion);
    }
}
