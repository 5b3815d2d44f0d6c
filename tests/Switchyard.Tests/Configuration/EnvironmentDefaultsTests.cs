using Switchyard.Configuration;
using Switchyard.Providers;
using Switchyard.Providers.Anthropic;
using Switchyard.Providers.Gemini;
using Switchyard.Providers.OpenAI;
using static Switchyard.Tests.Configuration.ConfigTestSupport;

namespace Switchyard.Tests.Configuration;

public sealed class EnvironmentDefaultsTests
{
    [Fact]
    public void Build_NoKeys_OnlyEcho()
    {
        var config = EnvironmentDefaults.Build(Env());

        Assert.Equal("embedded defaults", config.Source);
        Assert.Equal([BuiltInEcho.ProviderName], config.Providers.Keys.ToArray());
        Assert.Equal([BuiltInEcho.DeploymentName], config.Deployments.Keys.ToArray());
        Assert.Equal([BuiltInEcho.AliasName], config.Models.Keys.ToArray());
        Assert.True(config.Auth.IsOpen);
        Assert.Equal(ServerSettings.Default, config.Server);
    }

    [Fact]
    public void Build_OpenAIAndGroqKeys_RegistersPrefixedAndOpenAIUnprefixedAliases()
    {
        var config = EnvironmentDefaults.Build(Env(("OPENAI_API_KEY", "sk-o"), ("GROQ_API_KEY", "gsk"), ("MISTRAL_API_KEY", "")));

        Assert.Equal(["groq", "openai", "switchyard"], config.Providers.Keys.Order());
        Assert.Equal("sk-o", config.Providers["openai"].ApiKey);
        Assert.Equal("gsk", config.Providers["groq"].ApiKey);

        foreach (var model in Preset("openai").Models)
        {
            var prefixed = Assert.Single(config.Models[$"openai/{model}"].Deployments).Deployment;
            Assert.Equal((model, "openai"), (prefixed.UpstreamModel, prefixed.Provider.Name));
            Assert.Same(prefixed, Assert.Single(config.Models[model].Deployments).Deployment);
        }

        var llama = Assert.Single(config.Models["groq/llama-3.3-70b-versatile"].Deployments).Deployment;
        Assert.Equal("groq/llama-3.3-70b-versatile", llama.Name);
        Assert.Equal("llama-3.3-70b-versatile", llama.UpstreamModel);
        Assert.False(config.Models.ContainsKey("llama-3.3-70b-versatile")); // only OpenAI ids are unprefixed
        Assert.Contains(BuiltInEcho.AliasName, config.Models.Keys);
        Assert.DoesNotContain(config.Models.Keys, k => k.StartsWith("mistral/", StringComparison.Ordinal));
    }

    [Fact]
    public void Build_NativeProviderKeys_RegisterTheirOwnProtocols()
    {
        var config = EnvironmentDefaults.Build(Env(("ANTHROPIC_API_KEY", "sk-ant"), ("GEMINI_API_KEY", "g")));

        Assert.Equal(AnthropicProvider.KindName, config.Providers["anthropic"].Kind);
        Assert.Equal(GeminiProvider.KindName, config.Providers["gemini"].Kind);
        Assert.Contains("anthropic/claude-sonnet-4-5", config.Models.Keys);
        Assert.Contains("gemini/gemini-2.5-flash", config.Models.Keys);
    }

    [Fact]
    public void Build_LocalBaseUrl_RegistersProviderWithoutModels()
    {
        var config = EnvironmentDefaults.Build(Env(("OLLAMA_BASE_URL", "http://gpu:11434/v1/"), ("LMSTUDIO_BASE_URL", "not a url")));

        Assert.Equal(new Uri("http://gpu:11434/v1"), config.Providers["ollama"].BaseUrl);
        Assert.False(config.Providers.ContainsKey("lmstudio"));
        Assert.DoesNotContain(config.Deployments.Values, d => d.Provider.Name == "ollama");
    }

    [Fact]
    public void Build_MasterKeySet_IsHashed()
    {
        var config = EnvironmentDefaults.Build(Env(("SWITCHYARD_MASTER_KEY", "m")));

        Assert.Equal(KeyHasher.Hash("m"), config.Auth.MasterKeyHash);
    }

    [Fact]
    public void ProviderCatalog_DefaultPresets_AreWellFormed()
    {
        var presets = ProviderCatalog.Default.PresetNames.Select(Preset).ToList();
        Assert.True(presets.Count >= 15);
        foreach (var preset in presets)
        {
            Assert.True(preset.BaseUrl.IsAbsoluteUri);
            Assert.Equal(preset.KeyRequired, preset.KeyEnv is not null && preset.Name != "vllm");
            Assert.Equal(preset.IsLocal, preset.BaseUrlEnv is not null); // a local server is registered by its URL variable
            if (preset.KeyRequired)
            {
                Assert.InRange(preset.Models.Count, 2, 7);
            }

            Assert.All(preset.Models, m => Assert.True(ConfigNames.IsValid($"{preset.Name}/{m}"), m));
        }

        Assert.Equal(new Uri("https://api.groq.com/openai/v1"), Preset("groq").BaseUrl);
        Assert.Equal(["deepseek-chat", "deepseek-reasoner"], Preset("deepseek").Models);
        Assert.Equal(["OLLAMA_BASE_URL", "VLLM_BASE_URL", "LMSTUDIO_BASE_URL"], new[] { "ollama", "vllm", "lmstudio" }.Select(n => Preset(n).BaseUrlEnv));
        Assert.False(ProviderCatalog.Default.TryGetPreset(OpenAICompatibleProvider.KindName, out _, out _));
        Assert.Equal(["openai"], presets.Where(p => p.Unprefixed).Select(p => p.Name));
    }

    private static ProviderPreset Preset(string name)
    {
        Assert.True(ProviderCatalog.Default.TryGetPreset(name, out _, out var preset), name);
        return preset;
    }
}
