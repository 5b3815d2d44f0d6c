using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Anthropic.Exceptions;
using Anthropic.Models.Messages;
using Switchyard.Tests.TestKit;
using Switchyard.Tests.TestKit.Anthropic;

namespace Switchyard.Tests.EndToEnd.Anthropic;

/// <summary>
/// (a) The official Anthropic SDK → gateway <c>/v1/messages</c> → fake Anthropic upstream: the passthrough path.
/// The body reaches the upstream with only the model rewritten; answers come back byte for byte.
/// </summary>
public sealed class AnthropicPassthroughEndToEndTests
{
    private static MessageCreateParams Ask(string text, long maxTokens = 256) => new()
    {
        Model = "claude",
        MaxTokens = maxTokens,
        Messages = [new UserMessageParam(text)],
    };

    private static readonly ToolUnion WeatherTool = new Tool
    {
        Name = "get_weather",
        Description = "Current weather for a city",
        InputSchema = new InputSchema
        {
            Properties = new Dictionary<string, JsonElement> { ["city"] = JsonDocument.Parse("""{"type":"string"}""").RootElement },
            Required = ["city"],
        },
    };

    [Fact]
    public async Task NonStreaming_RelaysTheMessage_AndRewritesOnlyTheModel()
    {
        await using var h = await AnthropicGatewayHarness.StartAsync();
        h.Anthropic.Enqueue(AnthropicBehavior.Text("Bonjour!", usage: new AnthropicUsage(30, 7) { CacheReadInputTokens = 5 }));

        var message = await h.AnthropicSdk().Messages.Create(Ask("Say hello in French"));

        Assert.True(Assert.Single(message.Content).TryPickText(out var text));
        Assert.Equal("Bonjour!", text.Text);
        Assert.Equal("end_turn", message.StopReason!.Raw());
        Assert.Equal(30, message.Usage.InputTokens);
        Assert.Equal(5, message.Usage.CacheReadInputTokens);
        Assert.Equal(7, message.Usage.OutputTokens);

        var upstream = h.Anthropic.LastRequest!;
        Assert.Equal("/v1/messages", upstream.Path);
        Assert.Equal(AnthropicGatewayHarness.ClaudeModel, upstream.Model);
        Assert.Equal(AnthropicGatewayHarness.AnthropicKey, upstream.Header("x-api-key"));
        Assert.Null(upstream.Header("authorization")); // the client's gateway key never reaches the provider
        Assert.Equal("Say hello in French", upstream.Json!["messages"]![0]!["content"]!.GetValue<string>());
        Assert.Equal(256, upstream.Json["max_tokens"]!.GetValue<int>());
        Assert.False(string.IsNullOrEmpty(upstream.Header("anthropic-version"))); // the SDK's version, forwarded
    }

    [Fact]
    public async Task Streaming_RelaysEveryEvent()
    {
        await using var h = await AnthropicGatewayHarness.StartAsync();
        h.Anthropic.Enqueue(AnthropicBehavior.Text("Streaming through the gateway, ünïcode 🎉", chunks: 5));

        var text = new StringBuilder();
        string? stop = null;
        var sawStop = false;
        await foreach (var ev in h.AnthropicSdk().Messages.CreateStreaming(Ask("stream please")))
        {
            if (ev.TryPickContentBlockDelta(out var delta) && delta.Delta.TryPickText(out var t))
            {
                text.Append(t.Text);
            }
            else if (ev.TryPickDelta(out var md))
            {
                stop = md.Delta.StopReason?.Raw();
            }

            sawStop |= ev.TryPickStop(out _);
        }

        Assert.Equal("Streaming through the gateway, ünïcode 🎉", text.ToString());
        Assert.Equal("end_turn", stop);
        Assert.True(sawStop);
        Assert.True(h.Anthropic.LastRequest!.IsStream);
    }

    [Fact]
    public async Task ToolUse_NonStreamingAndStreaming()
    {
        await using var h = await AnthropicGatewayHarness.StartAsync();
        var call = new AnthropicToolUseBlock("toolu_01A", "get_weather", """{"city":"Paris"}""");
        h.Anthropic.Enqueue(AnthropicBehavior.ToolUse("Let me check.", call), AnthropicBehavior.ToolUse(null, call));
        var ask = Ask("Weather in Paris?") with { Tools = [WeatherTool] };

        var message = await h.AnthropicSdk().Messages.Create(ask);
        Assert.Equal("tool_use", message.StopReason!.Raw());
        Assert.True(message.Content[1].TryPickToolUse(out var toolUse));
        Assert.Equal("get_weather", toolUse.Name);
        Assert.Equal("Paris", toolUse.Input["city"].GetString());

        var json = new StringBuilder();
        string? name = null;
        await foreach (var ev in h.AnthropicSdk().Messages.CreateStreaming(ask))
        {
            if (ev.TryPickContentBlockStart(out var start) && start.ContentBlock.TryPickToolUse(out var tu))
            {
                name = tu.Name;
            }
            else if (ev.TryPickContentBlockDelta(out var delta) && delta.Delta.TryPickInputJson(out var part))
            {
                json.Append(part.PartialJson);
            }
        }

        Assert.Equal("get_weather", name);
        Assert.Equal("""{"city":"Paris"}""", json.ToString());
        Assert.Equal("get_weather", h.Anthropic.LastRequest!.Json!["tools"]![0]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task ProviderSettings_PinTheVersion_AndClientBetasAreAdded()
    {
        await using var h = await AnthropicGatewayHarness.StartAsync("{ anthropic_version: \"2023-06-01\", anthropic_beta: \"beta-a\" }");
        var (status, _, _) = await h.PostAsync("/v1/messages",
            """{"model":"claude","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}""",
            headers: new Dictionary<string, string> { ["anthropic-version"] = "2026-10-21", ["anthropic-beta"] = "beta-b" });

        Assert.Equal(200, status);
        var upstream = h.Anthropic.LastRequest!;
        Assert.Equal("2023-06-01", upstream.Header("anthropic-version"));
        Assert.Equal("beta-a,beta-b", upstream.Header("anthropic-beta"));
    }

    [Fact]
    public async Task UpstreamRateLimit_IsRelayedInAnthropicShape_WithRetryAfter()
    {
        await using var h = await AnthropicGatewayHarness.StartAsync();
        h.Anthropic.Enqueue(AnthropicBehavior.RateLimited(retryAfterSeconds: 7));

        var (status, body, headers) = await h.PostAsync("/v1/messages", """{"model":"claude","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}""");

        Assert.Equal(429, status);
        Assert.Equal("7", headers.GetValues("retry-after").Single());
        var error = JsonNode.Parse(body)!;
        Assert.Equal("error", error["type"]!.GetValue<string>());
        Assert.Equal("rate_limit_error", error["error"]!["type"]!.GetValue<string>());

        h.Anthropic.Enqueue(AnthropicBehavior.RateLimited());
        await Assert.ThrowsAsync<AnthropicRateLimitException>(() => h.AnthropicSdk().Messages.Create(Ask("hi")));
    }

    [Fact]
    public async Task InStreamError_IsRelayed_WithoutMessageStop()
    {
        await using var h = await AnthropicGatewayHarness.StartAsync();
        h.Anthropic.Enqueue(AnthropicBehavior.StreamError(eventsBefore: 4));

        var (status, body, _) = await h.PostAsync("/v1/messages",
            """{"model":"claude","max_tokens":10,"stream":true,"messages":[{"role":"user","content":"hi"}]}""");

        Assert.Equal(200, status);
        var events = SseReader.Parse(body);
        Assert.Equal("error", events[^1].Event);
        Assert.Equal("overloaded_error", events[^1].Json!["error"]!["type"]!.GetValue<string>());
        Assert.DoesNotContain(events, e => e.Event == "message_stop");
    }

    [Fact]
    public async Task CutStream_EndsWithAnErrorEvent()
    {
        await using var h = await AnthropicGatewayHarness.StartAsync();
        h.Anthropic.Enqueue(AnthropicBehavior.Cut(eventsBefore: 4));

        var (_, body, _) = await h.PostAsync("/v1/messages",
            """{"model":"claude","max_tokens":10,"stream":true,"messages":[{"role":"user","content":"hi"}]}""");

        var events = SseReader.Parse(body);
        Assert.Equal("error", events[^1].Event);
        Assert.Equal("api_error", events[^1].Json!["error"]!["type"]!.GetValue<string>());
        Assert.DoesNotContain(events, e => e.Event == "message_stop");
    }

    [Fact]
    public async Task CountTokens_IsForwardedToAnthropic()
    {
        await using var h = await AnthropicGatewayHarness.StartAsync();
        h.Anthropic.CountTokensResult = 1234;

        var (status, body, headers) = await h.PostAsync("/v1/messages/count_tokens", """{"model":"claude","messages":[{"role":"user","content":"hi"}]}""");

        Assert.Equal(200, status);
        Assert.Equal(1234, JsonNode.Parse(body)!["input_tokens"]!.GetValue<int>());
        Assert.False(headers.Contains("x-switchyard-estimate"));
        Assert.Equal("/v1/messages/count_tokens", h.Anthropic.LastRequest!.Path);
        Assert.Equal(AnthropicGatewayHarness.ClaudeModel, h.Anthropic.LastRequest.Model);
    }
}
