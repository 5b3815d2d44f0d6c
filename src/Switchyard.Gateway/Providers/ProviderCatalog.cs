using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using Switchyard.Providers.Anthropic;
using Switchyard.Providers.AzureOpenAI;
using Switchyard.Providers.Bedrock;
using Switchyard.Providers.Echo;
using Switchyard.Providers.Gemini;
using Switchyard.Providers.OpenAI;
using Switchyard.Providers.Rerank;
using Switchyard.Providers.Replicate;
using Switchyard.Providers.Vertex;

namespace Switchyard.Providers;

/// <summary>
/// The provider kinds a gateway knows: one <see cref="ProviderDescriptor"/> per kind. Configuration loading
/// validates <c>kind:</c>, <c>preset:</c> and <c>settings:</c> against it, the zero-configuration defaults read
/// its presets, and hosting builds the adapters and in-process handlers from it. Immutable: <see cref="With"/>
/// returns a new catalog, so the static <see cref="Default"/> can be shared and extended (a test, or a host with
/// a private provider) without anyone seeing another's additions.
/// </summary>
public sealed class ProviderCatalog
{
    /// <summary>Every built-in provider. Adding a provider: its folder beside this file, and one line here.</summary>
    public static ProviderCatalog Default { get; } = new(
    [
        new OpenAICompatibleProvider(),
        new EchoProvider(),
        new AnthropicProvider(),
        new GeminiProvider(),
        new BedrockProvider(),
        new AzureOpenAIProvider(),
        new VertexProvider(),
        new RerankProvider(RerankDialect.Cohere),
        new RerankProvider(RerankDialect.Jina),
        new RerankProvider(RerankDialect.Voyage),
        new ReplicateProvider(),
    ]);

    private readonly FrozenDictionary<string, ProviderDescriptor> kinds;
    private readonly FrozenDictionary<string, (ProviderDescriptor Descriptor, ProviderPreset Preset)> presets;

    /// <summary>
    /// Creates a catalog. Throws <see cref="ArgumentException"/> for a duplicate kind, a duplicate preset name, a
    /// preset named like another kind, or two generic kinds: each would make a config name mean two things.
    /// </summary>
    public ProviderCatalog(IEnumerable<ProviderDescriptor> descriptors)
    {
        ArgumentNullException.ThrowIfNull(descriptors);
        Descriptors = [.. descriptors];
        var byKind = new Dictionary<string, ProviderDescriptor>(StringComparer.Ordinal);
        foreach (var descriptor in Descriptors)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(descriptor.Kind, nameof(descriptors));
            if (!byKind.TryAdd(descriptor.Kind, descriptor))
            {
                throw new ArgumentException($"provider kind '{descriptor.Kind}' is registered twice", nameof(descriptors));
            }
        }

        var byPreset = new Dictionary<string, (ProviderDescriptor, ProviderPreset)>(StringComparer.Ordinal);
        foreach (var descriptor in Descriptors)
        {
            foreach (var preset in descriptor.Presets)
            {
                // A native kind may have a preset of its own name (anthropic); naming another kind would be ambiguous.
                if (byKind.TryGetValue(preset.Name, out var other) && other != descriptor)
                {
                    throw new ArgumentException($"preset '{preset.Name}' of kind '{descriptor.Kind}' is named like kind '{other.Kind}'", nameof(descriptors));
                }

                if (!byPreset.TryAdd(preset.Name, (descriptor, preset)))
                {
                    throw new ArgumentException($"preset '{preset.Name}' is registered twice", nameof(descriptors));
                }
            }
        }

        if (Descriptors.Count(d => d.IsGeneric) > 1)
        {
            throw new ArgumentException("at most one provider kind may be generic", nameof(descriptors));
        }

        kinds = byKind.ToFrozenDictionary(StringComparer.Ordinal);
        presets = byPreset.ToFrozenDictionary(StringComparer.Ordinal);
        KindNames = [.. kinds.Keys.Order(StringComparer.Ordinal)];
        PresetNames = [.. presets.Keys.Order(StringComparer.Ordinal)];
        Generic = Descriptors.FirstOrDefault(d => d.IsGeneric);
    }

    /// <summary>The descriptors, in registration order.</summary>
    public IReadOnlyList<ProviderDescriptor> Descriptors { get; }

    /// <summary>Kind names in a stable, readable order (for messages and listings).</summary>
    public IReadOnlyList<string> KindNames { get; }

    /// <summary>Preset names in a stable, readable order (for messages, listings and the defaults).</summary>
    public IReadOnlyList<string> PresetNames { get; }

    /// <summary>The catch-all kind (<see cref="ProviderDescriptor.IsGeneric"/>), suggested for hosts without a preset; null when none.</summary>
    public ProviderDescriptor? Generic { get; }

    /// <summary>This catalog plus <paramref name="more"/> (refused like the constructor refuses clashes).</summary>
    public ProviderCatalog With(params IEnumerable<ProviderDescriptor> more) => new([.. Descriptors, .. more]);

    /// <summary>The descriptor of kind <paramref name="kind"/> (ordinal), or null.</summary>
    public ProviderDescriptor? Find(string kind) => kinds.GetValueOrDefault(kind);

    /// <summary>The preset called <paramref name="name"/> and the descriptor that owns it.</summary>
    public bool TryGetPreset(string name, [NotNullWhen(true)] out ProviderDescriptor? descriptor, [NotNullWhen(true)] out ProviderPreset? preset)
    {
        var found = presets.TryGetValue(name, out var entry);
        (descriptor, preset) = found ? entry : (null, null);
        return found;
    }

    /// <summary>
    /// The price book's price for <paramref name="model"/> served by <paramref name="provider"/> (its kind's book, the
    /// lists that apply to its preset), in effect on <paramref name="today"/> and carrying the model's whole schedule;
    /// null when the book does not price it (or the kind is not in this catalog).
    /// </summary>
    public Price? BookPrice(ProviderConfig provider, string model, DateOnly today)
    {
        ArgumentNullException.ThrowIfNull(provider);
        return Find(provider.Kind)?.Prices.PriceFor(provider.Preset, model, today);
    }

    /// <summary>The adapters, native embeddings and passthrough relays of every kind, made once for a gateway.</summary>
    public ProviderRegistry CreateRegistry(ProviderServices services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var adapters = new List<KeyValuePair<string, IProviderAdapter>>(Descriptors.Count);
        var embeddings = new List<KeyValuePair<string, IEmbeddingsProvider>>();
        var passthroughs = new List<IPassthroughProtocol>();
        var media = new List<KeyValuePair<string, IMediaProvider>>();
        var videos = new List<KeyValuePair<string, IVideoProvider>>();
        foreach (var descriptor in Descriptors)
        {
            adapters.Add(new(descriptor.Kind, descriptor.CreateAdapter(services)));
            if (descriptor.CreateMedia(services) is { } beyondChat)
            {
                media.Add(new(descriptor.Kind, beyondChat));
            }

            if (descriptor.CreateVideos(services) is { } jobs)
            {
                videos.Add(new(descriptor.Kind, jobs));
            }

            if (descriptor.CreateEmbeddings(services) is { } native)
            {
                embeddings.Add(new(descriptor.Kind, native));
            }

            if (descriptor.CreatePassthrough() is { } relay)
            {
                if (passthroughs.Any(p => p.Protocol == relay.Protocol))
                {
                    throw new InvalidOperationException($"kind '{descriptor.Kind}' relays protocol '{relay.Protocol}', which another kind already relays");
                }

                passthroughs.Add(relay);
            }
        }

        return new ProviderRegistry(adapters, passthroughs, embeddings) 
        {
            MediaProviders = media.ToFrozenDictionary(StringComparer.Ordinal),
            VideoProviders = videos.ToFrozenDictionary(StringComparer.Ordinal),
        };
    }

    /// <summary>The in-process handlers by kind (the echo model's), for <c>UpstreamHttp</c>; the caller owns them.</summary>
    public Dictionary<string, HttpMessageHandler> CreateInProcessHandlers(ProviderServices services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var handlers = new Dictionary<string, HttpMessageHandler>(StringComparer.Ordinal);
        foreach (var descriptor in Descriptors)
        {
            if (descriptor.CreateInProcessHandler(services) is { } handler)
            {
                handlers[descriptor.Kind] = handler;
            }
        }

        return handlers;
    }
}
