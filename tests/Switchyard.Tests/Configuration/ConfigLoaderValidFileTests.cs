using Switchyard.Configuration;
using Switchyard.Dispatch;
using Switchyard.Providers.Echo;
using Switchyard.Providers.OpenAI;
using static Switchyard.Tests.Configuration.ConfigTestSupport;

namespace Switchyard.Tests.Configuration;

public sealed class ConfigLoaderValidFileTests
{
    private const string FullFile = """
        server:
          max_body_size: 4MiB
          data_dir: ./var/data
        auth:
          master_key_env: GW_MASTER
          keys:
            - id: ci-bot
              hash: sha256:9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08
            - id: team-a
              key_env: TEAM_A_KEY
        providers:
          openai:
            preset: openai
            timeouts: { connect: 5s, first_byte: 60s }
          groq:
            preset: groq
            api_key: ${GROQ_KEY}
          router:
            preset: openrouter
            headers: { HTTP-Referer: https://example.com, X-Title: Switchyard }
          local:
            kind: openai-compatible
            base_url: http://10.0.0.5:8080/v1/
        deployments:
          gpt4o-openai:
            provider: openai
            model: gpt-4o
            timeouts: { first_byte: 30s }
          gpt4o-router:
            provider: router
            model: openai/gpt-4o
          mini:
            provider: openai
            model: gpt-4o-mini
          llama-local:
            provider: local
            model: llama3
        models:
          gpt-4o:
            deployments:
              - deployment: gpt4o-openai
                weight: 3
              - gpt4o-router
            fallbacks: [gpt-4o-mini, llama-local]
            max_attempts: 5
            retry: { max_retries: 2, base_delay: 250ms, max_delay: 2s }
            timeout: 2m
            on:
              rate_limited: switch
              server_error: fail
          gpt-4o-mini: mini
          groq/llama-3.3-70b:
            deployments:
              - provider: groq
                model: llama-3.3-70b-versatile
        """;

    private static readonly Func<string, string?> FullEnv = Env(
        ("OPENAI_API_KEY", "sk-openai"), ("GROQ_KEY", "gsk-groq"), ("OPENROUTER_API_KEY", "or-key"),
        ("TEAM_A_KEY", "team-a-secret"), ("GW_MASTER", "master-secret"));

    [Fact]
    public void LoadYaml_FullFile_BindsServerAndAuth()
    {
        var config = LoadValid(FullFile, FullEnv);

        Assert.Equal("test.yaml", config.Source);
        Assert.Equal(4L * 1024 * 1024, config.Server.MaxRequestBodyBytes);
        Assert.Equal("./var/data", config.Server.DataDirectory);

        Assert.Equal("GW_MASTER", config.Auth.MasterKeyEnv);
        Assert.Equal(KeyHasher.Hash("master-secret"), config.Auth.MasterKeyHash);
        Assert.Collection(config.Auth.Keys,
            k =>
            {
                Assert.Equal("ci-bot", k.Id);
                Assert.Equal(KeyHasher.Hash("test"), k.Hash); // sha256("test"), written in uppercase hex
            },
            k =>
            {
                Assert.Equal("team-a", k.Id);
                Assert.Equal(KeyHasher.Hash("team-a-secret"), k.Hash);
            });
        Assert.False(config.Auth.IsOpen);
    }

    [Fact]
    public void LoadYaml_FullFile_BindsProviders()
    {
        var config = LoadValid(FullFile, FullEnv);

        var openai = config.Providers["openai"];
        Assert.Equal(OpenAICompatibleProvider.KindName, openai.Kind);
        Assert.Equal("openai", openai.Preset);
        Assert.Equal(new Uri("https://api.openai.com/v1"), openai.BaseUrl);
        Assert.Equal("sk-openai", openai.ApiKey);

        Assert.Equal("gsk-groq", config.Providers["groq"].ApiKey);
        Assert.Equal(
            [new("HTTP-Referer", "https://example.com"), new("X-Title", "Switchyard")],
            config.Providers["router"].Headers);

        var local = config.Providers["local"];
        Assert.Equal("openai-compatible", local.Preset);
        Assert.Equal("http://10.0.0.5:8080/v1", local.BaseUrl.ToString());
        Assert.Null(local.ApiKey);
    }

    [Fact]
    public void LoadYaml_FullFile_TimeoutsInheritDeploymentThenProviderThenDefault()
    {
        var config = LoadValid(FullFile, FullEnv);

        Assert.Equal(
            new Timeouts(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(60), Timeouts.Default.Idle, Timeouts.Default.Total),
            config.Providers["openai"].Timeouts);
        Assert.Equal(
            new Timeouts(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30), Timeouts.Default.Idle, Timeouts.Default.Total),
            config.Deployments["gpt4o-openai"].Timeouts);
        Assert.Equal(config.Providers["openai"].Timeouts, config.Deployments["mini"].Timeouts);
        Assert.Equal(Timeouts.Default, config.Deployments["gpt4o-router"].Timeouts);
    }

    [Fact]
    public void LoadYaml_FullFile_BindsWeightsFallbacksAndPolicy()
    {
        var config = LoadValid(FullFile, FullEnv);
        var alias = config.Models["gpt-4o"];

        Assert.Collection(alias.Deployments,
            d => Assert.Equal(("gpt4o-openai", "gpt-4o", 3), (d.Deployment.Name, d.Deployment.UpstreamModel, d.Weight)),
            d => Assert.Equal(("gpt4o-router", "openai/gpt-4o", 1), (d.Deployment.Name, d.Deployment.UpstreamModel, d.Weight)));
        Assert.Same(config.Providers["router"], alias.Deployments[1].Deployment.Provider);

        Assert.Equal([new FallbackTarget("gpt-4o-mini", IsAlias: true), new FallbackTarget("llama-local", IsAlias: false)], alias.Fallbacks);

        var p = alias.Policy;
        Assert.Equal(5, p.MaxAttempts);
        Assert.Equal(2, p.MaxRetries);
        Assert.Equal(TimeSpan.FromMilliseconds(250), p.BaseDelay);
        Assert.Equal(TimeSpan.FromSeconds(2), p.MaxDelay);
        Assert.Equal(TimeSpan.FromMinutes(2), p.RequestTimeout);
        Assert.Equal(FallbackAction.Switch, p.ActionFor(FailureKind.RateLimited));
        Assert.Equal(FallbackAction.Fail, p.ActionFor(FailureKind.ServerError));
        Assert.Equal(FallbackAction.RetryThenSwitch, p.ActionFor(FailureKind.Timeout)); // unlisted: default
        Assert.Equal(FallbackAction.Fail, p.ActionFor(FailureKind.ClientError));
    }

    [Fact]
    public void LoadYaml_StringShorthandAndInlineDeployment_CreateDeployments()
    {
        var config = LoadValid(FullFile, FullEnv);

        var mini = config.Models["gpt-4o-mini"];
        Assert.Same(config.Deployments["mini"], Assert.Single(mini.Deployments).Deployment);
        Assert.Same(FallbackPolicy.Default, mini.Policy);

        var inline = Assert.Single(config.Models["groq/llama-3.3-70b"].Deployments);
        Assert.Equal("groq/llama-3.3-70b/0", inline.Deployment.Name);
        Assert.Equal("llama-3.3-70b-versatile", inline.Deployment.UpstreamModel);
        Assert.Same(inline.Deployment, config.Deployments["groq/llama-3.3-70b/0"]);
    }

    [Fact]
    public void LoadYaml_EmptyDocument_UsesDefaultsAndEcho()
    {
        var config = LoadValid("# nothing configured yet\n");

        Assert.Equal(ServerSettings.Default, config.Server);
        Assert.Equal(AuthSettings.DefaultMasterKeyEnv, config.Auth.MasterKeyEnv);
        Assert.True(config.Auth.IsOpen);
        Assert.Equal([BuiltInEcho.ProviderName], config.Providers.Keys.ToArray());
        Assert.Equal([BuiltInEcho.DeploymentName], config.Deployments.Keys.ToArray());
        Assert.Equal([BuiltInEcho.AliasName], config.Models.Keys.ToArray());
    }

    [Fact]
    public void LoadYaml_AnyFile_AlwaysContainsEchoModel()
    {
        var config = LoadValid(FullFile, FullEnv);

        var echo = config.Providers["switchyard"];
        Assert.Equal(EchoProvider.KindName, echo.Kind);
        Assert.Equal("echo", echo.Preset);
        Assert.Equal(new Uri("http://echo.switchyard.invalid/v1"), echo.BaseUrl);
        Assert.Null(echo.ApiKey);
        Assert.Equal("echo", config.Deployments["switchyard-echo"].UpstreamModel);
        Assert.Same(config.Deployments["switchyard-echo"], Assert.Single(config.Models["switchyard/echo"].Deployments).Deployment);
    }

    [Fact]
    public void LoadYaml_FileRedefinesEchoAlias_FileWins()
    {
        var config = LoadValid("""
            providers: { groq: {} }
            models:
              switchyard/echo:
                deployments: [{ provider: groq, model: llama-3.1-8b-instant }]
            """, Env(("GROQ_API_KEY", "k")));

        Assert.Equal("llama-3.1-8b-instant", Assert.Single(config.Models["switchyard/echo"].Deployments).Deployment.UpstreamModel);
        Assert.Equal(EchoProvider.KindName, config.Deployments["switchyard-echo"].Provider.Kind); // untouched names still built in
    }

    [Fact]
    public void LoadYaml_FallbackToBuiltInEcho_Resolves()
    {
        var config = LoadValid("""
            providers: { ollama: {} }
            models:
              local:
                deployments: [{ provider: ollama, model: qwen3 }]
                fallbacks: [switchyard/echo, switchyard-echo]
            """);

        Assert.Equal(
            [new FallbackTarget("switchyard/echo", IsAlias: true), new FallbackTarget("switchyard-echo", IsAlias: false)],
            config.Models["local"].Fallbacks);
    }

    [Fact]
    public void LoadYaml_ProviderWithoutPreset_UsesPresetNamedAfterProvider()
    {
        var config = LoadValid("providers:\n  groq:\n  ollama:\n    base_url: http://gpu-box:11434/v1\n");

        Assert.Equal("groq", config.Providers["groq"].Preset);
        Assert.Equal(new Uri("https://api.groq.com/openai/v1"), config.Providers["groq"].BaseUrl);
        Assert.Null(config.Providers["groq"].ApiKey); // unused, so a missing key is not an error
        Assert.Equal(new Uri("http://gpu-box:11434/v1"), config.Providers["ollama"].BaseUrl);
    }

    [Fact]
    public void LoadYaml_ApiKeyReferenceWithEmptyDefault_IsOptional()
    {
        var config = LoadValid("""
            providers:
              vllm: { api_key: "${VLLM_TOKEN:-}" }
            deployments:
              d: { provider: vllm, model: m }
            """);

        Assert.Null(config.Providers["vllm"].ApiKey);
    }
}

public sealed class ServerSettingsTests
{
    [Fact]
    public void LoadYaml_EchoModelOff_LeavesTheBuiltInModelOut()
    {
        var on = ConfigLoader.LoadYaml("server: { echo_model: true }", "t", _ => null).Config!;
        var off = ConfigLoader.LoadYaml("server: { echo_model: false }", "t", _ => null).Config!;

        Assert.Contains(BuiltInEcho.AliasName, on.Models.Keys);
        Assert.DoesNotContain(BuiltInEcho.AliasName, off.Models.Keys);
        Assert.Empty(off.Providers);
    }

    [Fact]
    public void LoadYaml_EchoModelOff_AFileThatUsesItIsRefused()
    {
        var result = ConfigLoader.LoadYaml("""
            server: { echo_model: false }
            models: { demo: { deployments: [d], fallbacks: [switchyard/echo] } }
            deployments: { d: { provider: p, model: m } }
            providers: { p: { kind: openai-compatible, base_url: "http://localhost:1/v1" } }
            """, "t", _ => null);

        Assert.Contains(result.Errors, e => e.Message.Contains("switchyard/echo", StringComparison.Ordinal));
    }

    [Fact]
    public void LoadYaml_BodyReadTimeout_IsBound()
    {
        var config = ConfigLoader.LoadYaml("server: { body_read_timeout: 5s }", "t", _ => null).Config!;
        Assert.Equal(TimeSpan.FromSeconds(5), config.Server.BodyReadTimeout);
    }
}
