namespace Switchyard.Canonical;

/// <summary>An OpenAI embeddings request, as far as translation needs it.</summary>
/// <param name="Inputs">The texts (OpenAI token-array inputs are not translatable and are refused).</param>
/// <param name="Dimensions">Requested vector size, if any.</param>
/// <param name="Base64">The client asked for <c>encoding_format: base64</c> (the OpenAI SDKs' default).</param>
public sealed record EmbeddingsRequest(IReadOnlyList<string> Inputs, int? Dimensions, bool Base64);

/// <summary>Vectors in input order, and the upstream's token count when it reports one.</summary>
public sealed record EmbeddingsResult(IReadOnlyList<float[]> Vectors, long? PromptTokens);

