using Switchyard.Configuration;
using static Switchyard.Tests.Configuration.ConfigTestSupport;

namespace Switchyard.Tests.Configuration;

/// <summary>Several keys per provider: <c>api_keys</c>, <c>api_key_env</c> as a list, <c>key_cooldown</c>, and their errors.</summary>
public sealed class ProviderKeyPoolConfigTests
{
    private const string K1 = "sk-first-key-1111";
    private const string K2 = "sk-second-key-2222";
    private const string K3 = "sk-third-key-3333";

    private static string Used(string provider) => $$"""
        providers:
          openai: {{provider}}
        deployments:
          gpt: { provider: openai, model: gpt-4o }
        """;

    [Fact]
    public void ApiKeys_ListOfReferences_BindsEveryKeyInOrder()
    {
        var config = LoadValid(Used("""{ api_keys: ["${OPENAI_KEY_1}", "${OPENAI_KEY_2}", "${OPENAI_KEY_3}"] }"""),
            Env(("OPENAI_KEY_1", K1), ("OPENAI_KEY_2", K2), ("OPENAI_KEY_3", K3)));

        var provider = config.Providers["openai"];
        Assert.Equal([K1, K2, K3], provider.ApiKeys);
        Assert.Equal(K1, provider.ApiKey); // the first, for code that wants one key
        Assert.Same(provider, config.Deployments["gpt"].Provider);
    }

    [Fact]
    public void ApiKeyEnv_AsAList_BindsEveryKey()
    {
        var config = LoadValid(Used("{ api_key_env: [OPENAI_KEY_1, OPENAI_KEY_2] }"), Env(("OPENAI_KEY_1", K1), ("OPENAI_KEY_2", K2)));

        Assert.Equal([K1, K2], config.Providers["openai"].ApiKeys);
    }

    [Fact]
    public void ApiKeys_SomeVariablesUnset_AreSkipped()
    {
        var config = LoadValid(Used("""{ api_keys: ["${OPENAI_KEY_1}", "${OPENAI_KEY_2}", "${OPENAI_KEY_3}"] }"""),
            Env(("OPENAI_KEY_2", K2), ("OPENAI_KEY_3", K3)));

        Assert.Equal([K2, K3], config.Providers["openai"].ApiKeys);
        Assert.Equal(K2, config.Providers["openai"].ApiKey);
    }

    [Fact]
    public void ApiKeys_TwoVariablesWithTheSameKey_PoolItOnce()
    {
        var config = LoadValid(Used("{ api_key_env: [A, B, C] }"), Env(("A", K1), ("B", K1), ("C", K2)));

        Assert.Equal([K1, K2], config.Providers["openai"].ApiKeys);
    }

    [Theory]
    [InlineData("""{ api_keys: ["${OPENAI_KEY_1}", "${OPENAI_KEY_2}"] }""")]
    [InlineData("{ api_key_env: [OPENAI_KEY_1, OPENAI_KEY_2] }")]
    public void ApiKeys_AllUnsetAndUsed_ReportsAtTheDeployment(string provider)
    {
        var message = SingleErrorAt(Used(provider), "deployments.gpt.provider");

        Assert.Equal("provider 'openai' has no API key: none of the environment variables OPENAI_KEY_1, OPENAI_KEY_2 is set", message);
    }

    [Fact]
    public void ApiKeys_AllUnsetButUnused_IsValid()
    {
        var config = LoadValid("""
            providers:
              openai: { api_keys: ["${OPENAI_KEY_1}", "${OPENAI_KEY_2}"] }
            """);

        Assert.Empty(config.Providers["openai"].ApiKeys);
        Assert.Null(config.Providers["openai"].ApiKey);
    }

    [Fact]
    public void ApiKeys_AllOptionalReferences_AllowAKeylessProvider()
    {
        var config = LoadValid("""
            providers:
              local: { kind: openai-compatible, base_url: "http://127.0.0.1:8000/v1", api_keys: ["${A:-}", "${B:-}"] }
            deployments:
              d: { provider: local, model: m }
            """);

        Assert.Empty(config.Providers["local"].ApiKeys);
    }

    [Fact]
    public void ApiKeys_LiteralEntry_IsRefusedAtItsIndexWithoutEchoingIt()
    {
        var message = SingleErrorAt(Used("""{ api_keys: ["${OPENAI_KEY_1}", "sk-live-literal-9999"] }"""), "providers.openai.api_keys[1]",
            Env(("OPENAI_KEY_1", K1)));

        Assert.Equal("api_keys entries must reference an environment variable, e.g. ${OPENAI_API_KEY}; keys are never stored in the file", message);
        Assert.DoesNotContain("sk-live", message);
    }

    [Theory]
    [InlineData("\"${OPENAI_KEY_2:-sk-fallback}\"")]
    [InlineData("\"prefix-${OPENAI_KEY_2}\"")]
    public void ApiKeys_EntryNotASingleReference_IsRefused(string entry)
    {
        var message = SingleErrorAt(Used($$"""{ api_keys: ["${OPENAI_KEY_1}", {{entry}}] }"""), "providers.openai.api_keys[1]",
            Env(("OPENAI_KEY_1", K1), ("OPENAI_KEY_2", K2)));

        Assert.StartsWith("api_keys entries must reference an environment variable", message);
        Assert.DoesNotContain("sk-fallback", message);
    }

    [Fact]
    public void ApiKeys_EmptyEntry_IsRefusedAtItsIndex()
    {
        var message = SingleErrorAt(Used("""{ api_keys: ["${OPENAI_KEY_1}", ~] }"""), "providers.openai.api_keys[1]", Env(("OPENAI_KEY_1", K1)));

        Assert.Equal("must reference an environment variable, e.g. ${OPENAI_API_KEY}", message);
    }

    [Fact]
    public void ApiKeys_NotAList_IsRefused()
    {
        var message = SingleErrorAt(Used("""{ api_keys: "${OPENAI_KEY_1}" }"""), "providers.openai.api_keys", Env(("OPENAI_KEY_1", K1)));

        Assert.Equal("expected a list, got a single value", message);
    }

    [Theory]
    [InlineData("{ api_keys: [] }", "providers.openai.api_keys")]
    [InlineData("{ api_keys: }", "providers.openai.api_keys")]
    [InlineData("{ api_key_env: [] }", "providers.openai.api_key_env")]
    public void ApiKeys_EmptyList_IsRefused(string provider, string path)
    {
        Assert.Equal("must list at least one environment variable", SingleErrorAt(Used(provider), path));
    }

    [Fact]
    public void ApiKeys_SameVariableTwice_IsRefusedAtTheRepeat()
    {
        var message = SingleErrorAt(Used("""{ api_keys: ["${OPENAI_KEY_1}", "${OPENAI_KEY_2}", "${OPENAI_KEY_1}"] }"""),
            "providers.openai.api_keys[2]", Env(("OPENAI_KEY_1", K1), ("OPENAI_KEY_2", K2)));

        Assert.Equal("OPENAI_KEY_1 is already listed at api_keys[0]", message);
    }

    [Fact]
    public void ApiKeyEnvList_InvalidName_IsRefusedAtItsIndex()
    {
        var errors = LoadErrors(Used("{ api_key_env: [OPENAI_KEY_1, not-a-name, \"\"] }"), Env(("OPENAI_KEY_1", K1)));

        Assert.Contains("providers.openai.api_key_env[1]: is not a valid environment variable name (letters, digits and '_'); name the variable that holds the key, not the key", errors);
        Assert.All(errors, e => Assert.DoesNotContain("not-a-name", e));
        Assert.Contains("providers.openai.api_key_env[2]: must name an environment variable", errors);
    }

    [Theory]
    [InlineData("""{ api_key: "${A}", api_keys: ["${B}"] }""", "set only one of 'api_key', 'api_key_env', 'api_keys', not 'api_key' and 'api_keys'")]
    [InlineData("""{ api_key_env: A, api_keys: ["${B}"] }""", "set only one of 'api_key', 'api_key_env', 'api_keys', not 'api_key_env' and 'api_keys'")]
    [InlineData("""{ api_key: "${A}", api_key_env: B }""", "set either 'api_key' or 'api_key_env', not both")]
    public void KeySources_MoreThanOne_IsRefusedAtTheProvider(string provider, string expected)
    {
        Assert.Equal(expected, SingleErrorAt(Used(provider), "providers.openai", Env(("A", K1), ("B", K2))));
    }

    [Fact]
    public void SingleApiKey_IsAPoolOfOne()
    {
        var config = LoadValid(Used("""{ api_key: "${OPENAI_KEY_1}" }"""), Env(("OPENAI_KEY_1", K1)));

        Assert.Equal([K1], config.Providers["openai"].ApiKeys);
        Assert.Equal(KeyCooldowns.Default, config.Providers["openai"].KeyCooldowns);
    }

    [Fact]
    public void PresetKey_IsAPoolOfOne()
    {
        var config = LoadValid(Used("{ preset: openai }"), Env(("OPENAI_API_KEY", K1)));

        Assert.Equal([K1], config.Providers["openai"].ApiKeys);
    }

    [Fact]
    public void KeyCooldown_BindsBothDurations()
    {
        var config = LoadValid(Used("""{ api_keys: ["${A}", "${B}"], key_cooldown: { rate_limited: 30s, auth: 10m } }"""), Env(("A", K1), ("B", K2)));

        Assert.Equal(new KeyCooldowns(TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(10)), config.Providers["openai"].KeyCooldowns);
    }

    [Fact]
    public void KeyCooldown_OneGiven_KeepsTheOtherDefault()
    {
        var config = LoadValid(Used("""{ api_key: "${A}", key_cooldown: { auth: 1h } }"""), Env(("A", K1)));

        Assert.Equal(new KeyCooldowns(KeyCooldowns.Default.RateLimited, TimeSpan.FromHours(1)), config.Providers["openai"].KeyCooldowns);
    }

    [Fact]
    public void KeyCooldown_BadValues_AreReportedWithPaths()
    {
        var errors = LoadErrors(Used("""{ api_key: "${A}", key_cooldown: { rate_limited: soon, auth: 0s, forever: 1h } }"""), Env(("A", K1)));

        Assert.Contains("providers.openai.key_cooldown.rate_limited: expected a duration such as 250ms, 5s, 2m, 1h (a bare number means seconds)", errors);
        Assert.Contains("providers.openai.key_cooldown.auth: must be greater than zero", errors);
        Assert.Contains(errors, e => e.StartsWith("providers.openai.key_cooldown.forever: unknown key", StringComparison.Ordinal));
    }

    [Fact]
    public void ApiKeys_NeverAppearInErrors()
    {
        var errors = LoadErrors("""
            providers:
              openai: { api_keys: ["${A}", "${B}"], key_cooldown: { rate_limited: nope } }
              other: { kind: openai-compatible, base_url: "http://127.0.0.1:9/v1", api_key_env: [A, "${B}x"] }
            """, Env(("A", K1), ("B", K2)));

        Assert.NotEmpty(errors);
        Assert.All(errors, e => Assert.DoesNotContain("-key-", e));
    }
}
