using System.Text.Json.Nodes;
using Rules = Switchyard.Dispatch.ModelRules;

namespace Switchyard.Tests.EndToEnd.ModelRules;

/// <summary>
/// Every model rule against the writer of every affected provider, end to end: a request a provider would refuse
/// is, on the strict alias, refused by the gateway in the caller's format before any upstream call (or, for the
/// rules that need no permission, adapted); on the adapting alias it is adapted, and the strict fake (which
/// states the provider's rules independently of the gateway's catalog) accepts what the gateway sends.
/// </summary>
[Collection(ModelRulesCollection.Name)]
public sealed class ModelRulesEndToEndTests(ModelRulesFixture fx)
{
    /// <param name="RefusedParam">The parameter the strict alias's 400 names; null when the rule adapts without permission.</param>
    /// <param name="Adapted">A fragment of <c>x-switchyard-adapted</c> on the adapted answer.</param>
    /// <param name="Sent">What the upstream body must show after adaptation.</param>
    public sealed record Case(string Name, string Format, string Deployment, Func<JsonObject> Body, string? RefusedParam, string Adapted,
        Func<JsonNode, bool> Sent)
    {
        public override string ToString() => $"{Name} → {Deployment}";
    }

    private static JsonObject Chat(string extra = "{}")
    {
        var body = JsonNode.Parse("""{ "messages": [ { "role": "user", "content": "hi" } ] }""")!.AsObject();
        foreach (var (key, value) in JsonNode.Parse(extra)!.AsObject())
        {
            body[key] = value?.DeepClone();
        }

        return body;
    }

    private const string ToolLoop = """
        { "reasoning_effort": "high", "tools": [ { "type": "function", "function": { "name": "lookup", "parameters": { "type": "object" } } } ],
          "messages": [ { "role": "user", "content": "look it up" },
                        { "role": "assistant", "content": null, "tool_calls": [ { "id": "call_1", "type": "function", "function": { "name": "lookup", "arguments": "{}" } } ] },
                        { "role": "tool", "tool_call_id": "call_1", "content": "42" } ] }
        """;

    private static JsonObject Messages(string json) => JsonNode.Parse(json)!.AsObject();

    private const string Cached = """
        { "max_tokens": 256,
          "system": [ { "type": "text", "text": "You are terse.", "cache_control": { "type": "ephemeral" } } ],
          "tools": [ { "name": "lookup", "input_schema": { "type": "object" }, "cache_control": { "type": "ephemeral" } } ],
          "messages": [ { "role": "user", "content": [ { "type": "text", "text": "a", "cache_control": { "type": "ephemeral" } } ] },
                        { "role": "assistant", "content": [ { "type": "text", "text": "b", "cache_control": { "type": "ephemeral" } } ] },
                        { "role": "user", "content": [ { "type": "text", "text": "c", "cache_control": { "type": "ephemeral" } } ] } ] }
        """;

    private static double? Num(JsonNode? n) => n?.GetValue<double>();

    private static bool No(JsonNode body, string text) => !body.ToJsonString().Contains(text, StringComparison.Ordinal);

    private static int Count(JsonNode body, string text) => body.ToJsonString().Split(text).Length - 1;

    public static TheoryData<Case> Cases() =>
    [
        new("temperature 1.5", "openai", "bedrock-haiku3", () => Chat("""{ "temperature": 1.5 }"""), "temperature", "temperature:clamp",
            b => Num(b["inferenceConfig"]?["temperature"]) == 1),
        new("temperature 1.5", "openai", "bedrock-nova", () => Chat("""{ "temperature": 1.5 }"""), "temperature", "temperature:clamp",
            b => Num(b["inferenceConfig"]?["temperature"]) == 1),
        new("temperature 1.5", "openai", "vertex-sonnet4", () => Chat("""{ "temperature": 1.5 }"""), "temperature", "temperature:clamp",
            b => Num(b["temperature"]) == 1),
        new("temperature 1.5", "openai", "anthropic-haiku3", () => Chat("""{ "temperature": 1.5 }"""), "temperature", "temperature:clamp",
            b => Num(b["temperature"]) == 1),
        new("temperature with top_p", "openai", "vertex-sonnet45", () => Chat("""{ "temperature": 0.5, "top_p": 0.9 }"""), "top_p", "top_p:drop",
            b => b["top_p"] is null && Num(b["temperature"]) == 0.5),
        new("temperature with top_p", "openai", "anthropic-sonnet45", () => Chat("""{ "temperature": 0.5, "top_p": 0.9 }"""), "top_p", "top_p:drop",
            b => b["top_p"] is null),
        new("max_tokens over the output limit", "openai", "bedrock-haiku3", () => Chat("""{ "max_tokens": 8192 }"""), "max_tokens", "max_tokens:lower",
            b => Num(b["inferenceConfig"]?["maxTokens"]) == 4096),
        new("max_tokens over the output limit", "openai", "anthropic-haiku3", () => Chat("""{ "max_tokens": 8192 }"""), "max_tokens", "max_tokens:lower",
            b => Num(b["max_tokens"]) == 4096),
        new("thinking on a model without it", "openai", "anthropic-haiku3", () => Chat("""{ "reasoning_effort": "high" }"""), "reasoning", "reasoning:drop",
            b => b["thinking"] is null),
        new("thinking with temperature 0.7", "openai", "bedrock-sonnet4", () => Chat("""{ "reasoning_effort": "high", "temperature": 0.7 }"""),
            "temperature", "temperature:drop", b => b["inferenceConfig"]?["temperature"] is null && b["additionalModelRequestFields"]?["thinking"] is not null),
        new("thinking with temperature 0.7", "openai", "vertex-sonnet4", () => Chat("""{ "reasoning_effort": "high", "temperature": 0.7 }"""),
            "temperature", "temperature:drop", b => b["temperature"] is null && b["thinking"] is not null),
        new("thinking with a forced tool", "openai", "bedrock-sonnet4", () => Chat("""
            { "reasoning_effort": "high", "tool_choice": "required", "tools": [ { "type": "function", "function": { "name": "f", "parameters": { "type": "object" } } } ] }
            """), "tool_choice", "tool_choice:turn thinking off", b => b["additionalModelRequestFields"]?["thinking"] is null),
        new("thinking with a forced tool", "openai", "vertex-sonnet4", () => Chat("""
            { "reasoning_effort": "high", "tool_choice": { "type": "function", "function": { "name": "f" } }, "tools": [ { "type": "function", "function": { "name": "f", "parameters": { "type": "object" } } } ] }
            """), "tool_choice", "tool_choice:turn thinking off", b => b["thinking"] is null),
        new("a tool turn without its thinking", "openai", "bedrock-sonnet4", () => Chat(ToolLoop), null, Rules.UnsignedToolTurnNote,
            b => b["additionalModelRequestFields"]?["thinking"] is null),
        new("a tool turn without its thinking", "openai", "vertex-sonnet4", () => Chat(ToolLoop), null, Rules.UnsignedToolTurnNote,
            b => b["thinking"] is null),
        new("a tool turn without its thinking", "openai", "anthropic-sonnet45", () => Chat(ToolLoop), null, Rules.UnsignedToolTurnNote,
            b => b["thinking"] is null),
        new("reasoning none on a model that always thinks", "openai", "vertex-gemini-pro", () => Chat("""{ "reasoning_effort": "none" }"""),
            "reasoning", "reasoning:use its lowest effort", b => Num(b["generationConfig"]?["thinkingConfig"]?["thinkingBudget"]) > 0),
        new("reasoning none on a model that always thinks", "openai", "gemini-pro", () => Chat("""{ "reasoning_effort": "none" }"""),
            "reasoning", "reasoning:use its lowest effort", b => Num(b["generationConfig"]?["thinkingConfig"]?["thinkingBudget"]) > 0),
        new("checkpoints on a model without caching", "anthropic", "bedrock-haiku3", () => Messages(Cached), null, Rules.CacheDroppedNote,
            b => No(b, "cachePoint")),
        new("checkpoints in Nova's tools", "anthropic", "bedrock-nova", () => Messages(Cached), null, Rules.CacheDroppedNote,
            b => No(b["toolConfig"]!, "cachePoint") && !No(b["system"]!, "cachePoint")),
        new("five checkpoints", "anthropic", "vertex-sonnet4", () => Messages(Cached), null, Rules.CacheDroppedNote,
            b => Count(b, "cache_control") == 4),
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task TheStrictAlias_RefusesBeforeTheUpstream_OrAdaptsWhereNoPermissionIsNeeded(Case c)
    {
        var before = fx.UpstreamCount;
        var body = c.Body();
        body["model"] = "s-" + c.Deployment;

        var (status, answer, headers) = await fx.SendAsync(c.Format, body);

        if (c.RefusedParam is null)
        {
            Assert.True(status == 200, $"{c}: {status} {answer}");
            Assert.Contains(c.Adapted, headers.GetValues("x-switchyard-adapted").Single(), StringComparison.Ordinal);
            Assert.True(c.Sent(fx.LastUpstreamBody(c.Deployment)), $"{c}: sent {fx.LastUpstreamBody(c.Deployment)}");
            return;
        }

        Assert.True(status == 400, $"{c}: {status} {answer}");
        Assert.Equal(before, fx.UpstreamCount);
        var message = c.Format == "openai" ? answer!["error"]!["message"]!.GetValue<string>() : answer!["error"]!["message"]!.GetValue<string>();
        Assert.Contains("drop_unsupported_params", message, StringComparison.Ordinal);
        if (c.Format == "openai")
        {
            Assert.Equal(c.RefusedParam, answer["error"]!["param"]!.GetValue<string>());
        }
        else
        {
            Assert.Equal("error", answer["type"]!.GetValue<string>());
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task TheAdaptingAlias_SendsWhatTheStrictFakeAccepts(Case c)
    {
        var body = c.Body();
        body["model"] = "a-" + c.Deployment;

        var (status, answer, headers) = await fx.SendAsync(c.Format, body);

        Assert.True(status == 200, $"{c}: {status} {answer}");
        var adapted = headers.GetValues("x-switchyard-adapted").Single();
        Assert.Contains(c.Adapted, adapted, StringComparison.Ordinal);
        Assert.True(c.Sent(fx.LastUpstreamBody(c.Deployment)), $"{c}: sent {fx.LastUpstreamBody(c.Deployment)}");
        Assert.Equal(adapted, (await fx.RecordAsync(headers.GetValues("x-request-id").Single())).Adaptations);
    }

    [Theory]
    [InlineData("vertex-gemini-flash")]
    public async Task ReasoningNone_TurnsGeminiThinkingOff(string deployment)
    {
        var body = Chat("""{ "reasoning_effort": "none" }""");
        body["model"] = "s-" + deployment;

        var (status, answer, _) = await fx.SendAsync("openai", body);

        Assert.True(status == 200, $"{status} {answer}");
        var thinking = fx.LastUpstreamBody(deployment)["generationConfig"]!["thinkingConfig"]!;
        Assert.Equal(0, thinking["thinkingBudget"]!.GetValue<int>());
        Assert.Null(thinking["includeThoughts"]);
    }

    [Fact]
    public async Task ACloudStorageImage_IsSentToVertexWithItsMediaType()
    {
        var body = Chat("""
            { "messages": [ { "role": "user", "content": [ { "type": "text", "text": "what is this" },
                { "type": "image_url", "image_url": { "url": "gs://bucket/cat.png" } } ] } ] }
            """);
        body["model"] = "s-vertex-gemini-flash";

        var (status, answer, _) = await fx.SendAsync("openai", body);

        Assert.True(status == 200, $"{status} {answer}");
        var sent = fx.LastUpstreamBody("vertex-gemini-flash")["contents"]![0]!["parts"]![1]!["fileData"]!;
        Assert.Equal("image/png", sent["mimeType"]!.GetValue<string>());
    }

    [Fact]
    public async Task ASignedThinkingTurn_FromAnAnthropicClient_KeepsThinkingOnBedrock()
    {
        var body = Messages("""
            { "model": "s-bedrock-sonnet4", "max_tokens": 4096, "thinking": { "type": "enabled", "budget_tokens": 2048 },
              "tools": [ { "name": "lookup", "input_schema": { "type": "object" } } ],
              "messages": [ { "role": "user", "content": "look it up" },
                            { "role": "assistant", "content": [ { "type": "thinking", "thinking": "I should look.", "signature": "c2lnbmF0dXJl" },
                                                                { "type": "tool_use", "id": "toolu_1", "name": "lookup", "input": {} } ] },
                            { "role": "user", "content": [ { "type": "tool_result", "tool_use_id": "toolu_1", "content": "42" } ] } ] }
            """);

        var (status, answer, headers) = await fx.SendAsync("anthropic", body);

        Assert.True(status == 200, $"{status} {answer}");
        Assert.False(headers.Contains("x-switchyard-adapted"));
        var sent = fx.LastUpstreamBody("bedrock-sonnet4");
        Assert.NotNull(sent["additionalModelRequestFields"]!["thinking"]);
        Assert.Equal("c2lnbmF0dXJl", sent["messages"]![1]!["content"]![0]!["reasoningContent"]!["reasoningText"]!["signature"]!.GetValue<string>());
    }
}

[CollectionDefinition(Name)]
public sealed class ModelRulesCollection : ICollectionFixture<ModelRulesFixture>
{
    public const string Name = "Model rules gateway";
}
