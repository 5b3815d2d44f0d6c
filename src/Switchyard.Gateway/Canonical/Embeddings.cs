using Switchyard.Routing;

namespace Switchyard.Canonical;

/// <summary>An OpenAI embeddings request, as far as translation needs it.</summary>
/// <param name="Inputs">The texts (OpenAI token-array inputs are not translatable and are refused).</param>
/// <param name="Dimensions">Requested vector size, if any.</param>
/// <param name="Base64">The client asked for <c>encoding_format: base64</c> (the OpenAI SDKs' default).</param>
public sealed record EmbeddingsRequest(IReadOnlyList<string> Inputs, int? Dimensions, bool Base64);

/// <summary>Vectors in input order, and the upstream's token count when it reports one.</summary>
public sealed record EmbeddingsResult(IReadOnlyList<float[]> Vectors, long? PromptTokens);

/// <summary>
/// A provider's native embeddings endpoint, for OpenAI embeddings requests routed to it (Gemini, Bedrock).
/// The OpenAI family and Azure need none of this: they pass embeddings through untranslated.
/// </summary>
public interface IEmbeddingsProvider
{
    /// <summary>Builds the upstream request; throws <see cref="UnsupportedFeatureException"/> for what the model cannot take.</summary>
    HttpRequestMessage BuildEmbeddings(EmbeddingsRequest request, DeploymentTarget deployment);

    /// <summary>Reads the upstream's 2xx body.</summary>
    EmbeddingsResult ParseEmbeddings(ReadOnlySpan<byte> body, EmbeddingsRequest request);
}
