using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using OpenAI;
using OpenAI.Chat;
using Switchyard.Hosting;
using Switchyard.Tests.TestKit.Anthropic;

namespace Switchyard.Tests.EndToEnd.StructuredOutput;

/// <summary>
/// JSON-schema output from OpenAI Chat, Responses and Gemini clients to Claude: natively on a model that has
/// structured outputs (the fake refuses <c>output_config.format</c> on others and any open object schema), by a
/// forced tool on one that has not, streamed and not, and parsed by the client into the schema's type.
/// </summary>
public sealed class StructuredOutputToClaudeTests : IAsyncLifetime
{
    private const string Key = "sk-structured-tests";
    private const string Schema = """{"type":"object","properties":{"city":{"type":"string"},"temp":{"type":"integer"}},"required":["city","temp"]}""";
    private const string Answer = """{"city":"Oslo","temp":3}""";

    private FakeAnthropicUpstream anthropic = null!;
    private GatewayApp gateway = null!;
    private readonly string data = Path.Combine(Path.GetTempPath(), "switchyard-structured-" + Guid.NewGuid().ToString("N"));

    public async Task InitializeAsync()
    {
        anthropic = await FakeAnthropicUpstream.StartAsync();
        var yaml = $$"""
            auth: { keys: [{ id: t, key_env: TEST_KEY }] }
            providers:
              anth: { kind: anthropic, base_url: "{{anthropic.BaseUrl}}", api_key_env: ANT_KEY }
            deployments:
              new-d: { provider: anth, model: claude-sonnet-4-5-20250929 }
              old-d: { provider: anth, model: claude-3-5-haiku-20241022 }
            models:
              claude-new: { deployments: [new-d], max_attempts: 1 }
              claude-old: { deployments: [old-d], max_attempts: 1 }
              claude-lenient: { deployments: [new-d], max_attempts: 1, drop_unsupported_params: true }
            """;
        var env = new Dictionary<string, string> { ["TEST_KEY"] = Key, ["ANT_KEY"] = "sk-ant" };
        gateway = await GatewayApp.StartAsync(new GatewayStartOptions
        {
            ConfigYaml = yaml, Urls = "http://127.0.0.1:0", DataDirectory = data, ConsoleLogging = false, Environment = env.GetValueOrDefault,
        });
    }

    public async Task DisposeAsync()
    {
        await gateway.DisposeAsync();
        await anthropic.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(data, recursive: true);
    }

    private ChatClient Chat(string model) => new(model, new ApiKeyCredential(Key), new OpenAIClientOptions
    {
        Endpoint = new Uri(gateway.BaseAddress, "/v1"),
        RetryPolicy = new ClientRetryPolicy(0),
    });

    private static ChatCompletionOptions JsonOptions() => new()
    {
        ResponseFormat = ChatResponseFormat.CreateJsonSchemaFormat("weather", BinaryData.FromString(Schema), jsonSchemaIsStrict: true),
    };

    [Fact]
    public async Task OpenAIChat_ToANativeModel_SendsOutputConfig_AndTheClientParsesTheAnswer()
    {
        anthropic.Enqueue(AnthropicBehavior.Text(Answer));

        ChatCompletion completion = await Chat("claude-new").CompleteChatAsync([new UserChatMessage("Weather in Oslo?")], JsonOptions());

        var parsed = JsonSerializer.Deserialize<JsonObject>(completion.Content[0].Text)!;
        Assert.Equal("Oslo", parsed["city"]!.GetValue<string>());
        var sent = anthropic.Requests.Single().Json!;
        Assert.Equal("json_schema", sent["output_config"]!["format"]!["type"]!.GetValue<string>());
        Assert.False(sent["output_config"]!["format"]!["schema"]!["additionalProperties"]!.GetValue<bool>()); // closed by the gateway
        Assert.Null(sent["tools"]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task OpenAIChat_ToAModelWithoutIt_UsesAForcedTool_AndTheAnswerIsText(bool stream)
    {
        anthropic.Enqueue(AnthropicBehavior.ToolUse(null, new AnthropicToolUseBlock("toolu_01", "structured_output", Answer)));

        string text;
        ChatFinishReason? finish;
        if (stream)
        {
            var sb = new StringBuilder();
            finish = null;
            await foreach (var update in Chat("claude-old").CompleteChatStreamingAsync([new UserChatMessage("Weather?")], JsonOptions()))
            {
                foreach (var part in update.ContentUpdate)
                {
                    sb.Append(part.Text);
                }

                finish ??= update.FinishReason;
                Assert.Empty(update.ToolCallUpdates);
            }

            text = sb.ToString();
        }
        else
        {
            ChatCompletion completion = await Chat("claude-old").CompleteChatAsync([new UserChatMessage("Weather?")], JsonOptions());
            text = completion.Content[0].Text;
            finish = completion.FinishReason;
            Assert.Empty(completion.ToolCalls);
        }

        Assert.Equal("Oslo", JsonSerializer.Deserialize<JsonObject>(text)!["city"]!.GetValue<string>());
        Assert.Equal(ChatFinishReason.Stop, finish);
        var sent = anthropic.Requests.Single().Json!;
        Assert.Null(sent["output_config"]);
        Assert.Equal("structured_output", sent["tool_choice"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task OpenAIChat_Streamed_ToANativeModel_StreamsTheJson()
    {
        anthropic.Enqueue(AnthropicBehavior.Text(Answer, chunks: 4));
        var sb = new StringBuilder();
        await foreach (var update in Chat("claude-new").CompleteChatStreamingAsync([new UserChatMessage("Weather?")], JsonOptions()))
        {
            foreach (var part in update.ContentUpdate)
            {
                sb.Append(part.Text);
            }
        }

        Assert.Equal(Answer, sb.ToString());
    }

    [Fact]
    public async Task ResponsesAndGeminiClients_ToClaude_GetTheSchemaToo()
    {
        anthropic.Enqueue(AnthropicBehavior.Text(Answer), AnthropicBehavior.Text(Answer));
        using var http = new HttpClient { BaseAddress = gateway.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", Key);
        var responses = await http.PostAsync("/v1/responses", new StringContent(
            """{"model":"claude-new","input":"Weather?","text":{"format":{"type":"json_schema","name":"weather","schema":""" + Schema + ""","strict":true}}}""",
            Encoding.UTF8, "application/json"));
        var gemini = await http.PostAsync("/v1beta/models/claude-new:generateContent", new StringContent(
            """{"contents":[{"role":"user","parts":[{"text":"Weather?"}]}],"generationConfig":{"responseMimeType":"application/json","responseJsonSchema":""" + Schema + "}}",
            Encoding.UTF8, "application/json"));

        Assert.True(responses.IsSuccessStatusCode, await responses.Content.ReadAsStringAsync());
        Assert.True(gemini.IsSuccessStatusCode, await gemini.Content.ReadAsStringAsync());
        Assert.All(anthropic.Requests, r => Assert.Equal("json_schema", r.Json!["output_config"]!["format"]!["type"]!.GetValue<string>()));
        Assert.Contains("Oslo", await gemini.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ASchemaClaudeCannotTake_Is400NamingIt_OrDroppedAndListedWhenAllowed()
    {
        const string withMinimum = """{"type":"object","properties":{"temp":{"type":"integer","minimum":-90}},"required":["temp"]}""";
        var options = new ChatCompletionOptions { ResponseFormat = ChatResponseFormat.CreateJsonSchemaFormat("w", BinaryData.FromString(withMinimum)) };

        var refused = await Assert.ThrowsAsync<ClientResultException>(() => Chat("claude-new").CompleteChatAsync([new UserChatMessage("x")], options));
        Assert.Equal(400, refused.Status);
        Assert.Contains("properties.temp.minimum", refused.Message);
        Assert.Empty(anthropic.Requests);

        anthropic.Enqueue(AnthropicBehavior.Text("""{"temp":3}"""));
        var result = await Chat("claude-lenient").CompleteChatAsync([new UserChatMessage("x")], options);
        Assert.Contains("minimum", result.GetRawResponse().Headers.TryGetValue("x-switchyard-dropped-params", out var dropped) ? dropped : "");
        Assert.Null(anthropic.Requests.Single().Json!["output_config"]!["format"]!["schema"]!["properties"]!["temp"]!["minimum"]);
    }
}
