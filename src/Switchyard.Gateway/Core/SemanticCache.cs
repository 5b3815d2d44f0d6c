namespace Switchyard.Core;

/// <summary>
/// The semantic cache of one alias or route (<c>cache: { semantic: {...} }</c>, docs/adr/0015-cache.md): a request
/// whose prompt is close enough to a stored one (cosine similarity of their embeddings at least
/// <see cref="Threshold"/>) is answered with the stored answer, unless the prompt-difference guards see a negation,
/// a number or a named entity that differs. Opt-in: the exact cache alone is the default.
/// </summary>
/// <param name="EmbeddingModel"><c>embedding_model</c>: the alias whose embeddings compare prompts (called through the gateway's own dispatch, so it is metered).</param>
/// <param name="Threshold"><c>threshold</c>: the least cosine similarity that is a hit (0.5 to 1; default 0.95).</param>
/// <param name="MaxEntries"><c>max_entries</c>: entries kept per partition (tenant, alias, route, namespace, system prompt and parameters), least recently used evicted first.</param>
/// <param name="MaxTurns"><c>max_turns</c>: the most user turns a conversation may have to be looked up (default 1: single-turn prompts only).</param>
/// <param name="Timeout"><c>timeout</c>: the longest the embedding call may take before the request goes on as a miss.</param>
public sealed record SemanticCachePolicy(string EmbeddingModel, float Threshold, int MaxEntries, int MaxTurns, TimeSpan Timeout)
{
    /// <summary>Default <see cref="Threshold"/>: the value most gateways ship with (GPTCache, LiteLLM's examples use 0.8-0.95); the guards catch what it lets through.</summary>
    public const float DefaultThreshold = 0.95f;

    /// <summary>Default <see cref="MaxEntries"/>: a brute-force scan of 1,000 vectors of 1,536 floats takes under 1 ms (0.4 and 0.7 ms in two runs: bench/README.md).</summary>
    public const int DefaultMaxEntries = 1000;

    /// <summary>Default <see cref="Timeout"/>.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(2);
}

/// <summary>
/// Embeds a prompt through the gateway's own dispatch (a Core port: the Cache stage cannot reach Dispatch, a peer).
/// The call is a request of its own, made for the caller's key and recorded like any other, so it is metered and
/// counted against the caller's budget.
/// </summary>
public interface ICacheEmbedder
{
    /// <summary>The unit-length embedding of <paramref name="text"/> by <paramref name="alias"/>, or null when the call failed or timed out (the request then goes on as a miss).</summary>
    ValueTask<float[]?> EmbedAsync(GatewayContext ctx, string alias, string text, TimeSpan timeout);
}
