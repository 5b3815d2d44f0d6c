using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Switchyard.Providers.Bedrock;
using Switchyard.Tests.TestKit;
using Switchyard.Tests.TestKit.Anthropic;
using Switchyard.Tests.TestKit.Bedrock;
using Switchyard.Tests.TestKit.Gemini;
using Switchyard.Tests.TestKit.Vertex;

namespace Switchyard.Tests.TestKitTests;

/// <summary>
/// The fakes refuse what the real providers refuse per model, and accept the closest valid body: every rule
/// has a refused case (status, error type and a fragment of the real wording) and an accepted neighbour, first
/// through the pure rule classes, then once per fake through its real socket and error shape.
/// </summary>
public sealed class StrictModelRulesTests
{
    private const string Sonnet4 = "claude-sonnet-4-20250514";
    private const string UserHi = """[{"role":"user","content":"hi"}]""";

    /// <summary>A tool loop: the assistant called a tool (its turn opening with <paramref name="firstAssistantBlock"/>
    /// when given), the user answers with the result.</summary>
    private static string ToolLoop(string? firstAssistantBlock) => $$$"""
        [{"role":"user","content":"weather?"},
         {"role":"assistant","content":[{{{(firstAssistantBlock is null ? "" : firstAssistantBlock + ",")}}}{"type":"tool_use","id":"toolu_1","name":"w","input":{}}]},
         {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"sunny"}]}]
        """;

    private const string Thinking = """ "thinking":{"type":"enabled","budget_tokens":1024} """;

    private static string Cached(int n) => string.Join(",", Enumerable.Range(0, n).Select(i => $$$"""{"type":"text","text":"part {{{i}}}","cache_control":{"type":"ephemeral"}}"""));

    /// <summary>(case, model, extra top-level members, messages, max_tokens, expected message fragment or null).</summary>
    public static TheoryData<string, string, string, string, int, string?> AnthropicCases => new()
    {
        { "1 temperature above 1", Sonnet4, """ "temperature":1.5 """, UserHi, 1024, "temperature: Input should be less than or equal to 1" },
        { "1 temperature below 0", Sonnet4, """ "temperature":-0.1 """, UserHi, 1024, "temperature: Input should be greater than or equal to 0" },
        { "1 temperature 1", Sonnet4, """ "temperature":1 """, UserHi, 1024, null },
        { "1 top_p above 1", Sonnet4, """ "top_p":1.2 """, UserHi, 1024, "top_p: Input should be less than or equal to 1" },
        { "1 top_p 1", Sonnet4, """ "top_p":1 """, UserHi, 1024, null },
        { "2 five cache breakpoints", Sonnet4, $$$""" "system":[{{{Cached(2)}}}],"tools":[{"name":"t","input_schema":{"type":"object"},"cache_control":{"type":"ephemeral"}}] """,
            $$"""[{"role":"user","content":[{{Cached(2)}}]}]""", 1024, "A maximum of 4 blocks with cache_control may be provided. Found 5." },
        { "2 four cache breakpoints", Sonnet4, $$$""" "system":[{{{Cached(1)}}}],"tools":[{"name":"t","input_schema":{"type":"object"},"cache_control":{"type":"ephemeral"}}] """,
            $$"""[{"role":"user","content":[{{Cached(2)}}]}]""", 1024, null },
        { "3 thinking with temperature 0.5", Sonnet4, Thinking + ""","temperature":0.5""", UserHi, 2048, "`temperature` may only be set to 1 when thinking is enabled" },
        { "3 thinking with temperature 1", Sonnet4, Thinking + ""","temperature":1""", UserHi, 2048, null },
        { "3 adaptive thinking with temperature 0.5", "claude-opus-4-6", """ "thinking":{"type":"adaptive"},"temperature":0.5 """, UserHi, 2048, "`temperature` may only be set to 1" },
        { "3 thinking with top_k", Sonnet4, Thinking + ""","top_k":5""", UserHi, 2048, "`top_k` must be unset when thinking is enabled" },
        { "3 top_k without thinking", Sonnet4, """ "top_k":5 """, UserHi, 2048, null },
        { "3 thinking with top_p 0.9", Sonnet4, Thinking + ""","top_p":0.9""", UserHi, 2048, "`top_p` must be greater than or equal to 0.95" },
        { "3 thinking with top_p 0.95", Sonnet4, Thinking + ""","top_p":0.95""", UserHi, 2048, null },
        { "3 thinking with tool_choice any", Sonnet4, Thinking + ""","tools":[{"name":"t","input_schema":{"type":"object"}}],"tool_choice":{"type":"any"}""", UserHi, 2048,
            "Thinking may not be enabled when tool_choice forces tool use." },
        { "3 thinking with tool_choice tool", Sonnet4, Thinking + ""","tools":[{"name":"t","input_schema":{"type":"object"}}],"tool_choice":{"type":"tool","name":"t"}""", UserHi, 2048,
            "Thinking may not be enabled when tool_choice forces tool use." },
        { "3 thinking with tool_choice auto", Sonnet4, Thinking + ""","tools":[{"name":"t","input_schema":{"type":"object"}}],"tool_choice":{"type":"auto"}""", UserHi, 2048, null },
        { "4 tool loop without the thinking block", Sonnet4, Thinking, ToolLoop(null), 2048,
            "messages.1.content.0.type: Expected `thinking` or `redacted_thinking`, but found `tool_use`. When `thinking` is enabled, a final `assistant` message must start with a thinking block" },
        { "4 tool loop replaying thinking", Sonnet4, Thinking, ToolLoop("""{"type":"thinking","thinking":"t","signature":"sig"}"""), 2048, null },
        { "4 tool loop replaying redacted thinking", Sonnet4, Thinking, ToolLoop("""{"type":"redacted_thinking","data":"abc"}"""), 2048, null },
        { "4 tool loop without thinking enabled", Sonnet4, "", ToolLoop(null), 2048, null },
        { "5 max_tokens over Claude 3 Haiku's", "claude-3-haiku-20240307", "", UserHi, 4097,
            "max_tokens: 4097 > 4096, which is the maximum allowed number of output tokens for claude-3-haiku-20240307" },
        { "5 max_tokens at Claude 3 Haiku's", "claude-3-haiku-20240307", "", UserHi, 4096, null },
        { "5 max_tokens over Claude 3.5 Sonnet's", "claude-3-5-sonnet-20241022", "", UserHi, 8193, "max_tokens: 8193 > 8192" },
        { "5 max_tokens over Opus 4.1's", "claude-opus-4-1-20250805", "", UserHi, 32001, "max_tokens: 32001 > 32000" },
        { "5 max_tokens at Opus 4's", "claude-opus-4-20250514", "", UserHi, 32000, null },
        { "5 max_tokens over Sonnet 4.5's (alias)", "claude-sonnet-4-5", "", UserHi, 64001, "max_tokens: 64001 > 64000, which is the maximum allowed number of output tokens for claude-sonnet-4-5" },
        { "5 max_tokens on a model the fake does not know", "claude-sonnet-4-6", "", UserHi, 100000, null },
        { "5 thinking on Claude 3.5 Haiku", "claude-3-5-haiku-20241022", Thinking, UserHi, 2048, "'claude-3-5-haiku-20241022' does not support thinking." },
        { "5 thinking on Claude 3.7 Sonnet", "claude-3-7-sonnet-20250219", Thinking, UserHi, 2048, null },
        { "5 temperature and top_p on Sonnet 4.5", "claude-sonnet-4-5-20250929", """ "temperature":0.5,"top_p":0.9 """, UserHi, 1024,
            "`temperature` and `top_p` cannot both be specified for this model. Please use only one." },
        { "5 temperature and top_p on Opus 4.1", "claude-opus-4-1-20250805", """ "temperature":0.5,"top_p":0.9 """, UserHi, 1024, "cannot both be specified" },
        { "5 temperature alone on Sonnet 4.5", "claude-sonnet-4-5-20250929", """ "temperature":0.5 """, UserHi, 1024, null },
        { "5 temperature and top_p on Sonnet 4", Sonnet4, """ "temperature":0.5,"top_p":0.9 """, UserHi, 1024, null },
        { "5 Vertex id over Claude 3 Haiku's", "claude-3-haiku@20240307", "", UserHi, 5000, "max_tokens: 5000 > 4096, which is the maximum allowed number of output tokens for claude-3-haiku-20240307" },
    };

    [Theory]
    [MemberData(nameof(AnthropicCases))]
    public void AnthropicRules_RefuseWhatTheMessagesApiRefuses(string name, string model, string extra, string messages, int maxTokens, string? expected)
    {
        var body = JsonNode.Parse($$"""{"model":"{{model}}","max_tokens":{{maxTokens}},"messages":{{messages}}{{(extra.Trim().Length > 0 ? "," + extra : "")}}}""")!.AsObject();

        var refusal = AnthropicModelRules.Check(body, model);

        AssertVerdict(name, refusal, "invalid_request_error", expected);
    }

    private const string ConverseHi = """ "messages":[{"role":"user","content":[{"text":"hi"}]}] """;
    private const string Haiku3 = "anthropic.claude-3-haiku-20240307-v1:0";
    private const string Sonnet4Profile = "us.anthropic.claude-sonnet-4-20250514-v1:0";
    private const string NovaPro = "us.amazon.nova-pro-v1:0";
    private const string ConverseThinking = """ "additionalModelRequestFields":{"thinking":{"type":"enabled","budget_tokens":1024}} """;
    private const string Point = """{"cachePoint":{"type":"default"}}""";

    private static string ConverseTools(bool cached) =>
        """ "toolConfig":{"tools":[{"toolSpec":{"name":"t","inputSchema":{"json":{"type":"object"}}}}""" + (cached ? "," + Point : "") + "]}";

    private static string ConverseLoop(string? first) =>
        """ "messages":[{"role":"user","content":[{"text":"weather?"}]},{"role":"assistant","content":[""" + (first is null ? "" : first + ",")
        + """{"toolUse":{"toolUseId":"t1","name":"w","input":{}}}]},{"role":"user","content":[{"toolResult":{"toolUseId":"t1","content":[{"text":"sunny"}]}}]}],"""
        + """ "toolConfig":{"tools":[{"toolSpec":{"name":"w","inputSchema":{"json":{"type":"object"}}}}]}""";

    /// <summary>(case, model id, body members).</summary>
    public static TheoryData<string, string, string, string?> ConverseCases => new()
    {
        { "6 Claude temperature above 1", Haiku3, ConverseHi + ""","inferenceConfig":{"temperature":1.5}""",
            "Value '1.5' at 'inferenceConfig.temperature' failed to satisfy constraint: Member must have value less than or equal to 1" },
        { "6 Claude temperature 1", Haiku3, ConverseHi + ""","inferenceConfig":{"temperature":1}""", null },
        { "6 Claude topP above 1", Haiku3, ConverseHi + ""","inferenceConfig":{"topP":1.01}""", "at 'inferenceConfig.topP' failed to satisfy constraint" },
        { "6 Nova topP below 0", NovaPro, ConverseHi + ""","inferenceConfig":{"topP":-0.1}""", "Member must have value greater than or equal to 0" },
        { "6 Nova topP 0.9", NovaPro, ConverseHi + ""","inferenceConfig":{"topP":0.9,"temperature":0.7}""", null },
        { "7 cachePoint on Claude 3 Haiku", Haiku3, ConverseHi + $$""","system":[{"text":"s"},{{Point}}]""",
            "You invoked an unsupported model or your request did not allow prompt caching." },
        { "7 cachePoint on Claude 3.5 Haiku", "us.anthropic.claude-3-5-haiku-20241022-v1:0", ConverseHi + $$""","system":[{"text":"s"},{{Point}}]""", null },
        { "7 cachePoint on Claude 3.5 Sonnet v2", "anthropic.claude-3-5-sonnet-20241022-v2:0", ConverseHi + $$""","system":[{"text":"s"},{{Point}}]""", "did not allow prompt caching" },
        { "7 cachePoint on Claude 3 Haiku by ARN", "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-haiku-20240307-v1:0",
            ConverseHi + $$""","system":[{"text":"s"},{{Point}}]""", "did not allow prompt caching" },
        { "7 cachePoint on Llama", "meta.llama3-70b-instruct-v1:0", ConverseHi + $$""","system":[{"text":"s"},{{Point}}]""", "did not allow prompt caching" },
        { "7 cachePoint in Nova's tools", NovaPro, ConverseHi + "," + ConverseTools(cached: true),
            "Malformed input request: #/toolConfig/tools/1: extraneous key [cachePoint] is not permitted" },
        { "7 cachePoint in Nova's system", NovaPro, ConverseHi + $$""","system":[{"text":"s"},{{Point}}],""" + ConverseTools(cached: false), null },
        { "7 cachePoint in Claude's tools", Sonnet4Profile, ConverseHi + "," + ConverseTools(cached: true), null },
        { "7 five cachePoints on Claude 3.7", "anthropic.claude-3-7-sonnet-20250219-v1:0",
            $$""" "system":[{"text":"a"},{{Point}},{"text":"b"},{{Point}}],"messages":[{"role":"user","content":[{"text":"c"},{{Point}},{"text":"d"},{{Point}}]}],""" + ConverseTools(cached: true),
            "The model returned the following errors: A maximum of 4 blocks with cache_control may be provided. Found 5." },
        { "7 four cachePoints on Claude 3.7", "anthropic.claude-3-7-sonnet-20250219-v1:0",
            $$""" "system":[{"text":"a"},{{Point}}],"messages":[{"role":"user","content":[{"text":"c"},{{Point}},{"text":"d"},{{Point}}]}],""" + ConverseTools(cached: true), null },
        { "8 thinking with temperature 0.5", Sonnet4Profile, ConverseHi + "," + ConverseThinking + ""","inferenceConfig":{"temperature":0.5}""",
            "The model returned the following errors: `temperature` may only be set to 1 when thinking is enabled" },
        { "8 thinking with temperature 1", Sonnet4Profile, ConverseHi + "," + ConverseThinking + ""","inferenceConfig":{"temperature":1,"maxTokens":4096}""", null },
        { "8 thinking with top_k", Sonnet4Profile, ConverseHi + ""","additionalModelRequestFields":{"thinking":{"type":"enabled","budget_tokens":1024},"top_k":5}""",
            "The model returned the following errors: `top_k` must be unset when thinking is enabled" },
        { "8 top_k without thinking", Sonnet4Profile, ConverseHi + ""","additionalModelRequestFields":{"top_k":5}""", null },
        { "8 thinking with topP 0.5", Sonnet4Profile, ConverseHi + "," + ConverseThinking + ""","inferenceConfig":{"topP":0.5}""", "`top_p` must be greater than or equal to 0.95" },
        { "8 thinking with topP 0.95", Sonnet4Profile, ConverseHi + "," + ConverseThinking + ""","inferenceConfig":{"topP":0.95}""", null },
        { "8 thinking with toolChoice any", Sonnet4Profile, ConverseHi + "," + ConverseThinking + ""","toolConfig":{"tools":[{"toolSpec":{"name":"t","inputSchema":{"json":{"type":"object"}}}}],"toolChoice":{"any":{}}}""",
            "The model returned the following errors: Thinking may not be enabled when tool_choice forces tool use." },
        { "8 thinking with toolChoice tool", Sonnet4Profile, ConverseHi + "," + ConverseThinking + ""","toolConfig":{"tools":[{"toolSpec":{"name":"t","inputSchema":{"json":{"type":"object"}}}}],"toolChoice":{"tool":{"name":"t"}}}""",
            "Thinking may not be enabled when tool_choice forces tool use." },
        { "8 thinking with toolChoice auto", Sonnet4Profile, ConverseHi + "," + ConverseThinking + ""","toolConfig":{"tools":[{"toolSpec":{"name":"t","inputSchema":{"json":{"type":"object"}}}}],"toolChoice":{"auto":{}}}""", null },
        { "8 tool loop without reasoningContent", Sonnet4Profile, ConverseLoop(null) + "," + ConverseThinking,
            "The model returned the following errors: messages.1.content.0.type: Expected `thinking` or `redacted_thinking`, but found `tool_use`." },
        { "8 tool loop replaying reasoningContent", Sonnet4Profile, ConverseLoop("""{"reasoningContent":{"reasoningText":{"text":"t","signature":"sig"}}}""") + "," + ConverseThinking, null },
        { "8 tool loop without thinking enabled", Sonnet4Profile, ConverseLoop(null), null },
        { "9 maxTokens over Claude 3 Haiku's", Haiku3, ConverseHi + ""","inferenceConfig":{"maxTokens":4097}""", "The maximum tokens you requested exceeds the model limit of 4096." },
        { "9 maxTokens at Claude 3 Haiku's", Haiku3, ConverseHi + ""","inferenceConfig":{"maxTokens":4096}""", null },
        { "9 maxTokens over Opus 4.1's", "anthropic.claude-opus-4-1-20250805-v1:0", ConverseHi + ""","inferenceConfig":{"maxTokens":32001}""", "exceeds the model limit of 32000" },
        { "9 thinking on Claude 3.5 Sonnet", "anthropic.claude-3-5-sonnet-20240620-v1:0", ConverseHi + "," + ConverseThinking,
            "The model returned the following errors: 'claude-3-5-sonnet-20240620' does not support thinking." },
        { "9 temperature and topP on Haiku 4.5", "global.anthropic.claude-haiku-4-5-20251001-v1:0", ConverseHi + ""","inferenceConfig":{"temperature":0.5,"topP":0.9}""",
            "The model returned the following errors: `temperature` and `top_p` cannot both be specified for this model." },
        { "9 temperature and topP on Claude 3 Haiku", Haiku3, ConverseHi + ""","inferenceConfig":{"temperature":0.5,"topP":0.9}""", null },
    };

    [Theory]
    [MemberData(nameof(ConverseCases))]
    public void ConverseRules_RefuseWhatBedrockRefuses(string name, string modelId, string members, string? expected)
    {
        var refusal = ConverseModelRules.Check(JsonNode.Parse("{" + members + "}")!.AsObject(), modelId);

        AssertVerdict(name, refusal, "ValidationException", expected);
    }

    /// <summary>(case, model, vertex?, body members).</summary>
    public static TheoryData<string, string, bool, string, string?> GeminiCases => new()
    {
        { "10 temperature above 2", "gemini-2.5-flash", false, """ "generationConfig":{"temperature":2.5} """, "temperature value of 2.5 but the supported range is from 0" },
        { "10 temperature 2", "gemini-2.5-flash", false, """ "generationConfig":{"temperature":2} """, null },
        { "10 temperature below 0 on Vertex", "gemini-2.5-flash", true, """ "generationConfig":{"temperature":-1} """, "temperature value of -1" },
        { "10 topP above 1", "gemini-2.5-flash", false, """ "generationConfig":{"topP":1.5} """, "topP value of 1.5 but the supported range is from 0 (inclusive) to 1" },
        { "10 topP 1", "gemini-2.5-flash", false, """ "generationConfig":{"topP":1} """, null },
        { "11 budget 0 on 2.5 Pro", "gemini-2.5-pro", false, """ "generationConfig":{"thinkingConfig":{"thinkingBudget":0}} """, "Budget 0 is invalid. This model only works in thinking mode." },
        { "11 budget 0 on 3 Pro (Vertex)", "gemini-3-pro-preview", true, """ "generationConfig":{"thinkingConfig":{"thinkingBudget":0}} """, "Budget 0 is invalid." },
        { "11 budget 128 on 2.5 Pro", "gemini-2.5-pro", false, """ "generationConfig":{"thinkingConfig":{"thinkingBudget":128}} """, null },
        { "11 budget 0 on 2.5 Flash", "gemini-2.5-flash", false, """ "generationConfig":{"thinkingConfig":{"thinkingBudget":0}} """, null },
        { "11 thinkingConfig on 2.0 Flash", "gemini-2.0-flash", false, """ "generationConfig":{"thinkingConfig":{"thinkingBudget":1024,"includeThoughts":true}} """,
            "thinking is not supported by this model" },
        { "11 2.0 Flash without thinkingConfig", "gemini-2.0-flash-001", true, """ "generationConfig":{"temperature":0.3} """, null },
        { "12 fileData without mimeType on Vertex", "gemini-2.5-flash", true, """ "contents":[{"role":"user","parts":[{"text":"see"},{"fileData":{"fileUri":"gs://b/a.pdf"}}]}] """,
            "Unable to submit request because it has an empty mimeType parameter in fileData." },
        { "12 fileData with mimeType on Vertex", "gemini-2.5-flash", true, """ "contents":[{"role":"user","parts":[{"fileData":{"fileUri":"gs://b/a.pdf","mimeType":"application/pdf"}}]}] """, null },
        { "12 fileData without mimeType on AI Studio", "gemini-2.5-flash", false,
            """ "contents":[{"role":"user","parts":[{"fileData":{"fileUri":"https://generativelanguage.googleapis.com/v1beta/files/abc"}}]}] """, null },
    };

    [Theory]
    [MemberData(nameof(GeminiCases))]
    public void GeminiRules_RefuseWhatGoogleRefuses(string name, string model, bool vertex, string members, string? expected)
    {
        var body = JsonNode.Parse("{" + members + "}")!.AsObject();
        body.TryAdd("contents", JsonNode.Parse("""[{"role":"user","parts":[{"text":"hi"}]}]"""));

        var refusal = GeminiModelRules.Check(body, model, vertex);

        AssertVerdict(name, refusal, "INVALID_ARGUMENT", expected);
    }

    [Theory]
    [InlineData(4097, 400)]
    [InlineData(4096, 200)]
    public async Task AnthropicFake_AnswersTheRuleInAnthropicsEnvelope(int maxTokens, int status)
    {
        await using var fake = await FakeAnthropicUpstream.StartAsync();
        using var client = FakeHttp.NewClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, fake.BaseUrl + "/messages")
        {
            Content = Json($$"""{"model":"claude-3-haiku-20240307","max_tokens":{{maxTokens}},"messages":{{UserHi}}}"""),
        };
        request.Headers.Add("x-api-key", "sk-ant-test");
        request.Headers.Add("anthropic-version", "2023-06-01");

        using var response = await client.SendAsync(request);

        var json = await AssertStatusAsync(response, status);
        if (status == 400)
        {
            Assert.Equal("error", (string?)json["type"]);
            Assert.Equal("invalid_request_error", (string?)json["error"]!["type"]);
            Assert.Equal("max_tokens: 4097 > 4096, which is the maximum allowed number of output tokens for claude-3-haiku-20240307", (string?)json["error"]!["message"]);
        }
    }

    [Theory]
    [InlineData("""{"type":"enabled","budget_tokens":1024}""", 400)]
    [InlineData("""{"type":"disabled"}""", 200)]
    public async Task VertexFake_AnswersClaudeRulesInAnthropicsEnvelope(string thinking, int status)
    {
        await using var fake = await FakeVertexUpstream.StartAsync();
        using var client = FakeHttp.NewClient();
        using var request = VertexPost(fake, "anthropic", "claude-3-5-haiku@20241022", "rawPredict",
            $$"""{"anthropic_version":"vertex-2023-10-16","max_tokens":2048,"messages":{{UserHi}},"thinking":{{thinking}}}""");

        using var response = await client.SendAsync(request);

        var json = await AssertStatusAsync(response, status);
        if (status == 400)
        {
            Assert.Equal("invalid_request_error", (string?)json["error"]!["type"]);
            Assert.Equal("'claude-3-5-haiku-20241022' does not support thinking.", (string?)json["error"]!["message"]);
        }
    }

    [Theory]
    [InlineData(false, 400)]
    [InlineData(true, 200)]
    public async Task VertexFake_AnswersGeminiRulesInGooglesEnvelope(bool typed, int status)
    {
        await using var fake = await FakeVertexUpstream.StartAsync();
        using var client = FakeHttp.NewClient();
        var file = typed ? """{"fileUri":"gs://b/a.pdf","mimeType":"application/pdf"}""" : """{"fileUri":"gs://b/a.pdf"}""";
        using var request = VertexPost(fake, "google", "gemini-2.5-flash", "generateContent",
            $$"""{"contents":[{"role":"user","parts":[{"text":"read"},{"fileData":{{file}}}]}]}""");

        using var response = await client.SendAsync(request);

        var json = await AssertStatusAsync(response, status);
        if (status == 400)
        {
            AssertGoogleError(json, "empty mimeType parameter in fileData");
        }
    }

    [Theory]
    [InlineData(2.5, 400)]
    [InlineData(2.0, 200)]
    public async Task GeminiFake_AnswersTheRuleInGooglesEnvelope(double temperature, int status)
    {
        await using var fake = await FakeGeminiUpstream.StartAsync();
        using var client = FakeHttp.NewClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, fake.BaseUrl + "/models/gemini-2.5-flash:generateContent")
        {
            Content = Json($$$"""{"contents":[{"role":"user","parts":[{"text":"hi"}]}],"generationConfig":{"temperature":{{{temperature.ToString(System.Globalization.CultureInfo.InvariantCulture)}}}}}"""),
        };
        request.Headers.Add("x-goog-api-key", fake.ApiKey);

        using var response = await client.SendAsync(request);

        var json = await AssertStatusAsync(response, status);
        if (status == 400)
        {
            AssertGoogleError(json, "temperature value of 2.5");
        }
    }

    [Theory]
    [InlineData("anthropic.claude-3-haiku-20240307-v1:0", false, 400)]
    [InlineData("anthropic.claude-3-haiku-20240307-v1:0", true, 400)]
    [InlineData("us.anthropic.claude-3-5-haiku-20241022-v1:0", false, 200)]
    public async Task BedrockFake_AnswersTheRuleAsAValidationException(string modelId, bool stream, int status)
    {
        var credentials = new AwsCredentials("AKIASTRICTTEST", "strict/secret");
        await using var fake = await FakeBedrockUpstream.StartAsync(credentials);
        using var client = FakeHttp.NewClient();
        var body = Encoding.UTF8.GetBytes("""{"system":[{"text":"s"},{"cachePoint":{"type":"default"}}],"messages":[{"role":"user","content":[{"text":"hi"}]}]}""");
        var operation = stream ? "converse-stream" : "converse";
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{fake.BaseUrl.ToString().TrimEnd('/')}/model/{Uri.EscapeDataString(modelId)}/{operation}")
        {
            Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
        };
        SigV4Signer.Sign(request, body, credentials, "us-east-1", BedrockAdapter.SigningService, DateTimeOffset.UtcNow);

        using var response = await client.SendAsync(request);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Null(Assert.Single(fake.Requests).SignatureProblem);
        if (status == 400)
        {
            Assert.StartsWith("ValidationException:", response.Headers.GetValues("x-amzn-ErrorType").Single(), StringComparison.Ordinal);
            var json = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            Assert.Equal("You invoked an unsupported model or your request did not allow prompt caching. See the documentation for more information.", (string?)json["message"]);
        }
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static HttpRequestMessage VertexPost(FakeVertexUpstream fake, string publisher, string model, string method, string body)
    {
        var url = $"{fake.BaseUrl.ToString().TrimEnd('/')}/v1/projects/p/locations/us-east5/publishers/{publisher}/models/{model}:{method}";
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = Json(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "ya29.test");
        return request;
    }

    private static async Task<JsonNode> AssertStatusAsync(HttpResponseMessage response, int status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == (int)response.StatusCode, $"expected {status}, got {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }

    private static void AssertGoogleError(JsonNode json, string fragment)
    {
        var error = json["error"]!;
        Assert.Equal(400, (int)error["code"]!);
        Assert.Equal("INVALID_ARGUMENT", (string?)error["status"]);
        Assert.Contains(fragment, (string?)error["message"], StringComparison.Ordinal);
    }

    private static void AssertVerdict(string name, ProviderRefusal? refusal, string type, string? expected)
    {
        if (expected is null)
        {
            Assert.True(refusal is null, $"{name}: expected acceptance, got {refusal}");
            return;
        }

        Assert.True(refusal is not null, $"{name}: expected a refusal containing '{expected}', got acceptance");
        Assert.Equal(400, refusal.Status);
        Assert.Equal(type, refusal.Type);
        Assert.Contains(expected, refusal.Message, StringComparison.Ordinal);
    }
}
