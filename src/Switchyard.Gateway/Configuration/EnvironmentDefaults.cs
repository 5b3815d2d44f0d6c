using System.Collections.Frozen;

namespace Switchyard.Configuration;

/// <summary>
/// The configuration used when no file is given: whatever the environment makes possible. Exporting
/// <c>GROQ_API_KEY</c> is enough to get <c>groq/llama-3.3-70b-versatile</c>; with nothing set the gateway
/// still serves the offline echo model, so a first run always works.
/// </summary>
public static class EnvironmentDefaults
{
    /// <summary>Source recorded on the config built here.</summary>
    public const string Source = "embedded defaults";

    /// <summary>
    /// Local servers have no conventional port everyone uses unchanged, and probing localhost at startup
    /// would be surprising; so they are registered only when their base URL is given explicitly.
    /// </summary>
    private static readonly FrozenDictionary<string, string> LocalBaseUrlEnv = new Dictionary<string, string>
    {
        ["ollama"] = "OLLAMA_BASE_URL",
        ["vllm"] = "VLLM_BASE_URL",
        ["lmstudio"] = "LMSTUDIO_BASE_URL",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>The variable that registers local preset <paramref name="preset"/>, or null for hosted presets.</summary>
    public static string? BaseUrlEnvFor(string preset) => LocalBaseUrlEnv.GetValueOrDefault(preset);

    /// <summary>Builds the defaults from <paramref name="env"/>.</summary>
    public static GatewayConfig Build(Func<string, string?> env)
    {
        ArgumentNullException.ThrowIfNull(env);

        var providers = new Dictionary<string, ProviderConfig>(StringComparer.Ordinal);
        var deployments = new Dictionary<string, DeploymentConfig>(StringComparer.Ordinal);
        var models = new Dictionary<string, ModelAlias>(StringComparer.Ordinal);

        foreach (var name in ProviderPresets.Names)
        {
            var preset = ProviderPresets.All[name];
            var provider = preset.IsLocal ? LocalProvider(preset, env) : HostedProvider(preset, env);
            if (provider is null)
            {
                continue;
            }

            providers[name] = provider;
            foreach (var model in preset.Models)
            {
                var deployment = new DeploymentConfig($"{name}/{model}", provider, model, provider.Timeouts);
                deployments[deployment.Name] = deployment;
                models[deployment.Name] = SingleDeployment(deployment.Name, deployment);
            }
        }

        // OpenAI's ids are what most clients send by default, so they also answer unprefixed ("gpt-4o").
        // Added after the loop so a prefixed name can never be shadowed.
        if (providers.ContainsKey("openai"))
        {
            foreach (var model in ProviderPresets.All["openai"].Models)
            {
                models.TryAdd(model, SingleDeployment(model, deployments[$"openai/{model}"]));
            }
        }

        BuiltInEcho.AddMissing(providers, deployments, models);

        var master = env(AuthSettings.DefaultMasterKeyEnv);
        var auth = new AuthSettings(
            AuthSettings.DefaultMasterKeyEnv, string.IsNullOrEmpty(master) ? null : KeyHasher.Hash(master), []);

        return new GatewayConfig(
            ServerSettings.Default,
            auth,
            providers.ToFrozenDictionary(StringComparer.Ordinal),
            deployments.ToFrozenDictionary(StringComparer.Ordinal),
            models.ToFrozenDictionary(StringComparer.Ordinal))
        {
            Source = Source,
        };
    }

    private static ProviderConfig? HostedProvider(ProviderPreset preset, Func<string, string?> env)
    {
        var key = preset.KeyEnv is null ? null : env(preset.KeyEnv);
        return string.IsNullOrEmpty(key) ? null : Provider(preset, preset.BaseUrl, key);
    }

    private static ProviderConfig? LocalProvider(ProviderPreset preset, Func<string, string?> env)
    {
        if (BaseUrlEnvFor(preset.Name) is not { } urlEnv || env(urlEnv) is not { Length: > 0 } text)
        {
            return null;
        }

        // A malformed URL is skipped rather than fatal: defaults must always produce a usable config.
        if (!Uri.TryCreate(text.Trim().TrimEnd('/'), UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            return null;
        }

        var key = preset.KeyEnv is null ? null : env(preset.KeyEnv);
        return Provider(preset, url, string.IsNullOrEmpty(key) ? null : key);
    }

    private static ProviderConfig Provider(ProviderPreset preset, Uri baseUrl, string? key) =>
        new(preset.Name, preset.Kind, preset.Name, baseUrl, key, [], Timeouts.Default);

    private static ModelAlias SingleDeployment(string alias, DeploymentConfig deployment) =>
        new(alias, [new WeightedDeployment(deployment, 1)], [], FallbackPolicy.Default);
}
