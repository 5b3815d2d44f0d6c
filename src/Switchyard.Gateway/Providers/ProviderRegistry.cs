using System.Collections.Frozen;

namespace Switchyard.Providers;

/// <summary>
/// The running gateway's provider objects, looked up per request: the adapter and native embeddings of each
/// provider kind, and the protocols that can be relayed untranslated. Built once from a
/// <see cref="ProviderCatalog"/> (<see cref="ProviderCatalog.CreateRegistry"/>), where providers are registered.
/// </summary>
public sealed class ProviderRegistry
{
    private readonly FrozenDictionary<string, IProviderAdapter> adapters;
    private readonly FrozenDictionary<string, IPassthroughProtocol> passthroughs;
    private readonly FrozenDictionary<string, IEmbeddingsProvider> embeddings;

    /// <summary>Creates a registry from explicit registrations, keyed by kind name (tests register fakes).</summary>
    public ProviderRegistry(
        IEnumerable<KeyValuePair<string, IProviderAdapter>> adapters,
        IEnumerable<IPassthroughProtocol> passthroughs,
        IEnumerable<KeyValuePair<string, IEmbeddingsProvider>>? embeddings = null)
    {
        this.adapters = adapters.ToFrozenDictionary(StringComparer.Ordinal);
        this.passthroughs = passthroughs.ToFrozenDictionary(p => p.Protocol, StringComparer.Ordinal);
        this.embeddings = (embeddings ?? []).ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>Every built-in provider (<see cref="ProviderCatalog.Default"/>). <paramref name="time"/> signs requests (Bedrock SigV4);
    /// <paramref name="environment"/> supplies provider credentials read at request time (Bedrock's AWS keys).</summary>
    public static ProviderRegistry CreateDefault(TimeProvider? time = null, Func<string, string?>? environment = null) =>
        ProviderCatalog.Default.CreateRegistry(new ProviderServices(time ?? TimeProvider.System, environment ?? Environment.GetEnvironmentVariable));

    /// <summary>The native embeddings endpoint of <paramref name="kind"/>, for OpenAI embeddings requests it cannot pass through.</summary>
    public IEmbeddingsProvider? Embeddings(string kind) => embeddings.GetValueOrDefault(kind);

    /// <summary>Each kind's endpoints beyond chat (images, audio, moderation, rerank), by kind name.</summary>
    public FrozenDictionary<string, IMediaProvider> MediaProviders { get; init; } = FrozenDictionary<string, IMediaProvider>.Empty;

    /// <summary>The endpoints beyond chat of <paramref name="kind"/>, or null when it has none.</summary>
    public IMediaProvider? Media(string kind) => MediaProviders.GetValueOrDefault(kind);

    /// <summary>Each kind's video jobs after the create (poll, download, delete), by kind name.</summary>
    public FrozenDictionary<string, IVideoProvider> VideoProviders { get; init; } = FrozenDictionary<string, IVideoProvider>.Empty;

    /// <summary>The video jobs of <paramref name="kind"/>, or null when it makes no videos.</summary>
    public IVideoProvider? Videos(string kind) => VideoProviders.GetValueOrDefault(kind);

    /// <summary>The adapter for <paramref name="kind"/>, or null when this gateway has none.</summary>
    public IProviderAdapter? Adapter(string kind) => adapters.GetValueOrDefault(kind);

    /// <summary>The passthrough implementation of <paramref name="protocol"/>, if it has one.</summary>
    public IPassthroughProtocol? Passthrough(string? protocol) =>
        protocol is not null && passthroughs.TryGetValue(protocol, out var p) ? p : null;
}
