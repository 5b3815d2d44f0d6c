using static Switchyard.Tests.Configuration.ConfigTestSupport;

namespace Switchyard.Tests.Configuration;

/// <summary><c>auth.keys[].model_limits</c>: a key's limits per model, checked like <c>limits</c>, models named exactly.</summary>
public sealed class ModelLimitsConfigTests
{
    private const string Hash = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

    private static string Key(string modelLimits) => $"auth:\n  keys:\n    - id: a\n      hash: {Hash}\n      model_limits: {modelLimits}\n";

    [Fact]
    public void LoadYaml_ModelLimits_AreBoundPerModel_BesideTheKeysOwnLimits()
    {
        var config = LoadValid("""
            auth:
              keys:
                - id: app
                  hash: sha256:0000000000000000000000000000000000000000000000000000000000000000
                  limits: { rpm: 100 }
                  model_limits:
                    chat: { rpm: 10, tpm: 20000 }
                    "openai/gpt-4o": { input_tpm: 5000, output_tpm: 1000, concurrency: 2 }
                    "llama3:8b": { rpm: 1 }
            """);

        var policy = Assert.Single(config.Auth.Keys).Policy;
        Assert.Equal(new LimitSet(Rpm: 100), policy.Limits);
        Assert.Equal(["chat", "llama3:8b", "openai/gpt-4o"], policy.ModelLimits.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(new LimitSet(Rpm: 10, Tpm: 20_000), policy.ModelLimits["chat"]);
        Assert.Equal(new LimitSet(InputTpm: 5_000, OutputTpm: 1_000, Concurrency: 2), policy.ModelLimits["openai/gpt-4o"]);
        Assert.Equal(new LimitSet(Rpm: 1), policy.ModelLimits["llama3:8b"]);
    }

    [Fact]
    public void LoadYaml_NoModelLimits_IsEmpty()
    {
        var config = LoadValid($"auth:\n  keys:\n    - {{ id: a, hash: {Hash} }}\n");

        Assert.Empty(Assert.Single(config.Auth.Keys).Policy.ModelLimits);
    }

    [Theory]
    [InlineData("{ chat: { rpm: 0 } }", "auth.keys[0].model_limits.chat.rpm")]
    [InlineData("{ chat: { tpm: -5 } }", "auth.keys[0].model_limits.chat.tpm")]
    [InlineData("{ chat: { rpn: 5 } }", "auth.keys[0].model_limits.chat.rpn")]
    [InlineData("{ chat: {} }", "auth.keys[0].model_limits.chat")]
    [InlineData("{ chat: ~ }", "auth.keys[0].model_limits.chat")]
    [InlineData("{ chat: 10 }", "auth.keys[0].model_limits.chat")]
    [InlineData("{ \"openai/*\": { rpm: 5 } }", "auth.keys[0].model_limits.openai/*")]
    [InlineData("{ \" chat\": { rpm: 5 } }", "auth.keys[0].model_limits. chat")]
    [InlineData("[chat]", "auth.keys[0].model_limits")]
    public void LoadYaml_InvalidModelLimits_IsOneErrorAtItsPath(string modelLimits, string path) =>
        Assert.NotEmpty(SingleErrorAt(Key(modelLimits), path));

    [Fact]
    public void LoadYaml_APattern_IsRefusedAsNotAnExactName()
    {
        var error = SingleErrorAt(Key("{ \"openai/*\": { rpm: 5 } }"), "auth.keys[0].model_limits.openai/*");

        Assert.Contains("exact model names", error, StringComparison.Ordinal);
    }
}
