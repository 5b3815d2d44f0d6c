using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text;
using OpenAI;
using OpenAI.Chat;
using Switchyard.Hosting;
using Switchyard.Providers.Bedrock;
using Switchyard.Tests.TestKit.Bedrock;

namespace Switchyard.Tests.EndToEnd.Bedrock;

/// <summary>
/// The official OpenAI .NET SDK → the gateway → a fake Bedrock runtime that checks every SigV4 signature and
/// answers with real Converse JSON and event-stream frames.
/// </summary>
public sealed class BedrockEndToEndTests : IAsyncLifetime
{
    private const string Model = "anthropic.claude-3-5-sonnet-20240620-v1:0";
    private static readonly AwsCredentials Credentials = new("AKIAE2ETESTKEY", "e2e/secret+key", "e2e-session-token");

    private FakeBedrockUpstream bedrock = null!;
    private GatewayApp gateway = null!;
    private string dataDir = null!;

    public async Task InitializeAsync()
    {
        bedrock = await FakeBedrockUpstream.StartAsync(Credentials);
        dataDir = Directory.CreateTempSubdirectory("switchyard-bedrock-e2e-").FullName;
        gateway = await StartGatewayAsync(Credentials.SecretAccessKey);
    }

    public async Task DisposeAsync()
    {
        await gateway.DisposeAsync();
        await bedrock.DisposeAsync();
        Directory.Delete(dataDir, recursive: true);
    }

    [Fact]
    public async Task NonStreaming_Text_IsSignedTranslatedAndAnswered()
    {
        bedrock.Enqueue(BedrockReply.Text("Bonjour !", inputTokens: 20, outputTokens: 4));

        ClientResult<ChatCompletion> result = await Chat().CompleteChatAsync(
            [new SystemChatMessage("Be brief."), new UserChatMessage("Say hello in French.")],
            new ChatCompletionOptions { MaxOutputTokenCount = 64 });

        var completion = result.Value;
        Assert.Equal("Bonjour !", Assert.Single(completion.Content).Text);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.Equal(20, completion.Usage.InputTokenCount);
        Assert.Equal(4, completion.Usage.OutputTokenCount);
        Assert.True(result.GetRawResponse().Headers.TryGetValue("x-switchyard-deployment", out var deployment));
        Assert.Equal("claude-bedrock", deployment);

        var request = Assert.Single(bedrock.Requests);
        Assert.Null(request.SignatureProblem);
        Assert.Equal("/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse", request.RawTarget);
        Assert.Equal("e2e-session-token", request.Headers["x-amz-security-token"]);
        Assert.Equal("Be brief.", (string)request.Json!["system"]![0]!["text"]!);
        Assert.Equal("Say hello in French.", (string)request.Json["messages"]![0]!["content"]![0]!["text"]!);
        Assert.Equal(64, (int)request.Json["inferenceConfig"]!["maxTokens"]!);
    }

    [Fact]
    public async Task Streaming_Text_ArrivesInPieces_WithUsage()
    {
        bedrock.Enqueue(BedrockReply.Text("Streaming from Bedrock works.", inputTokens: 9, outputTokens: 5, chunks: 4));

        var text = new StringBuilder();
        ChatTokenUsage? usage = null;
        ChatFinishReason? finish = null;
        await foreach (var update in Chat().CompleteChatStreamingAsync([new UserChatMessage("stream please")]))
        {
            text.Append(string.Concat(update.ContentUpdate.Select(p => p.Text)));
            usage ??= update.Usage;
            finish ??= update.FinishReason;
        }

        Assert.Equal("Streaming from Bedrock works.", text.ToString());
        Assert.Equal(ChatFinishReason.Stop, finish);
        Assert.Equal(9, usage!.InputTokenCount);
        Assert.Equal(5, usage.OutputTokenCount);
        var request = Assert.Single(bedrock.Requests);
        Assert.True(request.IsStream);
        Assert.Null(request.SignatureProblem);
    }

    [Fact]
    public async Task Streaming_ParallelToolCalls_AreReassembledByTheSdk()
    {
        bedrock.Enqueue(BedrockReply.ToolUse(("tooluse_w1", "get_weather", """{"city":"Paris"}"""), ("tooluse_t2", "get_time", """{"tz":"CET"}""")));
        var options = new ChatCompletionOptions();
        options.Tools.Add(ChatTool.CreateFunctionTool("get_weather", "Weather", BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string"}}}""")));
        options.Tools.Add(ChatTool.CreateFunctionTool("get_time", "Time"));

        var ids = new Dictionary<int, string>();
        var names = new Dictionary<int, string>();
        var arguments = new Dictionary<int, StringBuilder>();
        ChatFinishReason? finish = null;
        ChatTokenUsage? usage = null;
        await foreach (var update in Chat().CompleteChatStreamingAsync([new UserChatMessage("weather and time?")], options))
        {
            foreach (var call in update.ToolCallUpdates)
            {
                if (call.ToolCallId is { } id)
                {
                    ids[call.Index] = id;
                }

                if (call.FunctionName is { } name)
                {
                    names[call.Index] = name;
                }

                (arguments.TryGetValue(call.Index, out var b) ? b : arguments[call.Index] = new StringBuilder()).Append(call.FunctionArgumentsUpdate?.ToString());
            }

            finish ??= update.FinishReason;
            usage ??= update.Usage;
        }

        Assert.Equal(ChatFinishReason.ToolCalls, finish);
        Assert.Equal(["tooluse_w1", "tooluse_t2"], [ids[0], ids[1]]);
        Assert.Equal(["get_weather", "get_time"], [names[0], names[1]]);
        Assert.Equal("""{"city":"Paris"}""", arguments[0].ToString());
        Assert.Equal("""{"tz":"CET"}""", arguments[1].ToString());
        Assert.Equal(30, usage!.InputTokenCount);

        var request = Assert.Single(bedrock.Requests);
        Assert.True(request.IsStream);
        Assert.Equal("get_weather", (string)request.Json!["toolConfig"]!["tools"]![0]!["toolSpec"]!["name"]!);
    }

    [Fact]
    public async Task ToolResults_GoBackAsToolUseAndToolResultBlocks()
    {
        bedrock.Enqueue(BedrockReply.Text("It is 18 °C in Paris."));
        var options = new ChatCompletionOptions();
        options.Tools.Add(ChatTool.CreateFunctionTool("get_weather", "Weather"));
        List<ChatMessage> conversation =
        [
            new UserChatMessage("Weather in Paris?"),
            new AssistantChatMessage([ChatToolCall.CreateFunctionToolCall("tooluse_w1", "get_weather", BinaryData.FromString("""{"city":"Paris"}"""))]),
            new ToolChatMessage("tooluse_w1", """{"temp_c":18}"""),
        ];

        ChatCompletion completion = await Chat().CompleteChatAsync(conversation, options);

        Assert.Equal("It is 18 °C in Paris.", completion.Content[0].Text);
        var messages = Assert.Single(bedrock.Requests).Json!["messages"]!.AsArray();
        Assert.Equal(3, messages.Count);
        Assert.Equal("""{"toolUseId":"tooluse_w1","name":"get_weather","input":{"city":"Paris"}}""", messages[1]!["content"]![0]!["toolUse"]!.ToJsonString());
        var result = messages[2]!["content"]![0]!["toolResult"]!;
        Assert.Equal("tooluse_w1", (string)result["toolUseId"]!);
        Assert.Equal("""{"temp_c":18}""", (string)result["content"]![0]!["text"]!);
    }

    [Fact]
    public async Task Throttling_IsRetried_AndReported()
    {
        bedrock.Enqueue(BedrockReply.Error(429, "ThrottlingException", "Too many requests, please wait before trying again."), BedrockReply.Text("after the wait"));

        ClientResult<ChatCompletion> result = await Chat().CompleteChatAsync([new UserChatMessage("hi")]);

        Assert.Equal("after the wait", result.Value.Content[0].Text);
        Assert.True(result.GetRawResponse().Headers.TryGetValue("x-switchyard-attempts", out var attempts));
        Assert.Equal("2", attempts);
        Assert.True(result.GetRawResponse().Headers.TryGetValue("x-switchyard-fallback-reason", out var reason));
        Assert.Equal("rate_limited", reason);
        Assert.All(bedrock.Requests, r => Assert.Null(r.SignatureProblem));
    }

    [Fact]
    public async Task ExceptionMidStream_EndsTheClientStreamWithAnErrorEvent()
    {
        bedrock.Enqueue(BedrockReply.Stream(BedrockStreamScript.Parse("""
            {"event": "messageStart", "data": {"role": "assistant"}}
            {"event": "contentBlockDelta", "data": {"contentBlockIndex": 0, "delta": {"text": "Once upon a"}}}
            {"exception": "modelStreamErrorException", "data": {"message": "The model stream broke."}}
            """), chunkDelay: TimeSpan.FromMilliseconds(100))); // the exception must come after the gateway committed

        var sse = await PostStreamAsync();

        Assert.Contains("\"content\":\"Once upon a\"", sse, StringComparison.Ordinal);
        Assert.EndsWith("\"code\":\"modelStreamErrorException\"}}\n\n", sse, StringComparison.Ordinal);
        Assert.DoesNotContain("[DONE]", sse, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExceptionBeforeAnyContent_IsRetriedInvisibly()
    {
        bedrock.Enqueue(
            BedrockReply.Stream(BedrockStreamScript.Parse("""
                {"event": "messageStart", "data": {"role": "assistant"}}
                {"exception": "throttlingException", "data": {"message": "Too many tokens."}}
                """)),
            BedrockReply.Text("second time lucky", chunks: 1));

        var sse = await PostStreamAsync();

        Assert.Contains("\"content\":\"second time lucky\"", sse, StringComparison.Ordinal);
        Assert.EndsWith("data: [DONE]\n\n", sse, StringComparison.Ordinal);
        Assert.Equal(2, bedrock.Requests.Count);
    }

    [Fact]
    public async Task WrongSecret_IsRejectedByTheFake_AndReportedAsAnUpstreamAuthFailure()
    {
        await using var misconfigured = await StartGatewayAsync("not-the-secret");

        var error = await Assert.ThrowsAsync<ClientResultException>(() => Chat(misconfigured).CompleteChatAsync([new UserChatMessage("hi")]));

        Assert.Equal(502, error.Status);
        Assert.Contains("upstream_auth_failed", error.GetRawResponse()!.Content.ToString(), StringComparison.Ordinal);
        Assert.Equal("signature mismatch", Assert.Single(bedrock.Requests).SignatureProblem);
    }

    /// <summary>A raw streamed request, so the exact SSE the client got can be checked (the SDK hides error events).</summary>
    private async Task<string> PostStreamAsync()
    {
        using var http = new HttpClient { BaseAddress = gateway.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        using var content = new StringContent("""{"model":"bedrock-claude","stream":true,"messages":[{"role":"user","content":"tell a story"}]}""", Encoding.UTF8, "application/json");
        using var response = await http.PostAsync("/v1/chat/completions", content);
        Assert.Equal(200, (int)response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    private async Task<GatewayApp> StartGatewayAsync(string secret)
    {
        var environment = new Dictionary<string, string>
        {
            ["E2E_AWS_KEY_ID"] = Credentials.AccessKeyId,
            ["E2E_AWS_SECRET"] = secret,
            ["E2E_AWS_TOKEN"] = Credentials.SessionToken!,
        };
        return await GatewayApp.StartAsync(new GatewayStartOptions
        {
            ConfigYaml = $$"""
                providers:
                  aws:
                    kind: bedrock
                    base_url: {{bedrock.BaseUrl}}
                    settings:
                      region: us-east-1
                      access_key_id_env: E2E_AWS_KEY_ID
                      secret_access_key_env: E2E_AWS_SECRET
                      session_token_env: E2E_AWS_TOKEN
                deployments:
                  claude-bedrock:
                    provider: aws
                    model: {{Model}}
                models:
                  bedrock-claude: claude-bedrock
                """,
            Urls = "http://127.0.0.1:0",
            DataDirectory = Path.Combine(dataDir, Guid.NewGuid().ToString("N")),
            Environment = name => environment.GetValueOrDefault(name),
            ConsoleLogging = false,
        });
    }

    private ChatClient Chat(GatewayApp? app = null) => new("bedrock-claude", new ApiKeyCredential("unused"), new OpenAIClientOptions
    {
        Endpoint = new Uri((app ?? gateway).BaseAddress, "/v1"),
        RetryPolicy = new ClientRetryPolicy(maxRetries: 0), // the gateway's own retries are under test
        NetworkTimeout = TimeSpan.FromSeconds(30),
    });
}
