namespace Switchyard.Cache;

/// <summary>
/// The semantic cache behind the exact one (docs/adr/0015-cache.md): after an exact miss, a request of an alias with
/// <c>cache.semantic</c> whose prompt qualifies (<see cref="SemanticPrompt"/>) is embedded through the gateway's own
/// dispatch (<see cref="ICacheEmbedder"/>: metered, for the caller's key), and its partition of the
/// <see cref="SemanticIndex"/> is searched for a prompt at least <c>threshold</c> similar with the same negations,
/// numbers and entities (<see cref="PromptGuards"/>). Whatever is found, the embedding stays on the ticket, so a miss's
/// answer is stored under it without a second call.
/// </summary>
public sealed class SemanticCache(SemanticIndex index, ICacheEmbedder embedder)
{
    /// <summary>The index (its size is read by the gauges and the tests).</summary>
    public SemanticIndex Index => index;

    /// <summary>
    /// Embeds the request's prompt (leaving the probe on <paramref name="ticket"/> for the store) and, when
    /// <paramref name="read"/>, returns the best stored answer that qualifies; null on a miss, an ineligible prompt or a
    /// failed embedding call (the request then goes upstream: the semantic cache never fails a request).
    /// </summary>
    public async ValueTask<SemanticMatch?> LookUpAsync(GatewayContext ctx, SemanticCachePolicy policy, CacheKeys.Parts parts, CacheTicket ticket, bool read)
    {
        if (ctx.Format.Parse(ctx.Body!.Span, ctx.Http, out var request) is not null
            || SemanticPrompt.Of(request, policy.MaxTurns) is not { } prompt
            || CacheKeys.Build(parts, ctx.Body.Memory, prompt.System) is not { } partition)
        {
            return null;
        }

        var vector = await embedder.EmbedAsync(ctx, policy.EmbeddingModel, prompt.Text, policy.Timeout).ConfigureAwait(false);
        if (vector is null)
        {
            return null;
        }

        var probe = new Probe(Convert.ToHexString(partition), vector, PromptGuards.Signature(prompt.Text), policy.MaxEntries);
        ticket.Semantic = probe;
        return read ? index.Find(probe.Partition, vector, probe.Signature, policy.Threshold) : null;
    }

    /// <summary>Stores <paramref name="answer"/> under the embedding the lookup left on <paramref name="ticket"/>, if any.</summary>
    public void Store(CacheTicket ticket, CachedAnswer answer, CacheSettings settings)
    {
        if (ticket.Semantic is Probe probe)
        {
            index.Add(probe.Partition, probe.Vector, probe.Signature, answer, ticket.Ttl, probe.MaxEntries, settings.SemanticMaxEntries);
        }
    }

    /// <summary>What the lookup learned, for the store: the partition, the prompt's unit vector and signature, the partition's bound.</summary>
    private sealed record Probe(string Partition, float[] Vector, PromptSignature Signature, int MaxEntries);
}
