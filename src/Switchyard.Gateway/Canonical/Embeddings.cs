namespace Switchyard.Canonical;

/// <summary>An embeddings request (OpenAI <c>/v1/embeddings</c>, Gemini <c>:embedContent</c> / <c>:batchEmbedContents</c>), as far as translation needs it.</summary>
/// <param name="Inputs">The texts (OpenAI token-array inputs are not translatable and are refused).</param>
/// <param name="Dimensions">Requested vector size, if any.</param>
/// <param name="Base64">The client asked for <c>encoding_format: base64</c> (the OpenAI SDKs' default).</param>
public sealed record EmbeddingsRequest(IReadOnlyList<string> Inputs, int? Dimensions, bool Base64)
{
    /// <summary>
    /// What the vectors are for (Gemini's <c>taskType</c>: <c>RETRIEVAL_QUERY</c>, <c>RETRIEVAL_DOCUMENT</c>,
    /// <c>SEMANTIC_SIMILARITY</c>, <c>CLASSIFICATION</c>, <c>CLUSTERING</c>, ...); null when the client set none.
    /// A provider that cannot honour it refuses it rather than return vectors made for another purpose.
    /// </summary>
    public string? TaskType { get; init; }

    /// <summary>Gemini's <c>title</c> for a <c>RETRIEVAL_DOCUMENT</c> input.</summary>
    public string? Title { get; init; }

    /// <summary>The client expects a list back even for one input (Gemini's <c>batchEmbedContents</c>; OpenAI always lists).</summary>
    public bool Batch { get; init; }
}

/// <summary>Vectors in input order, and the upstream's token count when it reports one.</summary>
public sealed record EmbeddingsResult(IReadOnlyList<float[]> Vectors, long? PromptTokens);

