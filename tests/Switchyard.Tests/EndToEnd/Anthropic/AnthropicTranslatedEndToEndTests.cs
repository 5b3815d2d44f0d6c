using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Anthropic.Models.Messages;
using OpenAI.Chat;
using Switchyard.Tests.TestKit;
using Switchyard.Tests.TestKit.Anthropic;

namespace Switchyard.Tests.EndToEnd.Anthropic;

/// <summary>
/// (b) Anthropic SDK → alias served by the fake OpenAI upstream, and (c) OpenAI SDK → alias served by the fake
/// Anthropic upstream: translated both ways, streamed and whole, with tool calls.
/// </summary>
public sealed class AnthropicTranslatedEndToEndTests
{
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
    public async Task AnthropicSdk_ToOpenAIUpstream_Text()
    {
        await using var h = await AnthropicGatewayHarness.StartAsync();
        h.OpenAI.Enqueue(UpstreamBehavior.Text("Hello from GPT", usage: new FakeUsage(21, 4) { CachedTokens = 5 }));

        var message = await h.AnthropicSdk().Messages.Create(new MessageCreateParams
        {
            Model = "gpt",
            MaxTokens = 300,
            System = "Be brief.",
            Messages = [new UserMessageParam("hi")],
        });

        Assert.True(Assert.Single(message.Content).TryPickText(out var text));
        Assert.Equal("Hello from GPT", text.Text);
        Assert.StartsWith("msg_", message.ID);
        Assert.Equal("end_turn", message.StopReason!.Raw());
        Assert.Equal(16, message.Usage.InputTokens); // 21 prompt tokens, 5 of them read from cache
        Assert.Equal(5, message.Usage.CacheReadInputTokens);
        Assert.Equal(4, message.Usage.OutputTokens);

        var upstream = h.OpenAI.LastRequest!.Json!;
        Assert.Equal(AnthropicGatewayHarness.GptModel, upstream["model"]!.GetValue<string>());
        Assert.Equal(300, upstream["max_completion_tokens"]!.GetValue<int>());
        Assert.Equal("system", upstream["messages"]![0]!["role"]!.GetValue<string>());
        Assert.Equal("Be brief.", upstream["messages"]![0]!["content"]!.GetValue<string>());
    }

    [Fact]
    public async Task AnthropicSdk_ToOpenAIUpstream_StreamedToolCalls_AndToolResultsGoBack()
    {
        await using var h = await AnthropicGatewayHarness.StartAsync();
        h.OpenAI.Enqueue(UpstreamBehavior.ToolCalls(
            new FakeToolCall("get_weather", """{"city":"Paris"}""") { Id = "call_paris" },
            new FakeToolCall("get_weather", """{"city":"Rome"}""") { Id = "call_rome" }));

        var ask = new MessageCreateParams
        {
            Model = "gpt",
            MaxTokens = 300,
            Messages = [new UserMessageParam("Weather in Paris and Rome?")],
            Tools = [WeatherTool],
        };
        var calls = new List<(string Id, string Name, StringBuilder Json)>();
        string? stop = null;
        await foreach (var ev in h.AnthropicSdk().Messages.CreateStreaming(ask))
        {
            if (ev.TryPickContentBlockStart(out var start) && start.ContentBlock.TryPickToolUse(out var tu))
            {
                calls.Add((tu.ID, tu.Name, new StringBuilder()));
            }
            else if (ev.TryPickContentBlockDelta(out var delta) && delta.Delta.TryPickInputJson(out var part))
            {
                calls[^1].Json.Append(part.PartialJson);
            }
            else if (ev.TryPickDelta(out var md))
            {
                stop = md.Delta.StopReason?.Raw();
            }
        }

        Assert.Equal("tool_use", stop);
        Assert.Equal(["call_paris", "call_rome"], calls.Select(c => c.Id));
        Assert.Equal("""{"city":"Paris"}""", calls[0].Json.ToString());
        Assert.Equal("""{"city":"Rome"}""", calls[1].Json.ToString());
        var tools = h.OpenAI.LastRequest!.Json!["tools"]!;
        Assert.Equal("get_weather", tools[0]!["function"]!["name"]!.GetValue<string>());
        Assert.True(h.OpenAI.LastRequest.IncludeUsage);

        // The second turn: the assistant's tool_use blocks and the user's tool_result blocks.
        h.OpenAI.Enqueue(UpstreamBehavior.Text("Sunny in Paris, rain in Rome."));
        var followUp = ask with
        {
            Messages =
            [
                new UserMessageParam("Weather in Paris and Rome?"),
                new AssistantMessageParam(new List<ContentBlockParam>
                {
                    new ToolUseBlockParam { ID = "call_paris", Name = "get_weather", Input = new Dictionary<string, JsonElement> { ["city"] = JsonDocument.Parse("\"Paris\"").RootElement } },
                    new ToolUseBlockParam { ID = "call_rome", Name = "get_weather", Input = new Dictionary<string, JsonElement> { ["city"] = JsonDocument.Parse("\"Rome\"").RootElement } },
                }),
                new UserMessageParam(new List<ContentBlockParam>
                {
                    new ToolResultBlockParam("call_paris") { Content = "sunny" },
                    new ToolResultBlockParam("call_rome") { Content = "rain", IsError = false },
                }),
            ],
        };
        var answer = await h.AnthropicSdk().Messages.Create(followUp);
        Assert.True(answer.Content[0].TryPickText(out var text));
        Assert.Equal("Sunny in Paris, rain in Rome.", text.Text);

        var messages = h.OpenAI.LastRequest!.Json!["messages"]!.AsArray();
        Assert.Equal(["user", "assistant", "tool", "tool"], messages.Select(m => m!["role"]!.GetValue<string>()));
        Assert.Equal("call_paris", messages[1]!["tool_calls"]![0]!["id"]!.GetValue<string>());
        Assert.Equal("""{"city":"Paris"}""", messages[1]!["tool_calls"]![0]!["function"]!["arguments"]!.GetValue<string>());
        Assert.Equal("call_rome", messages[3]!["tool_call_id"]!.GetValue<string>());
        Assert.Equal("rain", messages[3]!["content"]!.GetValue<string>());
    }

    [Fact]
    public async Task OpenAISdk_ToAnthropicUpstream_StreamedText()
    {
        await using var h = await AnthropicGatewayHarness.StartAsync();
        h.Anthropic.Enqueue(AnthropicBehavior.Text("Claude says hi, ünïcode 🎉", chunks: 4, usage: new AnthropicUsage(40, 9) { CacheReadInputTokens = 10 }));

        var text = new StringBuilder();
        ChatTokenUsage? usage = null;
        ChatFinishReason? finish = null;
        await foreach (var update in h.OpenAISdk("claude").CompleteChatStreamingAsync([new SystemChatMessage("Be nice."), new UserChatMessage("hi")]))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }

            usage ??= update.Usage;
            finish ??= update.FinishReason;
        }

        Assert.Equal("Claude says hi, ünïcode 🎉", text.ToString());
        Assert.Equal(ChatFinishReason.Stop, finish);
        Assert.NotNull(usage);
        Assert.Equal(50, usage.InputTokenCount); // 40 uncached + 10 cache reads
        Assert.Equal(10, usage.InputTokenDetails.CachedTokenCount);
        Assert.Equal(9, usage.OutputTokenCount);

        var upstream = h.Anthropic.LastRequest!;
        Assert.Equal(AnthropicGatewayHarness.AnthropicKey, upstream.Header("x-api-key"));
        Assert.Equal("2023-06-01", upstream.Header("anthropic-version"));
        Assert.Equal(AnthropicGatewayHarness.ClaudeModel, upstream.Model);
        Assert.Equal(4096, upstream.Json!["max_tokens"]!.GetValue<int>()); // Anthropic requires it; the OpenAI client sent none
        Assert.Equal("Be nice.", upstream.Json["system"]!.GetValue<string>());
        Assert.True(upstream.IsStream);
    }

    [Fact]
    public async Task OpenAISdk_ToAnthropicUpstream_ToolCalls_WholeAndStreamed()
    {
        await using var h = await AnthropicGatewayHarness.StartAsync();
        var paris = new AnthropicToolUseBlock("toolu_paris", "get_weather", """{"city":"Paris"}""");
        var rome = new AnthropicToolUseBlock("toolu_rome", "get_weather", """{"city":"Rome"}""");
        h.Anthropic.Enqueue(AnthropicBehavior.ToolUse("Checking.", paris, rome), AnthropicBehavior.ToolUse(null, paris, rome));
        var tool = ChatTool.CreateFunctionTool("get_weather", "Current weather", BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string"}}}"""));
        var options = new ChatCompletionOptions { Tools = { tool }, AllowParallelToolCalls = false, MaxOutputTokenCount = 500 };

        ChatCompletion completion = await h.OpenAISdk("claude").CompleteChatAsync([new UserChatMessage("Weather?")], options);
        Assert.Equal(ChatFinishReason.ToolCalls, completion.FinishReason);
        Assert.Equal("Checking.", Assert.Single(completion.Content).Text);
        Assert.Equal(["toolu_paris", "toolu_rome"], completion.ToolCalls.Select(c => c.Id));
        Assert.Equal("""{"city":"Rome"}""", completion.ToolCalls[1].FunctionArguments.ToString());

        var sent = h.Anthropic.LastRequest!.Json!;
        Assert.Equal(500, sent["max_tokens"]!.GetValue<int>());
        Assert.Equal("get_weather", sent["tools"]![0]!["name"]!.GetValue<string>());
        Assert.Equal("city", sent["tools"]![0]!["input_schema"]!["properties"]!.AsObject().Single().Key);
        Assert.True(sent["tool_choice"]!["disable_parallel_tool_use"]!.GetValue<bool>());

        var ids = new Dictionary<int, string>();
        var args = new Dictionary<int, StringBuilder>();
        ChatFinishReason? finish = null;
        await foreach (var update in h.OpenAISdk("claude").CompleteChatStreamingAsync([new UserChatMessage("Weather?")], options))
        {
            foreach (var call in update.ToolCallUpdates)
            {
                if (call.ToolCallId is { } id)
                {
                    ids[call.Index] = id;
                }

                (args.TryGetValue(call.Index, out var sb) ? sb : args[call.Index] = new StringBuilder()).Append(call.FunctionArgumentsUpdate?.ToString());
            }

            finish ??= update.FinishReason;
        }

        Assert.Equal(ChatFinishReason.ToolCalls, finish);
        Assert.Equal("toolu_paris", ids[0]);
        Assert.Equal("toolu_rome", ids[1]);
        Assert.Equal("""{"city":"Paris"}""", args[0].ToString());
        Assert.Equal("""{"city":"Rome"}""", args[1].ToString());
    }

    [Fact]
    public async Task CountTokens_ForANonAnthropicAlias_IsAnEstimate()
    {
        await using var h = await AnthropicGatewayHarness.StartAsync();

        // 40 characters of text → 10 tokens.
        var (status, body, headers) = await h.PostAsync("/v1/messages/count_tokens",
            """{"model":"gpt","system":"0123456789","messages":[{"role":"user","content":"012345678901234567890123456789"}]}""");

        Assert.Equal(200, status);
        Assert.Equal(10, JsonNode.Parse(body)!["input_tokens"]!.GetValue<int>());
        Assert.Equal("true", headers.GetValues("x-switchyard-estimate").Single());
        Assert.Equal(0, h.OpenAI.RequestCount);
    }
}
