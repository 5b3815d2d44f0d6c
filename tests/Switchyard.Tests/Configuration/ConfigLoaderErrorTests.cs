using Switchyard.Configuration;
using static Switchyard.Tests.Configuration.ConfigTestSupport;

namespace Switchyard.Tests.Configuration;

public sealed class ConfigLoaderErrorTests
{
    [Fact]
    public void LoadYaml_SyntaxError_ReportsLineAndColumn()
    {
        var result = ConfigLoader.LoadYaml("models:\n  a: [x\n  b: y\n", "bad.yaml", Env());

        var error = Assert.Single(result.Errors);
        Assert.Null(result.Config);
        Assert.Equal("bad.yaml", error.Path);
        Assert.Matches(@"^YAML syntax error at line \d+, column \d+: \S", error.Message);
    }

    [Fact]
    public void LoadYaml_DocumentNotAMapping_ReportsSource()
    {
        var errors = LoadErrors("- a\n- b\n");

        Assert.Equal(["test.yaml: the document must be a mapping with keys such as 'providers' and 'models', got a list"], errors);
    }

    [Fact]
    public void LoadYaml_UnknownKey_ReportsPathAndSuggestion()
    {
        var message = SingleErrorAt("providers:\n  openai:\n    base_ur: https://x.example/v1\n", "providers.openai.base_ur");

        Assert.Equal("unknown key (did you mean 'base_url'?)", message);
    }

    [Fact]
    public void LoadYaml_UnknownTopLevelKey_ReportsKey()
    {
        Assert.Equal("unknown key (did you mean 'models'?)", SingleErrorAt("modles: {}\n", "modles"));
    }

    [Fact]
    public void LoadYaml_WrongTypes_ReportEachPath()
    {
        var errors = LoadErrors("""
            server: [1, 2]
            providers:
              groq:
                headers: [a]
            models:
              m:
                deployments: switchyard-echo
                fallbacks: { a: b }
            """);

        Assert.Equal(
        [
            "server: expected a mapping, got a list",
            "providers.groq.headers: expected a mapping, got a list",
            "models.m.deployments: expected a list, got a single value",
            "models.m.fallbacks: expected a list, got a mapping",
        ], errors);
    }

    [Fact]
    public void LoadYaml_SeveralErrors_AreAllReported()
    {
        var errors = LoadErrors("""
            server:
              max_body_size: lots
            providers:
              openai: { preset: opneai }
            deployments:
              d1: { provider: nowhere, model: x }
              d2: { provider: switchyard }
            models:
              m:
                deployments: [{ deployment: d1, weight: 0 }]
                max_attempts: 0
                timeout: -1s
            """);

        Assert.Equal(7, errors.Count);
        Assert.Contains("server.max_body_size: expected a size such as 8MiB, 512KiB, 1MB or a number of bytes", errors);
        Assert.Contains(errors, e => e.StartsWith("providers.openai.preset: unknown preset 'opneai' (did you mean 'openai'?); valid presets: aimlapi, anthropic, cohere, deepseek,", StringComparison.Ordinal));
        Assert.Contains("deployments.d1.provider: unknown provider 'nowhere'", errors);
        Assert.Contains("deployments.d2.model: is required", errors);
        Assert.Contains("models.m.deployments[0].weight: must be between 1 and 1000000", errors);
        Assert.Contains("models.m.max_attempts: must be at least 1", errors);
        Assert.Contains("models.m.timeout: expected a duration such as 250ms, 5s, 2m, 1h (a bare number means seconds)", errors);
    }

    [Fact]
    public void LoadYaml_LiteralApiKey_IsRefused()
    {
        var message = SingleErrorAt("providers:\n  openai:\n    api_key: sk-live-1234\n", "providers.openai.api_key");

        Assert.Equal("api_key must reference an environment variable, e.g. ${OPENAI_API_KEY}; keys are never stored in the file", message);
        Assert.DoesNotContain("sk-live", message);
    }

    [Fact]
    public void LoadYaml_LiteralApiKeyOnOtherPreset_NamesThatPresetsVariable()
    {
        Assert.Equal("api_key must reference an environment variable, e.g. ${GROQ_API_KEY}; keys are never stored in the file",
            SingleErrorAt("providers:\n  fast: { preset: groq, api_key: gsk_abc }\n", "providers.fast.api_key"));
    }

    [Theory]
    [InlineData("prefix-${OPENAI_API_KEY}")]
    [InlineData("${OPENAI_API_KEY:-sk-fallback}")]
    public void LoadYaml_ApiKeyNotASingleReference_IsRefused(string value)
    {
        var message = SingleErrorAt($"providers:\n  openai:\n    api_key: \"{value}\"\n", "providers.openai.api_key",
            Env(("OPENAI_API_KEY", "sk")));

        Assert.StartsWith("api_key must reference an environment variable", message);
    }

    [Fact]
    public void LoadYaml_UsedProviderWithoutKey_ReportsAtDeployment()
    {
        var message = SingleErrorAt("""
            providers:
              openai: { preset: openai }
            deployments:
              x: { provider: openai, model: gpt-4o }
            """, "deployments.x.provider");

        Assert.Equal("provider 'openai' has no API key: environment variable OPENAI_API_KEY is not set", message);
    }

    [Fact]
    public void LoadYaml_InlineDeploymentOnProviderWithoutKey_ReportsAtItem()
    {
        var message = SingleErrorAt("""
            providers:
              groq: { api_key: "${MY_GROQ}" }
            models:
              fast:
                deployments: [{ provider: groq, model: llama-3.1-8b-instant }]
            """, "models.fast.deployments[0].provider");

        Assert.Equal("provider 'groq' has no API key: environment variable MY_GROQ is not set", message);
    }

    [Fact]
    public void LoadYaml_LocalPresetWithoutKey_IsValid()
    {
        var config = LoadValid("""
            providers: { lmstudio: {} }
            deployments:
              local: { provider: lmstudio, model: qwen2.5-7b-instruct }
            """);

        Assert.Null(config.Deployments["local"].Provider.ApiKey);
    }

    [Fact]
    public void LoadYaml_OpenAICompatibleWithoutBaseUrl_IsError()
    {
        Assert.Equal("is required for 'openai-compatible' providers",
            SingleErrorAt("providers:\n  mine: { kind: openai-compatible }\n", "providers.mine.base_url"));
    }

    [Theory]
    [InlineData("ftp://host/v1")]
    [InlineData("not a url")]
    [InlineData("https://host/v1?x=1")]
    public void LoadYaml_BadBaseUrl_IsError(string url)
    {
        var message = SingleErrorAt($"providers:\n  mine: {{ kind: openai-compatible, base_url: \"{url}\" }}\n", "providers.mine.base_url");

        Assert.StartsWith("must", message);
    }

    [Fact]
    public void LoadYaml_ProviderWithoutPresetOrKind_IsError()
    {
        var message = SingleErrorAt("providers:\n  acme: { base_url: https://acme.example/v1 }\n", "providers.acme");

        Assert.StartsWith("set 'preset' (one of: aimlapi,", message);
    }

    [Fact]
    public void LoadYaml_FallbackToUnknownName_ReportsIndexedPath()
    {
        var errors = LoadErrors("""
            models:
              gpt-4o:
                deployments: [switchyard-echo]
                fallbacks: [switchyard/echo, claude]
            """);

        Assert.Equal(["models.gpt-4o.fallbacks[1]: unknown alias or deployment 'claude'"], errors);
    }

    [Fact]
    public void LoadYaml_ModelWithBadDeploymentAndBadFallback_ReportsBoth()
    {
        var errors = LoadErrors("""
            models:
              x: { deployments: [gpt], fallbacks: [gtp-4o] }
              gpt-4o: switchyard-echo
            """);

        Assert.Equal(
        [
            "models.x.deployments[0]: unknown deployment 'gpt'",
            "models.x.fallbacks[0]: unknown alias or deployment 'gtp-4o' (did you mean 'gpt-4o'?)",
        ], errors);
    }

    [Fact]
    public void LoadYaml_FallbackToItself_IsError()
    {
        Assert.Equal("model 'a' cannot fall back to itself",
            SingleErrorAt("models:\n  a: { deployments: [switchyard-echo], fallbacks: [a] }\n", "models.a.fallbacks[0]"));
    }

    [Fact]
    public void LoadYaml_FallbackCycle_ReportsLoopOnce()
    {
        var errors = LoadErrors("""
            models:
              a: { deployments: [switchyard-echo], fallbacks: [b] }
              b: { deployments: [switchyard-echo], fallbacks: [switchyard-echo, c] }
              c: { deployments: [switchyard-echo], fallbacks: [a] }
              d: { deployments: [switchyard-echo], fallbacks: [a] }
            """);

        Assert.Equal(["models.c.fallbacks[0]: fallback cycle: a -> b -> c -> a"], errors);
    }

    [Fact]
    public void LoadYaml_FallbackChainWithoutCycle_IsValid()
    {
        var config = LoadValid("""
            models:
              a: { deployments: [switchyard-echo], fallbacks: [b, c] }
              b: { deployments: [switchyard-echo], fallbacks: [c] }
              c: switchyard-echo
            """);

        Assert.Equal(2, config.Models["a"].Fallbacks.Count);
    }

    [Fact]
    public void LoadYaml_ClientErrorTrigger_IsRefused()
    {
        var message = SingleErrorAt("models:\n  m: { deployments: [switchyard-echo], on: { client_error: retry } }\n",
            "models.m.on.client_error");

        Assert.StartsWith("client_error cannot be configured", message);
    }

    [Fact]
    public void LoadYaml_UnknownTriggerAndAction_ListValidNames()
    {
        var errors = LoadErrors("models:\n  m: { deployments: [switchyard-echo], on: { rate_limit: switch, timeout: retry_later } }\n");

        Assert.Equal(
        [
            "models.m.on.rate_limit: unknown trigger 'rate_limit' (did you mean 'rate_limited'?); valid triggers: connection, timeout, rate_limited, server_error, transient, auth, stream_cut, context_window, content_policy, budget_exceeded, unsupported_capability",
            "models.m.on.timeout: unknown action 'retry_later'; valid actions: retry_then_switch, switch, retry, fail, switch_same_price_tier, retry_then_switch_same_price_tier, downgrade, upgrade, fail_closed (retry_* may say how often: retry_once_then_switch, retry_twice)",
        ], errors);
    }

    [Fact]
    public void LoadYaml_DeploymentErrors_ReportExactPaths()
    {
        var errors = LoadErrors("""
            deployments:
              d: { provider: switchyard, model: echo }
            models:
              empty: { deployments: [] }
              missing: { fallbacks: [d] }
              twice: { deployments: [d, { deployment: d, weight: 2 }] }
              alias-as-deployment: { deployments: [twice] }
              both: { deployments: [{ deployment: d, provider: switchyard }] }
              neither: { deployments: [{ weight: 2 }] }
              typo: { deployments: [dd] }
            """);

        Assert.Equal(
        [
            "models.empty.deployments: must list at least one deployment",
            "models.missing.deployments: is required: list at least one deployment",
            "models.twice.deployments[1]: deployment 'd' is listed twice; use 'weight' to favour it",
            "models.alias-as-deployment.deployments[0]: 'twice' is a model, not a deployment; list models under 'fallbacks' instead",
            "models.both.deployments[0]: 'deployment' names an existing deployment; 'provider', 'model' and 'timeouts' are only for inline deployments",
            "models.neither.deployments[0]: set 'deployment' (a name under 'deployments:') or 'provider' and 'model'",
            "models.typo.deployments[0]: unknown deployment 'dd' (did you mean 'd'?)",
        ], errors);
    }

    [Fact]
    public void LoadYaml_InvalidNames_AreErrors()
    {
        var errors = LoadErrors("models:\n  \"bad name\": switchyard-echo\n  /leading: switchyard-echo\n");

        Assert.Equal(2, errors.Count);
        Assert.All(errors, e => Assert.Contains("invalid model name", e));
    }

    [Fact]
    public void LoadYaml_RetryMaxDelayBelowBaseDelay_IsError()
    {
        Assert.Equal("max_delay (100ms) must not be less than base_delay (500ms)",
            SingleErrorAt("models:\n  m: { deployments: [switchyard-echo], retry: { base_delay: 500ms, max_delay: 100ms } }\n",
                "models.m.retry.max_delay"));
    }

    [Fact]
    public void LoadYaml_DuplicateYamlKey_IsSyntaxError()
    {
        var errors = LoadErrors("models:\n  a: switchyard-echo\n  a: switchyard-echo\n");

        Assert.Single(errors);
        Assert.Contains("line 3", errors[0]);
    }

    [Fact]
    public void LoadYaml_MultipleDocuments_IsError()
    {
        Assert.Equal(["test.yaml: only one YAML document is supported (found 2; remove the extra '---')"],
            LoadErrors("models: {}\n---\nmodels: {}\n"));
    }

    [Fact]
    public void LoadFile_MissingFile_ReportsPath()
    {
        var path = Path.Combine(Path.GetTempPath(), $"switchyard-missing-{Guid.NewGuid():N}.yaml");

        var result = ConfigLoader.LoadFile(path, Env());

        Assert.Null(result.Config);
        Assert.Equal([new ConfigError(path, "file not found")], result.Errors);
    }
}
