using System.Text.Json;
using System.Text.Json.Nodes;
using Switchyard.Canonical;
using Switchyard.Providers.Bedrock;

namespace Switchyard.Tests.Providers.Bedrock;

public sealed class BedrockRequestWriterTests
{
    private static readonly BedrockModelTraits Claude = BedrockModelTraits.For("us.anthropic.claude-sonnet-4-20250514-v1:0");
    private static readonly BedrockModelTraits Llama = BedrockModelTraits.For("meta.llama3-1-70b-instruct-v1:0");
    private static readonly BedrockModelTraits Nova = BedrockModelTraits.For("amazon.nova-pro-v1:0");

    [Theory]
    [InlineData("n")]
    [InlineData("response_format")]
    [InlineData("seed")]
    [InlineData("presence_penalty")]
    [InlineData("parallel_tool_calls")]
    [InlineData("image_url")]
    public void Unexpressible_IsRefused_OrDroppedAndListed(string field)
    {
        var request = User("hi");
        switch (field)
        {
            case "n": request.N = 2; break;
            case "response_format": // JSON output is a forced tool: it cannot sit beside the request's own tools
                request.ResponseFormat = new ResponseFormat(ResponseFormatKind.JsonObject);
                request.Tools.Add(new ToolDefinition("f", null, null));
                break;
            case "seed": request.Seed = 1; break;
            case "presence_penalty": request.PresencePenalty = 0.1; break;
            case "parallel_tool_calls":
                request.ParallelToolCalls = false;
                request.Tools.Add(new ToolDefinition("f", null, null));
                break;
            case "image_url": request.Messages[0].Content.Add(new ImagePart("https://example.com/a.png", null, null)); break;
        }

        var refused = Assert.Throws<UnsupportedFeatureException>(() => Write(request, Claude, allowDrop: false, out _));
        Assert.Equal(field, refused.Field);

        Write(request, Claude, allowDrop: true, out var dropped);
        Assert.Contains(field, dropped);
    }

    [Fact]
    public void JsonOutput_IsAForcedToolWhoseInputIsTheSchema()
    {
        var request = User("hi");
        using var schema = System.Text.Json.JsonDocument.Parse("""{"type":"object","properties":{"a":{"type":"string"}}}""");
        request.ResponseFormat = new ResponseFormat(ResponseFormatKind.JsonSchema, "x", schema.RootElement.Clone());

        var body = Write(request, Claude, allowDrop: false, out _);

        Assert.Equal("structured_output", body["toolConfig"]!["toolChoice"]!["tool"]!["name"]!.GetValue<string>());
        Assert.Equal("string", body["toolConfig"]!["tools"]![0]!["toolSpec"]!["inputSchema"]!["json"]!["properties"]!["a"]!["type"]!.GetValue<string>());
    }

    [Fact]
    public void ToolChoiceNone_WithoutToolHistory_LeavesTheToolsOut()
    {
        var request = User("hi");
        request.Tools.Add(new ToolDefinition("f", null, null));
        request.ToolChoice = new ToolChoice(ToolChoiceKind.None);

        Assert.Null(Write(request, Claude, false, out var dropped)["toolConfig"]);
        Assert.Empty(dropped);
    }

    [Fact]
    public void ToolChoiceNone_WithToolHistory_IsRefused()
    {
        var request = User("hi");
        request.Tools.Add(new ToolDefinition("f", null, null));
        request.ToolChoice = new ToolChoice(ToolChoiceKind.None);
        var assistant = new Message(Role.Assistant);
        assistant.Content.Add(new ToolCallPart("t1", "f", "{}"));
        request.Messages.Add(assistant);

        Assert.Equal("tool_choice", Assert.Throws<UnsupportedFeatureException>(() => Write(request, Claude, false, out _)).Field);
    }

    [Fact]
    public void InvalidToolArguments_AreRefusedEvenWhenDropping()
    {
        var request = User("hi");
        var assistant = new Message(Role.Assistant);
        assistant.Content.Add(new ToolCallPart("t1", "f", "{\"city\": "));
        request.Messages.Add(assistant);

        Assert.Equal("tool_calls", Assert.Throws<UnsupportedFeatureException>(() => Write(request, Claude, true, out _)).Field);
    }

    [Fact]
    public void ConsecutiveTurnsOfOneRole_AndBlankTurns_AreMerged()
    {
        var request = User("first");
        request.Messages.Add(new Message(Role.Assistant)); // left empty, e.g. content ""
        var second = new Message(Role.User);
        second.Content.Add(new TextPart("second"));
        request.Messages.Add(second);

        var messages = Write(request, Claude, false, out _)["messages"]!.AsArray();

        var only = Assert.Single(messages)!;
        Assert.Equal("""[{"text":"first"},{"text":"second"}]""", only["content"]!.ToJsonString());
    }

    [Fact]
    public void ThinkingBudget_ShrinksUnderMaxTokens_AndIsRefusedWhenTheMinimumDoesNotFit()
    {
        var request = User("think");
        request.Reasoning = new ReasoningConfig("high", null);
        request.MaxTokens = 5000;
        Assert.Equal(4999, Write(request, Claude, false, out _)["additionalModelRequestFields"]!["thinking"]!["budget_tokens"]!.GetValue<int>());

        request.MaxTokens = 1000;
        Assert.Equal("reasoning", Assert.Throws<UnsupportedFeatureException>(() => Write(request, Claude, false, out _)).Field);

        request.MaxTokens = null;
        var body = Write(request, Claude, false, out _);
        Assert.Equal(24576 + BedrockRequestWriter.AnswerTokensBeyondBudget, body["inferenceConfig"]!["maxTokens"]!.GetValue<int>());
    }

    [Fact]
    public void ThinkingOnANonClaudeModel_IsRefused() =>
        Assert.Equal("reasoning", Assert.Throws<UnsupportedFeatureException>(() =>
            Write(new ChatRequest { Model = "m", Reasoning = new ReasoningConfig("low", null) }, Llama, false, out _)).Field);

    [Fact]
    public void TopK_GoesWhereEachFamilyTakesIt()
    {
        var request = User("hi");
        request.TopK = 40;

        Assert.Equal("""{"top_k":40}""", Write(request, Claude, false, out _)["additionalModelRequestFields"]!.ToJsonString());
        Assert.Equal("""{"inferenceConfig":{"topK":40}}""", Write(request, Nova, false, out _)["additionalModelRequestFields"]!.ToJsonString());
        Assert.Equal("top_k", Assert.Throws<UnsupportedFeatureException>(() => Write(request, Llama, false, out _)).Field);
    }

    [Fact]
    public void CacheBreakpoints_BecomeCachePoints_OrADroppedHint()
    {
        var request = User("big prompt");
        request.System.Add(new TextPart("system") { Cache = new CacheControl() });

        Assert.Equal("""[{"text":"system"},{"cachePoint":{"type":"default"}}]""", Write(request, Claude, false, out _)["system"]!.ToJsonString());

        Write(request, Llama, false, out var dropped);
        Assert.Equal(["cache_control"], dropped);
    }

    [Fact]
    public void ToolResults_CarryStatusForClaude_AndAMarkerForOthers()
    {
        var request = new ChatRequest { Model = "m" };
        var user = new Message(Role.User);
        user.Content.Add(new ToolResultPart("t1", [new TextPart("boom")], IsError: true));
        request.Messages.Add(user);

        Assert.Equal("""{"toolUseId":"t1","content":[{"text":"boom"}],"status":"error"}""",
            Write(request, Claude, false, out _)["messages"]![0]!["content"]![0]!["toolResult"]!.ToJsonString());
        Assert.Equal("""{"toolUseId":"t1","content":[{"text":"[tool error] boom"}]}""",
            Write(request, Llama, false, out _)["messages"]![0]!["content"]![0]!["toolResult"]!.ToJsonString());
    }

    [Fact]
    public void Documents_GetAFormatAndAnAcceptableName()
    {
        var request = User("read");
        request.Messages[0].Content.Add(new DocumentPart(null, "application/pdf", "JVBERi0=", "Q3 report: final!.pdf"));
        request.Messages[0].Content.Add(new DocumentPart(null, "text/plain", "aGk=", null));

        var content = Write(request, Claude, false, out _)["messages"]![0]!["content"]!.AsArray();

        Assert.Equal("""{"format":"pdf","name":"Q3 report- final-","source":{"bytes":"JVBERi0="}}""", content[1]!["document"]!.ToJsonString());
        Assert.Equal("document-2", content[2]!["document"]!["name"]!.GetValue<string>());
    }

    private static ChatRequest User(string text)
    {
        var request = new ChatRequest { Model = "m" };
        var message = new Message(Role.User);
        message.Content.Add(new TextPart(text));
        request.Messages.Add(message);
        return request;
    }

    private static JsonNode Write(ChatRequest request, BedrockModelTraits model, bool allowDrop, out List<string> dropped)
    {
        dropped = [];
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            BedrockRequestWriter.Write(w, request, model, allowDrop, dropped);
        }

        return JsonNode.Parse(buffer.ToArray())!;
    }
}
