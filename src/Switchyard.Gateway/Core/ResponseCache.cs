using Switchyard.Canonical;

namespace Switchyard.Core;

/// <summary>Whose requests may share an exact-cache entry (<c>cache.scope</c>): never wider than one team.</summary>
public enum CacheScope
{
    /// <summary><c>key</c> (default): one virtual key's requests only.</summary>
    Key,

    /// <summary><c>team</c>: every key of the caller's team (a key without a team keeps its own scope).</summary>
    Team,
}

/// <summary>
/// The exact cache of one alias or route (<c>cache:</c> under <c>models.NAME</c> or <c>routes.NAME</c>): how long an
/// answer is served again and whose requests share it. No section, no caching.
/// </summary>
/// <param name="Ttl"><c>ttl</c>: how long a stored answer is served (also the ceiling of <c>x-switchyard-cache-ttl</c>).</param>
/// <param name="Scope"><c>scope</c>: <c>key</c> or <c>team</c>.</param>
public sealed record CachePolicy(TimeSpan Ttl, CacheScope Scope)
{
    /// <summary><c>semantic</c>: the semantic cache in front of the exact one, or null (exact only).</summary>
    public SemanticCachePolicy? Semantic { get; init; }
}

/// <summary>The server-wide cache bounds (<c>cache:</c> at the top level); read at every store, so a reload applies at once.</summary>
/// <param name="MaxBytes"><c>max_bytes</c>: the memory all entries may take together (estimated, see ADR 0015); least recently used go first.</param>
/// <param name="MaxEntryBytes"><c>max_entry_bytes</c>: an answer larger than this is served but not stored.</param>
public sealed record CacheSettings(long MaxBytes, long MaxEntryBytes)
{
    /// <summary>64 MiB in all, 1 MiB per answer: a few thousand typical chat answers.</summary>
    public static CacheSettings Default { get; } = new(64L * 1024 * 1024, 1024 * 1024);

    /// <summary><c>semantic_max_entries</c>: the semantic cache's entries in all partitions together (least recently used go first).</summary>
    public int SemanticMaxEntries { get; init; } = 10_000;

    /// <summary><c>store</c>: where exact-cache entries live (read at start only).</summary>
    public CacheStore Store { get; init; } = CacheStore.Memory;
}

/// <summary>Where the exact cache keeps its entries (<c>cache.store</c>).</summary>
public enum CacheStore
{
    /// <summary><c>memory</c> (default): in this process, bounded by <c>max_bytes</c>.</summary>
    Memory,

    /// <summary><c>redis</c>: in the <c>redis:</c> server, shared by every replica; Redis's own memory policy bounds it.</summary>
    Redis,
}

/// <summary>How the cache took part in a request (recorded as <c>cache</c>: null, <c>miss</c>, <c>hit</c> or <c>semantic-hit</c>).</summary>
public enum CacheStatus
{
    /// <summary>The alias has no cache, or the request cannot be cached.</summary>
    None,

    /// <summary>Looked up (or skipped with <c>no-cache</c>) and sent upstream.</summary>
    Miss,

    /// <summary>Answered from the cache: no upstream call.</summary>
    Hit,

    /// <summary>Answered from the semantic cache (a similar prompt's answer): no upstream call but the embedding.</summary>
    SemanticHit,
}

/// <summary>
/// One stored answer in canonical form: the stream events of the answer (a whole answer is stored as the events that
/// would have streamed it), so it replays in any client format, as a stream or whole. Immutable once stored.
/// </summary>
/// <param name="Events">Start, content, usage and finish events, in order; never an error event.</param>
/// <param name="Model">The upstream model that answered (shown to the client as the model).</param>
/// <param name="Usage">The upstream's usage for the answer: what a hit saves.</param>
/// <param name="Deployment">The deployment that answered (its price values the saving).</param>
/// <param name="SizeBytes">Estimated memory the entry holds, counted against <see cref="CacheSettings.MaxBytes"/>.</param>
public sealed record CachedAnswer(StreamEvent[] Events, string Model, TokenUsage Usage, DeploymentTarget Deployment, long SizeBytes);

/// <summary>
/// Where exact-cache entries live (in memory by default; a shared store for replicas implements the same port). Keys
/// are SHA-256 digests that already hold the tenant, the alias and the normalized request.
/// </summary>
public interface IResponseCache
{
    /// <summary>
    /// The live entry under <paramref name="key"/>, or null (absent, expired, or the store did not answer in time: a
    /// shared store's outage is a miss, never a failed request). <paramref name="table"/> is the request's configuration
    /// (a shared store finds the entry's deployment in it).
    /// </summary>
    ValueTask<CachedAnswer?> GetAsync(byte[] key, RouteTable table);

    /// <summary>Stores <paramref name="answer"/> for <paramref name="ttl"/>, evicting as <paramref name="settings"/> require.</summary>
    void Put(ReadOnlySpan<byte> key, CachedAnswer answer, TimeSpan ttl, CacheSettings settings);

    /// <summary>Entries held now.</summary>
    int Count { get; }

    /// <summary>Estimated bytes held now.</summary>
    long Bytes { get; }

    /// <summary>True for a store shared by replicas (Redis): its size is not this replica's to report (no gauges).</summary>
    bool Shared => false;
}

/// <summary>
/// The cache's part of one request (<see cref="GatewayContext.Cache"/>), set by the cache stage: the key, what to do
/// with the answer, and, on a hit, the answer served.
/// </summary>
public sealed class CacheTicket(byte[] key, TimeSpan ttl, bool store)
{
    /// <summary>The SHA-256 key.</summary>
    public byte[] Key { get; } = key;

    /// <summary>How long the answer is kept (the alias's TTL, or the client's shorter one).</summary>
    public TimeSpan Ttl { get; } = ttl;

    /// <summary>Store the answer (false with <c>no-store</c>).</summary>
    public bool Store { get; } = store;

    /// <summary>Hit or miss.</summary>
    public CacheStatus Status { get; set; } = CacheStatus.Miss;

    /// <summary>On a hit: the answer served.</summary>
    public CachedAnswer? Hit { get; set; }

    /// <summary>On a miss that may be stored: what Dispatch delivered, collected for the store stage.</summary>
    public CacheCapture? Capture { get; set; }

    /// <summary>The semantic cache's part: the prompt's embedding and partition (to store the answer under), or null.</summary>
    public object? Semantic { get; set; }

    /// <summary>On a semantic hit: the cosine similarity of the prompt to the stored one.</summary>
    public float Similarity { get; set; }
}
