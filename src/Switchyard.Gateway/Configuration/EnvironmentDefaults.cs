using System.Collections.Frozen;
using Switchyard.Providers;

namespace Switchyard.Configuration;

/// <summary>
/// The configuration used when no file is given: whatever the environment makes possible. Exporting
/// <c>GROQ_API_KEY</c> is enough to get <c>groq/llama-3.3-70b-versatile</c>; with nothing set the gateway
/// still serves the offline echo model, so a first run always works. Which variables count (API keys,
/// local servers' base URLs) is each preset's business (<see cref="ProviderPreset.KeyEnv"/>,
/// <see cref="ProviderPreset.BaseUrlEnv"/>), declared by its provider's descriptor.
/// </summary>
public static class EnvironmentDefaults
{
    /// <summary>Source recorded on the config built here.</summary>
    public const string Source = "embedded defaults";

    /// <summary>Builds the defaults from <paramref name="env"/>, offering every preset of <paramref name="providers"/> (the built-in ones when null).</summary>
    public static GatewayConfig Build(Func<string, string?> env, ProviderCatalog? providers = null)
    {
        ArgumentNullException.ThrowIfNull(env);
        var catalog = providers ?? ProviderCatalog.Default;

        var registered = new Dictionary<string, ProviderConfig>(StringComparer.Ordinal);
        var deployments = new Dictionary<string, DeploymentConfig>(StringComparer.Ordinal);
        var models = new Dictionary<string, ModelAlias>(StringComparer.Ordinal);
        var unprefixed = new List<ProviderPreset>();

        foreach (var name in catalog.PresetNames)
        {
            if (!catalog.TryGetPreset(name, out var descriptor, out var preset)
                || (preset.IsLocal ? LocalProvider(descriptor, preset, env) : HostedProvider(descriptor, preset, env)) is not { } provider)
            {
                continue;
            }

            registered[name] = provider;
            foreach (var model in preset.Models)
            {
                var deployment = new DeploymentConfig($"{name}/{model}", provider, model, provider.Timeouts)
                {
                    Price = catalog.BookPrice(provider, model, DateOnly.FromDateTime(TimeProvider.System.GetUtcNow().UtcDateTime)),
                };
                deployments[deployment.Name] = deployment;
                models[deployment.Name] = SingleDeployment(deployment.Name, deployment);
            }

            if (preset.Unprefixed)
            {
                unprefixed.Add(preset);
            }
        }

        // Unprefixed names ("gpt-4o") are added after the loop so a prefixed name can never be shadowed.
        foreach (var preset in unprefixed)
        {
            foreach (var model in preset.Models)
            {
                models.TryAdd(model, SingleDeployment(model, deployments[$"{preset.Name}/{model}"]));
            }
        }

        BuiltInEcho.AddMissing(registered, deployments, models);

        var master = env(AuthSettings.DefaultMasterKeyEnv);
        var auth = new AuthSettings(
            AuthSettings.DefaultMasterKeyEnv, string.IsNullOrEmpty(master) ? null : KeyHasher.Hash(master), []);

        return new GatewayConfig(
            ServerSettings.Default,
            auth,
            registered.ToFrozenDictionary(StringComparer.Ordinal),
            deployments.ToFrozenDictionary(StringComparer.Ordinal),
            models.ToFrozenDictionary(StringComparer.Ordinal))
        {
            Source = Source,
        };
    }

    private static ProviderConfig? HostedProvider(ProviderDescriptor descriptor, ProviderPreset preset, Func<string, string?> env)
    {
        var key = preset.KeyEnv is null ? null : env(preset.KeyEnv);
        return string.IsNullOrEmpty(key) ? null : Provider(descriptor, preset, preset.BaseUrl, key);
    }

    /// <summary>A local server, registered only when its <see cref="ProviderPreset.BaseUrlEnv"/> says where it runs.</summary>
    private static ProviderConfig? LocalProvider(ProviderDescriptor descriptor, ProviderPreset preset, Func<string, string?> env)
    {
        if (preset.BaseUrlEnv is not { } urlEnv || env(urlEnv) is not { Length: > 0 } text)
        {
            return null;
        }

        // A malformed URL is skipped rather than fatal: defaults must always produce a usable config.
        if (!Uri.TryCreate(text.Trim().TrimEnd('/'), UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            return null;
        }

        var key = preset.KeyEnv is null ? null : env(preset.KeyEnv);
        return Provider(descriptor, preset, url, string.IsNullOrEmpty(key) ? null : key);
    }

    private static ProviderConfig Provider(ProviderDescriptor descriptor, ProviderPreset preset, Uri baseUrl, string? key) =>
        new(preset.Name, descriptor.Kind, preset.Name, baseUrl, key, [], Timeouts.Default);

    private static ModelAlias SingleDeployment(string alias, DeploymentConfig deployment) =>
        new(alias, [new WeightedDeployment(deployment, 1)], [], FallbackPolicy.Default);
}
