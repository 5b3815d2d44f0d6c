using System.Collections.Frozen;
using Switchyard.Canonical;
using Switchyard.Configuration;
using Switchyard.Providers.Anthropic;
using Switchyard.Providers.AzureOpenAI;
using Switchyard.Providers.Bedrock;
using Switchyard.Providers.Gemini;
using Switchyard.Providers.OpenAI;
using Switchyard.Providers.Vertex;

namespace Switchyard.Providers;

/// <summary>
/// The one place providers are registered: the adapter per provider kind, and the protocols that can be
/// relayed untranslated. Adding a provider adds a line here and a folder beside this file.
/// </summary>
public sealed class ProviderRegistry
{
    private readonly FrozenDictionary<ProviderKind, IProviderAdapter> adapters;
    private readonly FrozenDictionary<string, IPassthroughProtocol> passthroughs;
    private FrozenDictionary<ProviderKind, IEmbeddingsProvider> embeddings = FrozenDictionary<ProviderKind, IEmbeddingsProvider>.Empty;

    /// <summary>Creates a registry from explicit registrations (tests register fakes).</summary>
    public ProviderRegistry(IEnumerable<KeyValuePair<ProviderKind, IProviderAdapter>> adapters, IEnumerable<IPassthroughProtocol> passthroughs)
    {
        this.adapters = adapters.ToFrozenDictionary();
        this.passthroughs = passthroughs.ToFrozenDictionary(p => p.Protocol, StringComparer.Ordinal);
    }

    /// <summary>Every built-in provider. <paramref name="time"/> signs requests (Bedrock SigV4);
    /// <paramref name="environment"/> supplies provider credentials read at request time (Bedrock's AWS keys).</summary>
    public static ProviderRegistry CreateDefault(TimeProvider? time = null, Func<string, string?>? environment = null)
    {
        var openai = new OpenAIChatAdapter();
        return new ProviderRegistry(
            [
                new(ProviderKind.OpenAICompatible, openai),
                new(ProviderKind.Echo, openai), // the echo model speaks OpenAI in-process
                new(ProviderKind.Bedrock, new BedrockAdapter(time ?? TimeProvider.System, environment ?? Environment.GetEnvironmentVariable)),
                new(ProviderKind.AzureOpenAI, new AzureOpenAIAdapter()),
                new(ProviderKind.Gemini, new GeminiAdapter()),
                new(ProviderKind.Anthropic, new AnthropicAdapter()),
                new(ProviderKind.Vertex, new VertexAdapter(time ?? TimeProvider.System, environment ?? Environment.GetEnvironmentVariable)),
            ],
            [new OpenAIPassthrough(), new AnthropicPassthrough()])
        {
            embeddings = new Dictionary<ProviderKind, IEmbeddingsProvider>
            {
                [ProviderKind.Gemini] = new GeminiEmbeddings(),
                [ProviderKind.Bedrock] = new BedrockEmbeddings(time ?? TimeProvider.System, environment ?? Environment.GetEnvironmentVariable),
            }.ToFrozenDictionary(),
        };
    }

    /// <summary>The native embeddings endpoint of <paramref name="kind"/>, for OpenAI embeddings requests it cannot pass through.</summary>
    public IEmbeddingsProvider? Embeddings(ProviderKind kind) => embeddings.GetValueOrDefault(kind);

    /// <summary>The adapter for <paramref name="kind"/>, or null when this build has none.</summary>
    public IProviderAdapter? Adapter(ProviderKind kind) => adapters.GetValueOrDefault(kind);

    /// <summary>The passthrough implementation of <paramref name="protocol"/>, if it has one.</summary>
    public IPassthroughProtocol? Passthrough(string? protocol) =>
        protocol is not null && passthroughs.TryGetValue(protocol, out var p) ? p : null;
}
