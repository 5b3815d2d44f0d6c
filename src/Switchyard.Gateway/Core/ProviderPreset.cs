namespace Switchyard.Core;

/// <summary>
/// A known host of a provider kind: where it lives, which environment variable holds its key by convention,
/// and a few of its well-known model ids (the zero-configuration defaults offer them as working aliases). A
/// preset belongs to the <see cref="ProviderDescriptor"/> that lists it; its kind is that descriptor's.
/// </summary>
/// <param name="Name">Preset name as written in <c>providers.NAME.preset</c>.</param>
/// <param name="BaseUrl">Default base URL (overridable with <c>base_url</c>).</param>
/// <param name="KeyEnv">Conventional API key variable, or null when the host takes no key.</param>
/// <param name="KeyRequired">False for local servers (Ollama, vLLM, LM Studio) that run without a key.</param>
/// <param name="Models">Well-known upstream model ids; empty when they depend on what the user runs.</param>
public sealed record ProviderPreset(string Name, Uri BaseUrl, string? KeyEnv, bool KeyRequired, IReadOnlyList<string> Models)
{
    /// <summary>
    /// For a local server: the variable whose value (a base URL) registers it in the zero-configuration
    /// defaults, e.g. <c>OLLAMA_BASE_URL</c>. Local servers have no port everyone uses unchanged, and probing
    /// localhost at startup would be surprising, so they are registered only when told where they are.
    /// </summary>
    public string? BaseUrlEnv { get; init; }

    /// <summary>
    /// True when the defaults also offer this preset's models without the <c>NAME/</c> prefix (<c>gpt-4o</c>):
    /// OpenAI's ids are what most clients send out of the box. Prefixed names are never shadowed by it.
    /// </summary>
    public bool Unprefixed { get; init; }

    /// <summary>True for servers a user runs themselves (no key needed, models unknown in advance).</summary>
    public bool IsLocal => !KeyRequired;

    /// <summary>A hosted service: its key is required and named by <paramref name="keyEnv"/>.</summary>
    public static ProviderPreset Hosted(string name, string baseUrl, string keyEnv, params string[] models) =>
        new(name, new Uri(baseUrl), keyEnv, KeyRequired: true, models);

    /// <summary>A server the user runs: no key required, no models known in advance, registered by <paramref name="baseUrlEnv"/>.</summary>
    public static ProviderPreset Local(string name, string baseUrl, string baseUrlEnv, string? keyEnv = null) =>
        new(name, new Uri(baseUrl), keyEnv, KeyRequired: false, []) { BaseUrlEnv = baseUrlEnv };
}

/// <summary>
/// A provider's settings as its descriptor checks them at load (<see cref="ProviderDescriptor.CheckSettings"/>):
/// the values given, the explicit <c>base_url</c>, and a place to report problems. The loader reports each
/// problem at <see cref="Path"/> alongside every other configuration error, so nothing stops at the first one.
/// </summary>
public sealed class ProviderSettingsContext
{
    private readonly List<string> errors = [];

    /// <summary>Creates the context for one provider.</summary>
    /// <param name="path">Path of the settings mapping, e.g. <c>providers.aws.settings</c>.</param>
    /// <param name="settings">The settings given (names already checked against <see cref="ProviderDescriptor.Settings"/>).</param>
    /// <param name="baseUrl">The explicit <c>base_url</c>, or null when the file gives none.</param>
    public ProviderSettingsContext(string path, IReadOnlyDictionary<string, string> settings, Uri? baseUrl)
    {
        Path = path;
        Settings = settings;
        BaseUrl = baseUrl;
    }

    /// <summary>Path of the settings mapping, where errors are reported.</summary>
    public string Path { get; }

    /// <summary>The settings given, trimmed, <c>${VAR}</c> already substituted.</summary>
    public IReadOnlyDictionary<string, string> Settings { get; }

    /// <summary>The explicit <c>base_url</c>, or null.</summary>
    public Uri? BaseUrl { get; }

    /// <summary>The problems reported so far, in order.</summary>
    public IReadOnlyList<string> Errors => errors;

    /// <summary>Reports a problem with the settings (at <see cref="Path"/>); the provider is then refused.</summary>
    public void Error(string message) => errors.Add(message);
}
