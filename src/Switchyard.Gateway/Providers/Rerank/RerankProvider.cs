namespace Switchyard.Providers.Rerank;

/// <summary>Which rerank API an upstream speaks: their requests and answers differ in a few names (docs/adr/0017-beyond-chat.md).</summary>
public enum RerankDialect
{
    /// <summary>Cohere's <c>POST /v2/rerank</c>: <c>top_n</c>; answers <c>results</c> and <c>meta.billed_units.search_units</c>.</summary>
    Cohere,

    /// <summary>Jina's <c>POST /v1/rerank</c>: <c>top_n</c>, <c>return_documents</c>; answers <c>results</c> and <c>usage.total_tokens</c>.</summary>
    Jina,

    /// <summary>Voyage's <c>POST /v1/rerank</c>: <c>top_k</c>, <c>return_documents</c>, <c>truncation</c>; answers <c>data</c> and <c>usage.total_tokens</c>.</summary>
    Voyage,
}

/// <summary>
/// <c>kind: cohere</c>, <c>kind: jina</c>, <c>kind: voyage</c>: rerank services behind <c>/v1/rerank</c>, each with a
/// preset of its own name (its public endpoint and key variable). A host that copies one of these APIs (a self-hosted
/// Jina-compatible reranker, Voyage's models on another cloud) is the same kind with a <c>base_url</c>. Rerank is all
/// these kinds serve through the gateway; their chat and embeddings APIs are not wired.
/// </summary>
public sealed class RerankProvider(RerankDialect dialect) : ProviderDescriptor
{
    /// <summary>The dialect this kind speaks.</summary>
    public RerankDialect Dialect { get; } = dialect;

    /// <inheritdoc />
    public override string Kind => Dialect switch
    {
        RerankDialect.Cohere => "cohere",
        RerankDialect.Jina => "jina",
        _ => "voyage",
    };

    /// <inheritdoc />
    public override IReadOnlyList<ProviderPreset> Presets => [Dialect switch
    {
        RerankDialect.Cohere => ProviderPreset.Hosted("cohere", "https://api.cohere.com/v2", "COHERE_API_KEY", "rerank-v4.0-pro", "rerank-v4.0-fast", "rerank-v3.5"),
        RerankDialect.Jina => ProviderPreset.Hosted("jina", "https://api.jina.ai/v1", "JINA_API_KEY", "jina-reranker-v2-base-multilingual", "jina-reranker-m0"),
        _ => ProviderPreset.Hosted("voyage", "https://api.voyageai.com/v1", "VOYAGE_API_KEY", "rerank-2.5", "rerank-2.5-lite"),
    }];

    /// <inheritdoc />
    public override OperationKinds Serves => OperationKinds.Rerank;

    /// <summary>Cohere's (per search unit) and Voyage's (per token) rerank prices; Jina's API is sold in token packs with no list rate found, so its deployments need <c>price:</c>.</summary>
    public override PriceBook Prices => Dialect switch
    {
        RerankDialect.Cohere => CohereBook,
        RerankDialect.Voyage => VoyageBook,
        _ => PriceBook.Empty,
    };

    private static readonly PriceBook CohereBook = PriceBook.FromResources(typeof(RerankProvider).Assembly, typeof(RerankProvider).Namespace + ".prices.cohere.json");

    private static readonly PriceBook VoyageBook = PriceBook.FromResources(typeof(RerankProvider).Assembly, typeof(RerankProvider).Namespace + ".prices.voyage.json");

    /// <inheritdoc />
    public override IProviderAdapter CreateAdapter(ProviderServices services) => new RerankAdapter(Kind);

    /// <inheritdoc />
    public override IMediaProvider CreateMedia(ProviderServices services) => new RerankMedia(Dialect);
}
