namespace Switchyard.Core;

/// <summary>
/// Everything the gateway knows about one provider kind, declared in that provider's folder
/// (<c>Providers/NAME/NAMEProvider.cs</c>) and registered with one line in the provider catalog: the name a
/// config file writes in <c>kind:</c>, the settings it takes and how they are checked, its presets, and the
/// factories for what serves its requests. Configuration, hosting and dispatch reach providers only through
/// descriptors, so adding a provider edits no core code (the Portkey habit: one folder, one registration line).
/// <para>
/// Members default to "not supported": a descriptor overrides only what its upstream has (capabilities, not
/// thirty stubs). Descriptors are immutable and stateless, so one instance can sit in a static catalog; the
/// objects its factories make are created once per running gateway, from <see cref="ProviderServices"/>.
/// </para>
/// </summary>
public abstract class ProviderDescriptor
{
    /// <summary>
    /// The kind name written in <c>providers.NAME.kind</c> and recorded in <see cref="ProviderConfig.Kind"/>
    /// (lower case, e.g. <c>anthropic</c>). Unique within a catalog.
    /// </summary>
    public abstract string Kind { get; }

    /// <summary>
    /// Names accepted under <c>providers.NAME.settings</c>. Any other name is refused at load, at its path and
    /// with a spelling hint, so a typo never silently does nothing.
    /// </summary>
    public virtual IReadOnlyList<string> Settings => [];

    /// <summary>Known hosts of this kind (<c>preset: NAME</c>, and the zero-configuration defaults). Names are unique within a catalog.</summary>
    public virtual IReadOnlyList<ProviderPreset> Presets => [];

    /// <summary>
    /// True when a provider declared with <c>kind:</c> has no endpoint until <c>base_url</c> says where (any
    /// OpenAI-compatible server, an Azure resource); loading refuses it without one.
    /// </summary>
    public virtual bool RequiresBaseUrl => false;

    /// <summary>
    /// True for the catch-all kind of a catalog (OpenAI-compatible): <c>preset: KIND</c> is accepted as a synonym
    /// of <c>kind: KIND</c>, and errors about an unknown preset suggest it for hosts that have none. At most one per catalog.
    /// </summary>
    public virtual bool IsGeneric => false;

    /// <summary>Where a provider of this kind lives when neither <c>base_url</c> nor a preset says (the echo model's reserved host); null for none.</summary>
    public virtual Uri? DefaultBaseUrl => null;

    /// <summary>
    /// Checks the settings that only make sense together (the binder has already refused unknown names) and
    /// returns the base URL they imply when the file gives none, or null. Bedrock derives its endpoint from
    /// <c>region</c>; Vertex needs <c>project</c> and <c>location</c>. Problems go to <see cref="ProviderSettingsContext.Error"/>.
    /// </summary>
    public virtual Uri? CheckSettings(ProviderSettingsContext context) => null;

    /// <summary>
    /// The provider folder whose <c>models.yaml</c> describes this kind's models (limits, capabilities, parameter
    /// rules); null when the kind serves models nobody can list (a generic OpenAI-compatible host still reads
    /// OpenAI's, whose patterns only match OpenAI's model names).
    /// </summary>
    public virtual string? ModelCatalog => null;

    /// <summary>Makes the adapter that builds this kind's upstream requests and maps its answers (one per gateway).</summary>
    public abstract IProviderAdapter CreateAdapter(ProviderServices services);

    /// <summary>
    /// Makes the native embeddings endpoint for OpenAI embeddings requests routed to this kind (Gemini, Bedrock);
    /// null when the kind has none or takes OpenAI's embeddings untranslated.
    /// </summary>
    public virtual IEmbeddingsProvider? CreateEmbeddings(ProviderServices services) => null;

    /// <summary>
    /// The operations this kind's upstream has (docs/adr/0017-beyond-chat.md); a deployment's <c>operations:</c> may
    /// narrow it, never widen it (refused at load). Chat and embeddings unless the kind says otherwise.
    /// </summary>
    public virtual OperationKinds Serves => OperationKinds.ChatDefault;

    /// <summary>
    /// Makes this kind's endpoints beyond chat and embeddings (images, audio, moderation, rerank); null when it has none.
    /// Its <see cref="IMediaProvider.Serves"/> must cover what <see cref="Serves"/> claims beyond chat, embeddings and batches
    /// (files and batches are served by <c>Batches/ProviderObjects</c> for any OpenAI-protocol kind that claims them).
    /// </summary>
    public virtual IMediaProvider? CreateMedia(ProviderServices services) => null;

    /// <summary>
    /// The kind's video jobs after their create (poll, download, delete), when <see cref="Serves"/> includes
    /// <see cref="OperationKinds.Videos"/>; the create itself is <see cref="CreateMedia"/>'s.
    /// </summary>
    public virtual IVideoProvider? CreateVideos(ProviderServices services) => null;

    /// <summary>
    /// The untranslated relay of this kind's protocol, when a client format speaks it too (OpenAI, Anthropic).
    /// Kinds that reuse another kind's protocol (Azure speaks OpenAI's) return null: one relay per protocol.
    /// </summary>
    public virtual IPassthroughProtocol? CreatePassthrough() => null;

    /// <summary>
    /// What this kind's providers charge per model, read from the data files in its folder (<c>prices*.json</c>,
    /// embedded): each file with its source page and the date it was read, each entry effective from a date. A
    /// deployment without <c>price:</c> in the file gets its model's entry at load; an unpriced model records cost 0.
    /// </summary>
    public virtual PriceBook Prices => PriceBook.Empty;

    /// <summary>
    /// An <see cref="HttpMessageHandler"/> that answers this kind's requests in-process instead of over the network
    /// (the built-in echo model); null for every kind that has a real upstream.
    /// </summary>
    public virtual HttpMessageHandler? CreateInProcessHandler(ProviderServices services) => null;

    /// <inheritdoc />
    public override string ToString() => Kind;
}

/// <summary>
/// What provider factories may use, created once per gateway: the clock (Bedrock's SigV4 dates, Vertex token
/// expiry, the echo model's timestamps) and the environment (credentials read at request time, not at load).
/// </summary>
/// <param name="Time">The gateway's clock (a fake one in tests).</param>
/// <param name="Environment">Variable lookup (the process environment in production, a dictionary in tests).</param>
public sealed record ProviderServices(TimeProvider Time, Func<string, string?> Environment);
