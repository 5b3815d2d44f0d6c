using System.Reflection;
using Switchyard.Canonical;
using Switchyard.Configuration;
using Switchyard.Dispatch;
using Switchyard.Providers;

namespace Switchyard.Tests.Dispatch;

/// <summary>
/// Every model rule, table-driven: refused without <c>drop_unsupported_params</c> (naming the parameter and the
/// rule), adapted with it (and noted), never applied to a model the catalog does not know, and never changing
/// the client's request itself (the next deployment must see what the client sent).
/// </summary>
public sealed class ModelRulesTests
{
    private static DeploymentTarget On(string kind, string model)
    {
        var provider = new ProviderConfig("p", kind, kind, new Uri("http://127.0.0.1:1"), null, [], Timeouts.Default);
        var profile = ModelCatalog.For(ProviderCatalog.Default.Find(kind)).Resolve(model);
        return DeploymentTarget.Create(new DeploymentConfig("d", provider, model, Timeouts.Default) { Profile = profile });
    }

    private static ChatRequest Ask(Action<ChatRequest>? change = null)
    {
        var r = new ChatRequest { Model = "m" };
        var user = new Message(Role.User);
        user.Content.Add(new TextPart("hi"));
        r.Messages.Add(user);
        change?.Invoke(r);
        return r;
    }

    private static readonly ReasoningConfig Think = new("medium", null);

    public sealed record Case(string Name, string Kind, string Model, Action<ChatRequest> Change, string Param, string Rule,
        string Adaptation, Func<ChatRequest, bool> Adapted)
    {
        public override string ToString() => Name;
    }

    public static TheoryData<Case> Cases() =>
    [
        new("temperature above Claude's range (Bedrock)", "bedrock", "anthropic.claude-3-haiku-20240307-v1:0", r => r.Temperature = 1.5,
            "temperature", "outside the model's range 0–1", "temperature:clamp it to 1", r => r.Temperature == 1),
        new("temperature above Nova's range", "bedrock", "us.amazon.nova-pro-v1:0", r => r.Temperature = 1.5,
            "temperature", "outside the model's range 0–1", "temperature:clamp it to 1", r => r.Temperature == 1),
        new("temperature above Claude's range (Vertex)", "vertex", "claude-3-5-haiku@20241022", r => r.Temperature = 1.5,
            "temperature", "outside the model's range 0–1", "temperature:clamp it to 1", r => r.Temperature == 1),
        new("temperature with top_p on Sonnet 4.5", "anthropic", "claude-sonnet-4-5", r => (r.Temperature, r.TopP) = (0.5, 0.9),
            "top_p", "temperature or top_p, not both", "top_p:drop top_p", r => r.TopP is null && r.Temperature == 0.5),
        new("max_tokens above Claude 3 Haiku's output", "bedrock", "anthropic.claude-3-haiku-20240307-v1:0", r => r.MaxTokens = 8192,
            "max_tokens", "exceeds the model's output limit of 4096", "max_tokens:lower it to 4096", r => r.MaxTokens == 4096),
        new("thinking on a model without it", "bedrock", "anthropic.claude-3-haiku-20240307-v1:0", r => r.Reasoning = Think,
            "reasoning", "no thinking mode", "reasoning:drop the reasoning setting", r => r.Reasoning is null),
        new("thinking with temperature 0.7 (Bedrock)", "bedrock", "us.anthropic.claude-3-7-sonnet-20250219-v1:0",
            r => (r.Reasoning, r.Temperature) = (Think, 0.7),
            "temperature", "no temperature other than 1 while thinking", "temperature:drop temperature", r => r.Temperature is null && r.Reasoning is not null),
        new("thinking with temperature 0.7 (Vertex)", "vertex", "claude-sonnet-4@20250514", r => (r.Reasoning, r.Temperature) = (Think, 0.7),
            "temperature", "no temperature other than 1 while thinking", "temperature:drop temperature", r => r.Temperature is null),
        new("thinking with top_k", "bedrock", "anthropic.claude-sonnet-4-20250514-v1:0", r => (r.Reasoning, r.TopK) = (Think, 5),
            "top_k", "no top_k while thinking", "top_k:drop top_k", r => r.TopK is null),
        new("thinking with top_p 0.5", "vertex", "claude-opus-4@20250514", r => (r.Reasoning, r.TopP) = (Think, 0.5),
            "top_p", "at least 0.95 while thinking", "top_p:raise it to 0.95", r => r.TopP == 0.95),
        new("thinking with a forced tool (Bedrock)", "bedrock", "anthropic.claude-sonnet-4-20250514-v1:0",
            r => (r.Reasoning, r.ToolChoice) = (Think, new ToolChoice(ToolChoiceKind.Required)),
            "tool_choice", "cannot be forced to call a tool while thinking", "tool_choice:turn thinking off for this request", r => r.Reasoning is null),
        new("thinking with a named tool (Vertex)", "vertex", "claude-3-7-sonnet@20250219",
            r => (r.Reasoning, r.ToolChoice) = (Think, new ToolChoice(ToolChoiceKind.Function, "f")),
            "tool_choice", "cannot be forced to call a tool while thinking", "tool_choice:turn thinking off for this request", r => r.Reasoning is null),
        new("reasoning none on Gemini 2.5 Pro", "gemini", "gemini-2.5-pro", r => r.Reasoning = new ReasoningConfig("none", null),
            "reasoning", "always thinks", "reasoning:use its lowest effort, low", r => r.Reasoning?.Effort == "low"),
        new("temperature above Gemini's range", "vertex", "gemini-2.5-flash", r => r.Temperature = 2.5,
            "temperature", "outside the model's range 0–2", "temperature:clamp it to 2", r => r.Temperature == 2),
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    public void WithoutDropUnsupportedParams_TheRuleRefuses_NamingTheParameter(Case c)
    {
        var request = Ask(c.Change);
        var adapted = new List<string>();

        var result = ModelRules.Apply(request, On(c.Kind, c.Model), allowAdapt: false, adapted, out var refusal);

        Assert.Null(result);
        Assert.NotNull(refusal);
        Assert.Equal(FailureKind.UnsupportedCapability, refusal.Kind);
        Assert.Equal(c.Param, refusal.Param);
        Assert.Contains(c.Rule, refusal.Message, StringComparison.Ordinal);
        Assert.Contains("drop_unsupported_params", refusal.Message, StringComparison.Ordinal);
        Assert.Empty(adapted);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void WithDropUnsupportedParams_TheRuleAdapts_OnACopy(Case c)
    {
        var request = Ask(c.Change);
        var before = Ask(c.Change);
        var adapted = new List<string>();

        var result = ModelRules.Apply(request, On(c.Kind, c.Model), allowAdapt: true, adapted, out var refusal);

        Assert.Null(refusal);
        Assert.NotNull(result);
        Assert.NotSame(request, result);
        Assert.True(c.Adapted(result), $"{c.Name}: not adapted");
        Assert.Equal([c.Adaptation], adapted);
        Assert.Equal((before.Temperature, before.TopP, before.TopK, before.MaxTokens, before.Reasoning, before.ToolChoice),
            (request.Temperature, request.TopP, request.TopK, request.MaxTokens, request.Reasoning, request.ToolChoice));
    }

    [Fact]
    public void AnUnknownModel_PassesUnchanged()
    {
        var request = Ask(r => (r.Temperature, r.Reasoning) = (1.7, Think));

        var result = ModelRules.Apply(request, On("openai-compatible", "llama-3.1-70b"), false, [], out var refusal);

        Assert.Same(request, result);
        Assert.Null(refusal);
    }

    [Fact]
    public void AValidRequest_IsNotCopied()
    {
        var request = Ask(r => (r.Temperature, r.MaxTokens) = (0.3, 1000));
        var adapted = new List<string>();

        Assert.Same(request, ModelRules.Apply(request, On("anthropic", "claude-3-haiku-20240307"), false, adapted, out _));
        Assert.Empty(adapted);
    }

    [Fact]
    public void ReasoningNone_OnAModelThatNeverThinks_IsSimplyNotSent()
    {
        var adapted = new List<string>();

        var result = ModelRules.Apply(Ask(r => r.Reasoning = new ReasoningConfig("none", null)), On("openai-compatible", "gpt-4o"), false, adapted, out var refusal);

        Assert.Null(refusal);
        Assert.Null(result!.Reasoning);
        Assert.Empty(adapted); // the client asked for no thinking and gets none: nothing changed in meaning
    }

    private static ChatRequest ToolLoop(bool signed)
    {
        return Ask(r =>
        {
            r.Reasoning = Think;
            var assistant = new Message(Role.Assistant);
            if (signed)
            {
                assistant.Content.Add(new ThinkingPart("let me look", Signature: "sig"));
            }

            assistant.Content.Add(new ToolCallPart("call_1", "lookup", "{}"));
            r.Messages.Add(assistant);
            var result = new Message(Role.User);
            result.Content.Add(new ToolResultPart("call_1", [new TextPart("42")]));
            r.Messages.Add(result);
        });
    }

    [Theory]
    [InlineData("bedrock", "anthropic.claude-sonnet-4-20250514-v1:0")]
    [InlineData("vertex", "claude-sonnet-4-5@20250929")]
    [InlineData("anthropic", "claude-opus-4-1")]
    public void AToolTurnWithoutItsSignedThinking_IsSentWithoutThinking_EvenWithoutDrop(string kind, string model)
    {
        var adapted = new List<string>();

        var result = ModelRules.Apply(ToolLoop(signed: false), On(kind, model), allowAdapt: false, adapted, out var refusal);

        Assert.Null(refusal);
        Assert.Null(result!.Reasoning);
        Assert.Equal([ModelRules.UnsignedToolTurnNote], adapted);
    }

    [Fact]
    public void AToolTurnWithItsSignedThinking_KeepsThinking()
    {
        var request = ToolLoop(signed: true);

        Assert.Same(request, ModelRules.Apply(request, On("bedrock", "anthropic.claude-sonnet-4-20250514-v1:0"), false, [], out _));
    }

    private static ChatRequest Cached(int messageHints)
    {
        return Ask(r =>
        {
            r.System.Add(new TextPart("sys") { Cache = new CacheControl() });
            r.Tools.Add(new ToolDefinition("f", null, null) { Cache = new CacheControl() });
            r.Messages.Clear();
            for (var i = 0; i < messageHints; i++)
            {
                var m = new Message(i % 2 == 0 ? Role.User : Role.Assistant);
                m.Content.Add(new TextPart($"turn {i}") { Cache = new CacheControl() });
                r.Messages.Add(m);
            }
        });
    }

    [Fact]
    public void CheckpointsAreDropped_WhereTheModelTakesNone_WithoutAsking()
    {
        var request = Cached(1);
        var adapted = new List<string>();

        var result = ModelRules.Apply(request, On("bedrock", "anthropic.claude-3-haiku-20240307-v1:0"), allowAdapt: false, adapted, out var refusal);

        Assert.Null(refusal);
        Assert.Null(result!.System[0].Cache);
        Assert.Null(result.Tools[0].Cache);
        Assert.Null(result.Messages[0].Content[0].Cache);
        Assert.Equal([ModelRules.CacheDroppedNote], adapted);
        Assert.NotNull(request.Messages[0].Content[0].Cache); // the client's request is untouched
    }

    [Fact]
    public void NovaKeepsSystemAndMessageCheckpoints_ButNotTools()
    {
        var result = ModelRules.Apply(Cached(1), On("bedrock", "us.amazon.nova-lite-v1:0"), false, [], out _)!;

        Assert.NotNull(result.System[0].Cache);
        Assert.NotNull(result.Messages[0].Content[0].Cache);
        Assert.Null(result.Tools[0].Cache);
    }

    [Fact]
    public void BeyondFourCheckpoints_ToolsSystemAndTheLatestMessagesAreKept()
    {
        var result = ModelRules.Apply(Cached(4), On("anthropic", "claude-sonnet-4-5"), false, [], out _)!;

        Assert.NotNull(result.Tools[0].Cache);
        Assert.NotNull(result.System[0].Cache);
        Assert.Equal([false, false, true, true], result.Messages.Select(m => m.Content[0].Cache is not null));
    }

    [Fact]
    public void Copy_CopiesEveryProperty()
    {
        // A property added to ChatRequest without a line in Copy() would be silently lost for adapted attempts.
        var original = new ChatRequest { Model = "m" };
        foreach (var p in typeof(ChatRequest).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
        {
            p.SetValue(original, Sample(p.PropertyType));
        }

        var copy = original.Copy();

        foreach (var p in typeof(ChatRequest).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
        {
            Assert.True(Equals(p.GetValue(original), p.GetValue(copy)), $"ChatRequest.Copy() does not copy {p.Name}");
        }
    }

    private static object Sample(Type type) => (Nullable.GetUnderlyingType(type) ?? type) switch
    {
        var t when t == typeof(string) => "x",
        var t when t == typeof(bool) => true,
        var t when t == typeof(int) => 3,
        var t when t == typeof(long) => 4L,
        var t when t == typeof(double) => 0.5,
        var t when t == typeof(ToolChoice) => new ToolChoice(ToolChoiceKind.Required),
        var t when t == typeof(ResponseFormat) => new ResponseFormat(ResponseFormatKind.JsonObject),
        var t when t == typeof(ReasoningConfig) => new ReasoningConfig("high", 100),
        var t => throw new InvalidOperationException($"add a sample value for {t.Name}"),
    };
}
