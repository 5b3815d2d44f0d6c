using System.ClientModel;
using System.Text;
using OpenAI.Chat;
using Switchyard.Tests.TestKit.Anthropic;
using Switchyard.Tests.TestKit.Gemini;
using Switchyard.Tests.TestKit.Vertex;

namespace Switchyard.Tests.EndToEnd.Vertex;

/// <summary>
/// The official OpenAI .NET SDK → the gateway → a fake Vertex AI (Gemini and Claude) that accepts only tokens the
/// fake Google token endpoint issued for the service account's signed assertion.
/// </summary>
[Collection(VertexGatewayCollection.Name)]
public sealed class VertexEndToEndTests(VertexGatewayFixture f)
{
    private const string GeminiPath = "/v1/projects/test-project/locations/us-east5/publishers/google/models/gemini-2.5-flash";
    private const string ClaudePath = "/v1/projects/test-project/locations/us-east5/publishers/anthropic/models/claude-sonnet-4@20250514";

    private static readonly ChatTool Weather = ChatTool.CreateFunctionTool("get_weather", "Weather for a city.",
        BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}"""));

    [Fact]
    public async Task Gemini_Text_NonStreaming()
    {
        f.Vertex.EnqueueGemini(GeminiReply.Text("Hello from Vertex Gemini", usage: new GeminiUsage(9, 4)));

        ChatCompletion completion = await f.Chat("vx-gemini").CompleteChatAsync([new SystemChatMessage("Be kind."), new UserChatMessage("hi")]);

        Assert.Equal("Hello from Vertex Gemini", Assert.Single(completion.Content).Text);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.Equal(9, completion.Usage.InputTokenCount);
        var sent = f.Vertex.Requests[^1];
        Assert.Equal(GeminiPath + ":generateContent", sent.Path);
        Assert.True(f.Tokens.IsValid(sent.Bearer));
        Assert.Null(sent.Header("x-goog-api-key"));
        Assert.Equal("Be kind.", (string?)sent.Json!["systemInstruction"]!["parts"]![0]!["text"]);
        Assert.Equal("hi", (string?)sent.Json["contents"]![0]!["parts"]![0]!["text"]);
    }

    [Fact]
    public async Task Gemini_Text_Streaming()
    {
        f.Vertex.EnqueueGemini(GeminiReply.Text("Streaming from Vertex, ünïcode 🎉", chunks: 4, usage: new GeminiUsage(7, 8)));

        var (text, finish, usage, _) = await StreamAsync("vx-gemini", [new UserChatMessage("stream")]);

        Assert.Equal("Streaming from Vertex, ünïcode 🎉", text);
        Assert.Equal(ChatFinishReason.Stop, finish);
        Assert.Equal(8, usage!.OutputTokenCount);
        var sent = f.Vertex.Requests[^1];
        Assert.Equal(GeminiPath + ":streamGenerateContent", sent.Path);
        Assert.Equal("?alt=sse", sent.Query);
        Assert.True(f.Tokens.IsValid(sent.Bearer));
    }

    [Fact]
    public async Task Gemini_Tools_CallThenResult_ThenStreamed()
    {
        f.Vertex.EnqueueGemini(GeminiReply.FunctionCalls(("get_weather", """{"city":"Paris"}""")), GeminiReply.Text("Sunny in Paris."));
        var options = new ChatCompletionOptions { Tools = { Weather } };
        List<ChatMessage> history = [new UserChatMessage("Weather in Paris?")];

        ChatCompletion first = await f.Chat("vx-gemini").CompleteChatAsync(history, options);
        Assert.Equal(ChatFinishReason.ToolCalls, first.FinishReason);
        Assert.Equal("""{"city":"Paris"}""", Assert.Single(first.ToolCalls).FunctionArguments.ToString());
        Assert.Equal("get_weather", (string?)f.Vertex.Requests[^1].Json!["tools"]![0]!["functionDeclarations"]![0]!["name"]);

        history.Add(new AssistantChatMessage(first));
        history.Add(new ToolChatMessage(first.ToolCalls[0].Id, """{"sky":"sunny"}"""));
        ChatCompletion second = await f.Chat("vx-gemini").CompleteChatAsync(history, options);
        Assert.Equal("Sunny in Paris.", second.Content[0].Text);
        var contents = f.Vertex.Requests[^1].Json!["contents"]!.AsArray();
        Assert.Equal("sunny", (string?)contents[2]!["parts"]![0]!["functionResponse"]!["response"]!["sky"]);

        f.Vertex.EnqueueGemini(GeminiReply.FunctionCalls(("get_weather", """{"city":"Oslo"}""")));
        var (_, finish, _, calls) = await StreamAsync("vx-gemini", [new UserChatMessage("Oslo?")], options);
        Assert.Equal(ChatFinishReason.ToolCalls, finish);
        Assert.Equal(("get_weather", """{"city":"Oslo"}"""), Assert.Single(calls));
    }

    [Fact]
    public async Task Claude_Text_NonStreaming()
    {
        f.Vertex.EnqueueClaude(AnthropicBehavior.Text("Hello from Claude on Vertex") with { Usage = new AnthropicUsage(11, 5) });

        ChatCompletion completion = await f.Chat("vx-claude").CompleteChatAsync(
            [new SystemChatMessage("Be brief."), new UserChatMessage("hi")], new ChatCompletionOptions { MaxOutputTokenCount = 64 });

        Assert.Equal("Hello from Claude on Vertex", Assert.Single(completion.Content).Text);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.Equal(11, completion.Usage.InputTokenCount);
        Assert.Equal(5, completion.Usage.OutputTokenCount);
        var sent = f.Vertex.Requests[^1];
        Assert.Equal(ClaudePath + ":rawPredict", sent.Path);
        Assert.True(f.Tokens.IsValid(sent.Bearer));
        Assert.Equal("vertex-2023-10-16", (string?)sent.Json!["anthropic_version"]);
        Assert.Null(sent.Json["model"]);
        Assert.Null(sent.Header("anthropic-version"));
        Assert.Null(sent.Header("x-api-key"));
        Assert.Equal(64, (int)sent.Json["max_tokens"]!);
        Assert.Equal("Be brief.", (string?)sent.Json["system"]);
    }

    [Fact]
    public async Task Claude_Text_Streaming()
    {
        f.Vertex.EnqueueClaude(AnthropicBehavior.Text("Streaming Claude via Vertex works.", chunks: 5) with { Usage = new AnthropicUsage(6, 9) });

        var (text, finish, usage, _) = await StreamAsync("vx-claude", [new UserChatMessage("stream please")]);

        Assert.Equal("Streaming Claude via Vertex works.", text);
        Assert.Equal(ChatFinishReason.Stop, finish);
        Assert.Equal(6, usage!.InputTokenCount);
        Assert.Equal(9, usage.OutputTokenCount);
        var sent = f.Vertex.Requests[^1];
        Assert.Equal(ClaudePath + ":streamRawPredict", sent.Path);
        Assert.True((bool)sent.Json!["stream"]!);
    }

    [Fact]
    public async Task Claude_Tools_CallThenResult()
    {
        f.Vertex.EnqueueClaude(
            AnthropicBehavior.ToolUse("Let me check.", new AnthropicToolUseBlock("toolu_vrtx_01", "get_weather", """{"city":"Rome"}""")),
            AnthropicBehavior.Text("Rain in Rome."));
        var options = new ChatCompletionOptions { Tools = { Weather } };
        List<ChatMessage> history = [new UserChatMessage("Weather in Rome?")];

        ChatCompletion first = await f.Chat("vx-claude").CompleteChatAsync(history, options);
        Assert.Equal(ChatFinishReason.ToolCalls, first.FinishReason);
        var call = Assert.Single(first.ToolCalls);
        Assert.Equal(("toolu_vrtx_01", "get_weather", """{"city":"Rome"}"""), (call.Id, call.FunctionName, call.FunctionArguments.ToString()));
        Assert.Equal("get_weather", (string?)f.Vertex.Requests[^1].Json!["tools"]![0]!["name"]);

        history.Add(new AssistantChatMessage(first));
        history.Add(new ToolChatMessage(call.Id, "rain"));
        ChatCompletion second = await f.Chat("vx-claude").CompleteChatAsync(history, options);

        Assert.Equal("Rain in Rome.", second.Content[0].Text);
        var messages = f.Vertex.Requests[^1].Json!["messages"]!.AsArray();
        Assert.Contains(messages[1]!["content"]!.AsArray(), b => (string?)b!["type"] == "tool_use" && (string?)b["id"] == "toolu_vrtx_01");
        Assert.Contains(messages[2]!["content"]!.AsArray(), b => (string?)b!["type"] == "tool_result" && (string?)b["tool_use_id"] == "toolu_vrtx_01");
    }

    [Fact]
    public async Task Claude_Tools_Streaming()
    {
        f.Vertex.EnqueueClaude(AnthropicBehavior.ToolUse(null, new AnthropicToolUseBlock("toolu_vrtx_02", "get_weather", """{"city":"Lima"}""")));

        var (_, finish, _, calls) = await StreamAsync("vx-claude", [new UserChatMessage("Lima?")], new ChatCompletionOptions { Tools = { Weather } });

        Assert.Equal(ChatFinishReason.ToolCalls, finish);
        Assert.Equal(("get_weather", """{"city":"Lima"}"""), Assert.Single(calls));
        Assert.Equal(ClaudePath + ":streamRawPredict", f.Vertex.Requests[^1].Path);
    }

    [Fact]
    public async Task AKeyFile_AndThePublisherSetting_Work()
    {
        f.Vertex.EnqueueClaude(AnthropicBehavior.Text("From the tuned Claude"));

        ChatCompletion completion = await f.Chat("vx-file").CompleteChatAsync([new UserChatMessage("hi")]);

        Assert.Equal("From the tuned Claude", completion.Content[0].Text);
        var sent = f.Vertex.Requests[^1];
        Assert.Equal("/v1/projects/file-project/locations/europe-west1/publishers/anthropic/models/custom-claude-tune:rawPredict", sent.Path);
        Assert.True(f.Tokens.IsValid(sent.Bearer));
    }

    [Fact]
    public async Task EachProvider_MintsOnce_ForAllItsRequests()
    {
        for (var i = 0; i < 3; i++)
        {
            await f.Chat("vx-gemini").CompleteChatAsync([new UserChatMessage("again")]);
            await f.Chat("vx-claude").CompleteChatAsync([new UserChatMessage("again")]);
        }

        var bearers = f.Vertex.Requests.Where(r => r.Project == "test-project" && r.Bearer is not null).Select(r => r.Bearer).Distinct().ToList();
        Assert.True(f.Tokens.IsValid(Assert.Single(bearers)));
        Assert.InRange(f.Tokens.Mints, 1, 2); // "vertex", and "vertex-file" when its test ran first
    }

    [Fact]
    public async Task UnusableCredentials_AreAnUpstreamAuthFailure_NamingTheVariable()
    {
        var error = await Assert.ThrowsAsync<ClientResultException>(() => f.Chat("vx-broken").CompleteChatAsync([new UserChatMessage("hi")]));

        Assert.Equal(502, error.Status);
        var body = error.GetRawResponse()!.Content.ToString();
        Assert.Contains("upstream_auth_failed", body, StringComparison.Ordinal);
        Assert.Contains("environment variable VERTEX_SA_UNSET (settings.credentials_env) is not set", body, StringComparison.Ordinal);
        Assert.Null(f.Vertex.Requests[^1].Bearer);
    }

    [Fact]
    public async Task UnusableCredentials_FallBackToAnotherDeployment()
    {
        f.Vertex.EnqueueGemini(GeminiReply.Text("Answered by the fallback"));

        var result = await f.Chat("vx-broken-then-gemini").CompleteChatAsync([new UserChatMessage("hi")]);

        Assert.Equal("Answered by the fallback", result.Value.Content[0].Text);
        Assert.True(result.GetRawResponse().Headers.TryGetValue("x-switchyard-deployment", out var deployment));
        Assert.Equal("gemini-on-vertex", deployment);
        var lastTwo = f.Vertex.Requests.TakeLast(2).ToList();
        Assert.Null(lastTwo[0].Bearer);
        Assert.True(f.Tokens.IsValid(lastTwo[1].Bearer));
    }

    private async Task<(string Text, ChatFinishReason? Finish, ChatTokenUsage? Usage, List<(string Name, string Args)> Calls)> StreamAsync(
        string alias, List<ChatMessage> messages, ChatCompletionOptions? options = null)
    {
        var text = new StringBuilder();
        ChatTokenUsage? usage = null;
        ChatFinishReason? finish = null;
        var names = new Dictionary<int, string>();
        var args = new Dictionary<int, StringBuilder>();
        await foreach (var update in f.Chat(alias).CompleteChatStreamingAsync(messages, options))
        {
            text.Append(string.Concat(update.ContentUpdate.Select(p => p.Text)));
            foreach (var call in update.ToolCallUpdates)
            {
                if (call.FunctionName is { } name)
                {
                    names[call.Index] = name;
                }

                (args.TryGetValue(call.Index, out var sb) ? sb : args[call.Index] = new StringBuilder()).Append(call.FunctionArgumentsUpdate?.ToString());
            }

            usage ??= update.Usage;
            finish ??= update.FinishReason;
        }

        return (text.ToString(), finish, usage, [.. names.OrderBy(n => n.Key).Select(n => (n.Value, args[n.Key].ToString()))]);
    }
}
