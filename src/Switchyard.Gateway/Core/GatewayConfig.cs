using System.Collections.Frozen;

namespace Switchyard.Core;

/// <summary>
/// The validated, immutable view of one configuration file (or of the embedded defaults). A new instance
/// is built on every (re)load and swapped in whole; nothing in it changes after construction.
/// </summary>
public sealed record GatewayConfig(
    ServerSettings Server,
    AuthSettings Auth,
    FrozenDictionary<string, ProviderConfig> Providers,
    FrozenDictionary<string, DeploymentConfig> Deployments,
    FrozenDictionary<string, ModelAlias> Models)
{
    /// <summary>Conditional routes, in evaluation order.</summary>
    public IReadOnlyList<RouteRule> Routes { get; init; } = [];

    /// <summary><c>responses:</c>: whether and how long the gateway keeps Responses API state.</summary>
    public ResponsesSettings Responses { get; init; } = ResponsesSettings.Default;

    /// <summary>Where the snapshot came from (a file path, or "embedded defaults").</summary>
    public string Source { get; init; } = "embedded defaults";

    /// <summary>Usage records (<c>usage:</c> in YAML): what the gateway does when no store takes them, and the bounds.</summary>
    public UsageSettings Usage { get; init; } = UsageSettings.Default;

    /// <summary><c>teams:</c>: teams declared in the file (read-only through the admin API), in document order.</summary>
    public IReadOnlyList<TeamInfo> Teams { get; init; } = [];

    /// <summary><c>teams.ID.customers:</c>: customers declared in the file, each with its team.</summary>
    public IReadOnlyList<CustomerInfo> Customers { get; init; } = [];

    /// <summary>Budget alerts (<c>budgets:</c> in YAML).</summary>
    public BudgetSettings Budgets { get; init; } = BudgetSettings.Default;

    /// <summary>Metrics and traces (<c>telemetry:</c> in YAML); read at start only.</summary>
    public TelemetrySettings Telemetry { get; init; } = TelemetrySettings.Default;

    /// <summary><c>storage:</c>: SQLite (default) or PostgreSQL for durable state; read at start only.</summary>
    public StorageSettings Storage { get; init; } = StorageSettings.Default;

    /// <summary><c>cache:</c>: the exact cache's memory bounds (each alias or route turns caching on with its own <c>cache:</c>).</summary>
    public CacheSettings Cache { get; init; } = CacheSettings.Default;

    /// <summary><c>guardrails:</c>: named guardrail policies, referenced by models, routes and keys (docs/adr/0016-guardrails.md).</summary>
    public FrozenDictionary<string, GuardrailPolicy> Guardrails { get; init; } = FrozenDictionary<string, GuardrailPolicy>.Empty;

    /// <summary><c>redis:</c>: shared counters and change broadcast across replicas; null: this replica counts alone. Read at start only.</summary>
    public RedisSettings? Redis { get; init; }

    /// <summary>
    /// The breaker of <paramref name="deployment"/>: its own, else the default of an alias that lists it among
    /// its deployments (aliases that disagree are refused at load), else the server's.
    /// </summary>
    public CircuitBreakerSettings BreakerFor(DeploymentConfig deployment)
    {
        if (deployment.CircuitBreaker is { } own)
        {
            return own;
        }

        foreach (var alias in Models.Values)
        {
            if (alias.CircuitBreaker is { } byAlias && alias.Deployments.Any(w => w.Deployment.Name == deployment.Name))
            {
                return byAlias;
            }
        }

        return Server.CircuitBreaker;
    }
}

/// <summary>
/// Responses API state (<c>responses:</c> in YAML): responses and their items are kept, per key, so that
/// <c>previous_response_id</c> and <c>item_reference</c> work against every provider.
/// </summary>
/// <param name="Store">
/// <c>store</c>: keep responses unless the client sends <c>store: false</c> (true). False keeps nothing, and a
/// request that refers to stored state is refused, since nothing could resolve it.
/// </param>
/// <param name="Retention">
/// <c>retention</c>: how long a response is kept after it was created (30 days, as OpenAI keeps them). Older ones
/// are never served and are purged periodically; a change applies to responses already stored.
/// </param>
/// <param name="MaxSize">
/// <c>max_size</c>: the largest response kept, in UTF-8 bytes of what it adds (the response object, its own
/// input items and its output items). A larger answer still reaches the client, but is not kept.
/// </param>
public sealed record ResponsesSettings(bool Store, TimeSpan Retention, long MaxSize)
{
    public static ResponsesSettings Default { get; } = new(true, TimeSpan.FromDays(30), 16L * 1024 * 1024);
}

/// <summary>How budgets raise their alerts (<c>budgets:</c> in YAML); the budgets themselves are on keys, teams and customers.</summary>
/// <param name="AlertWebhook">Where each alert is POSTed as JSON (retried with backoff), or null for the log line only.</param>
/// <param name="AlertWebhookHeaders">Headers sent with it (e.g. a shared secret, from the environment).</param>
public sealed record BudgetSettings(Uri? AlertWebhook, IReadOnlyDictionary<string, string> AlertWebhookHeaders)
{
    public static BudgetSettings Default { get; } = new(null, new Dictionary<string, string>());
}

/// <summary>Process-level settings (<c>server:</c> in YAML).</summary>
/// <param name="MaxRequestBodyBytes">Bodies larger than this are refused with 413 before any upstream call.</param>
/// <param name="DataDirectory">Folder for the SQLite database and the usage spool.</param>
public sealed record ServerSettings(long MaxRequestBodyBytes, string DataDirectory)
{
    public const long DefaultMaxRequestBodyBytes = 8 * 1024 * 1024;
    public const string DefaultDataDirectory = "data";

    public static ServerSettings Default { get; } = new(DefaultMaxRequestBodyBytes, DefaultDataDirectory);

    /// <summary><c>server.circuit_breaker</c>: when a deployment's circuit opens, for every deployment.</summary>
    public CircuitBreakerSettings CircuitBreaker { get; init; } = CircuitBreakerSettings.Default;

    /// <summary>
    /// <c>server.body_read_timeout</c>: the whole request body must arrive within this (408 otherwise), so a
    /// client that trickles its body just above the minimum data rate cannot hold a request open for ever.
    /// </summary>
    public TimeSpan BodyReadTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// <c>server.max_upload_size</c>: the largest multipart upload (image edits, transcriptions, translations), spooled
    /// to disk as it arrives rather than held in memory; beyond it, 413. Default 25 MiB, OpenAI's own audio limit.
    /// </summary>
    public long MaxUploadBytes { get; init; } = DefaultMaxUploadBytes;

    public const long DefaultMaxUploadBytes = 25 * 1024 * 1024;

    /// <summary>
    /// <c>server.max_file_size</c>: the largest <c>POST /v1/files</c> upload, spooled to disk like any upload. Apart from
    /// <see cref="MaxUploadBytes"/> because a batch input file is far larger than a voice clip: default 200 MiB, OpenAI's
    /// limit for a batch input file (its files endpoint takes up to 512 MB of other purposes: raise it for those).
    /// </summary>
    public long MaxFileBytes { get; init; } = DefaultMaxFileBytes;

    public const long DefaultMaxFileBytes = 200 * 1024 * 1024;

    /// <summary><c>server.echo_model</c>: serve the built-in offline model <c>switchyard/echo</c> (true by default).</summary>
    public bool EchoModel { get; init; } = true;

    /// <summary>
    /// <c>server.shutdown_timeout</c>: on SIGTERM, how long requests in flight may go on finishing. Past it every
    /// open stream ends with an error event in its format and requests not yet answered get a 503; the host's
    /// own shutdown timeout is set beyond it, so no connection is reset first. Read at start.
    /// </summary>
    public TimeSpan ShutdownTimeout { get; init; } = DefaultShutdownTimeout;

    public static readonly TimeSpan DefaultShutdownTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// <c>server.max_upstream_event_size</c>: the largest single upstream stream event (an SSE event, a Bedrock
    /// frame) the relay will hold. One larger ends the attempt as <see cref="FailureKind.ResponseTooLarge"/>: before
    /// the first byte to the client it may fall back, after it the stream ends with an error event.
    /// </summary>
    public int MaxUpstreamEventSize { get; init; } = DefaultMaxUpstreamEventSize;

    public const int DefaultMaxUpstreamEventSize = 1024 * 1024;

    /// <summary>
    /// <c>server.max_upstream_response_size</c>: the largest whole (non-streamed) upstream body the translated
    /// paths read; translating one costs several times its size (bytes, strings, the re-encoded answer), so
    /// past it the attempt fails with <see cref="FailureKind.ResponseTooLarge"/> (a 502 <c>upstream_response_too_large</c>).
    /// </summary>
    public int MaxUpstreamResponseSize { get; init; } = DefaultMaxUpstreamResponseSize;

    public const int DefaultMaxUpstreamResponseSize = 16 * 1024 * 1024;
}

/// <summary>
/// Usage records (<c>usage:</c> in YAML). Records go to a write-ahead journal in the data directory (fsynced)
/// and from there into the database; <see cref="OnStoreFailure"/> says what happens when neither takes them.
/// Only <see cref="OnStoreFailure"/> follows a reload; the bounds and the busy timeout apply from the next start.
/// </summary>
/// <param name="OnStoreFailure"><c>on_store_failure</c>: refuse new requests (default) or serve them unrecorded.</param>
public sealed record UsageSettings(UsageStoreFailurePolicy OnStoreFailure)
{
    public const int DefaultMemoryBuffer = 50_000;
    public const long DefaultJournalMaxBytes = 1L << 30;

    public static UsageSettings Default { get; } = new(UsageStoreFailurePolicy.Refuse);

    /// <summary>
    /// <c>memory_buffer</c>: records held in memory while neither store takes them (about 1 KB each); beyond
    /// it new records are dropped and counted. Requests that never reached an upstream (refusals, no cost) may
    /// use only half of it, so the rest stays for records that bill.
    /// </summary>
    public int MemoryBuffer { get; init; } = DefaultMemoryBuffer;

    /// <summary>
    /// <c>journal_max_size</c>: bytes the journal may hold while the database is behind or down; at the bound
    /// the journal takes no more and records go to the database directly, or nowhere (<see cref="OnStoreFailure"/>).
    /// </summary>
    public long JournalMaxBytes { get; init; } = DefaultJournalMaxBytes;

    /// <summary><c>database_busy_timeout</c>: how long a database write waits for a lock held elsewhere before it counts as failed.</summary>
    public TimeSpan DatabaseBusyTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// <c>journal_commit_interval</c>: the shortest time between two fsyncs of the journal. Records that arrive
    /// meanwhile join the next one, so a busy gateway makes about 1/interval fsyncs a second instead of one per
    /// request or two; a record reaches the disk at most this much later than without it. 0 fsyncs every batch.
    /// </summary>
    public TimeSpan JournalCommitInterval { get; init; } = TimeSpan.FromMilliseconds(10);
}

/// <summary>
/// Metrics and traces (<c>telemetry:</c> in YAML; docs/adr/0009-observability.md). Read at start: a reload that
/// changes them takes effect at the next start (the exporters and listeners are built once).
/// </summary>
public sealed record TelemetrySettings
{
    /// <summary>Every default: metrics on (<c>GET /metrics</c>, operator role), no separate listener, no OTLP export.</summary>
    public static TelemetrySettings Default { get; } = new();

    /// <summary><c>metrics</c>: record the gateway's metrics and serve them at <c>GET /metrics</c> (operator role).</summary>
    public bool Metrics { get; init; } = true;

    /// <summary><c>metrics_listener</c>: a second address serving only <c>GET /metrics</c>, without a key (for a scraper on a private network).</summary>
    public Uri? MetricsListener { get; init; }

    /// <summary><c>otlp_endpoint</c>: where metrics and traces are pushed over OTLP; null pushes nothing.</summary>
    public Uri? OtlpEndpoint { get; init; }

    /// <summary><c>otlp_protocol</c>: <c>http/protobuf</c> (default; <c>/v1/traces</c> and <c>/v1/metrics</c> under the endpoint) or <c>grpc</c>.</summary>
    public OtlpProtocol OtlpProtocol { get; init; } = OtlpProtocol.HttpProtobuf;

    /// <summary><c>otlp_headers</c>: headers sent with every export (a collector's API key, through <c>${VAR}</c>).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> OtlpHeaders { get; init; } = [];

    /// <summary><c>traces</c>: spans for requests and upstream attempts, pushed when <see cref="OtlpEndpoint"/> is set.</summary>
    public bool Traces { get; init; } = true;

    /// <summary><c>trace_sample_ratio</c>: share of new traces recorded (0 to 1); a client's sampled flag is followed.</summary>
    public double TraceSampleRatio { get; init; } = 1.0;

    /// <summary><c>export_interval</c>: how often metrics are pushed over OTLP; spans go out at least every 5 s (or this, when shorter).</summary>
    public TimeSpan ExportInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary><c>service_name</c>: the <c>service.name</c> resource attribute.</summary>
    public string ServiceName { get; init; } = "switchyard";

    /// <summary>
    /// <c>max_label_values</c>: distinct key ids (and team ids) that get a label value of their own; later ones
    /// share <c>_OTHER</c>, so a growing key store cannot grow the number of series without bound.
    /// </summary>
    public int MaxLabelValues { get; init; } = 100;

    /// <summary>Spans are made: traces are on and pushed somewhere.</summary>
    public bool Tracing => Traces && OtlpEndpoint is not null;
}

/// <summary><c>telemetry.otlp_protocol</c>.</summary>
public enum OtlpProtocol
{
    /// <summary><c>http/protobuf</c>: OTLP over HTTP, protobuf bodies.</summary>
    HttpProtobuf,

    /// <summary><c>grpc</c>: OTLP over gRPC.</summary>
    Grpc,
}

/// <summary><c>usage.on_store_failure</c>: what the gateway does while no store takes usage records.</summary>
public enum UsageStoreFailurePolicy
{
    /// <summary><c>refuse</c>: new requests get 503 and readiness fails; records of answered requests wait in memory.</summary>
    Refuse,

    /// <summary><c>accept_unrecorded</c>: keep serving; records wait in memory up to the bound, then are dropped and counted.</summary>
    AcceptUnrecorded,
}

/// <summary>
/// Client authentication (<c>auth:</c> in YAML). Keys are only ever held as SHA-256 hashes; the master key
/// comes from the environment variable named by <see cref="MasterKeyEnv"/> and is hashed at load.
/// When neither a master key nor client keys exist, the gateway runs open (loopback use on embedded defaults).
/// </summary>
public sealed record AuthSettings(string MasterKeyEnv, byte[]? MasterKeyHash, IReadOnlyList<ClientKey> Keys)
{
    public const string DefaultMasterKeyEnv = "SWITCHYARD_MASTER_KEY";

    /// <summary>True when no key of any kind is configured: every caller is accepted as "anonymous".</summary>
    public bool IsOpen => MasterKeyHash is null && Keys.Count == 0;
}

/// <summary>A client key: its public id (recorded in usage, safe to log) and the SHA-256 of the secret.</summary>
public sealed record ClientKey(string Id, byte[] Hash)
{
    /// <summary>
    /// <c>allow_routing_overrides</c>: whether this caller may steer routing itself (its own fallback list in
    /// <c>models</c>, <c>x-switchyard-fallback: none</c>, <c>x-switchyard-route</c>). True unless set to false.
    /// </summary>
    public bool AllowRoutingOverrides { get; init; } = true;

    /// <summary><c>role</c>: <c>client</c> (default), <c>operator</c> (also deployments, explain, drills) or <c>admin</c>.</summary>
    public KeyRole Role { get; init; } = KeyRole.Client;

    /// <summary>
    /// <c>team</c>, <c>customer</c>, <c>allowed_models</c>, <c>allowed_routes</c>, <c>metadata</c>, <c>expires_at</c>,
    /// <c>limits</c>, <c>budget</c>: the same policy a virtual key of the admin API carries.
    /// </summary>
    public KeyPolicy Policy { get; init; } = KeyPolicy.None;
}

/// <summary>An upstream account: where to send, how to authenticate. <see cref="ApiKey"/> and <see cref="ApiKeys"/> are secrets.</summary>
/// <param name="Name">Config name (<c>providers.NAME</c>).</param>
/// <param name="Kind">
/// The provider kind (<c>openai-compatible</c>, <c>anthropic</c>, <c>bedrock</c>, ...): the <see cref="ProviderDescriptor.Kind"/>
/// of the descriptor that serves it. A name, not an enum, so a kind registered outside this assembly is a first-class
/// one; the loader only ever produces kinds its catalog knows.
/// </param>
/// <param name="Preset">Preset it was built from (<c>openai</c>, <c>groq</c>, ... or <c>openai-compatible</c>).</param>
/// <param name="BaseUrl">Base URL ending before the operation path, e.g. <c>https://api.openai.com/v1</c>.</param>
/// <param name="ApiKey">
/// The first key (kept for code that wants "the" key); resolved from the environment at load; never logged,
/// never written back. Requests use the whole <see cref="ApiKeys"/> pool.
/// </param>
/// <param name="Headers">Extra static headers sent upstream (e.g. OpenRouter's <c>HTTP-Referer</c>).</param>
public sealed record ProviderConfig(
    string Name,
    string Kind,
    string Preset,
    Uri BaseUrl,
    string? ApiKey,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    Timeouts Timeouts)
{
    /// <summary>Kind-specific settings (<c>providers.NAME.settings</c>), e.g. <c>api_version</c>, <c>region</c>,
    /// <c>anthropic_version</c>; validated per kind at load. Values may come from <c>${VAR}</c>.</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();

    /// <summary>A setting, or <paramref name="fallback"/>.</summary>
    public string? Setting(string name, string? fallback = null) => Settings.TryGetValue(name, out var v) ? v : fallback;

    /// <summary>
    /// Every key of the provider (<c>api_keys</c>, or <c>api_key_env</c> as a list), in config order, unset
    /// variables skipped and duplicates removed; requests rotate over them (<see cref="KeyPool"/>).
    /// Defaults to <see cref="ApiKey"/> alone (or nothing). Secrets: never logged, never written back.
    /// </summary>
    public IReadOnlyList<string> ApiKeys
    {
        get => apiKeys ?? (ApiKey is { Length: > 0 } key ? [key] : []);
        init => apiKeys = value;
    }

    private readonly IReadOnlyList<string>? apiKeys;

    /// <summary><c>key_cooldown</c>: how long a key that failed is skipped while the pool has others.</summary>
    public KeyCooldowns KeyCooldowns { get; init; } = KeyCooldowns.Default;

    /// <inheritdoc />
    public override string ToString() => $"{Name} ({Preset}, {BaseUrl})"; // never print the key
}

/// <summary>
/// How long a pooled provider key is put aside after the upstream refused it (<c>providers.NAME.key_cooldown</c>).
/// </summary>
/// <param name="RateLimited">After a 429 (or the upstream's <c>Retry-After</c>, when longer). Default 60 s.</param>
/// <param name="Auth">After a 401/402/403 (key invalid, revoked, out of credit). Default 5 min.</param>
public sealed record KeyCooldowns(TimeSpan RateLimited, TimeSpan Auth)
{
    public static KeyCooldowns Default { get; } = new(TimeSpan.FromSeconds(60), TimeSpan.FromMinutes(5));
}

/// <summary>Per-attempt time limits. Each is separate: a slow connect, a slow first byte, a stalled stream and
/// an overall cap are different failures with different fixes.</summary>
/// <param name="Connect">TCP+TLS connect.</param>
/// <param name="FirstByte">From sending the request to the upstream's response headers and first body bytes.</param>
/// <param name="Idle">Longest silence between two reads of a streamed body.</param>
/// <param name="Total">Whole attempt, including the full body.</param>
public sealed record Timeouts(TimeSpan Connect, TimeSpan FirstByte, TimeSpan Idle, TimeSpan Total)
{
    public static Timeouts Default { get; } = new(
        TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(120), TimeSpan.FromSeconds(60), TimeSpan.FromMinutes(10));
}

/// <summary>One concrete way to serve a model: a provider plus the upstream's model name.</summary>
public sealed record DeploymentConfig(string Name, ProviderConfig Provider, string UpstreamModel, Timeouts Timeouts)
{
    /// <summary>What the model can do (<c>capabilities</c>, <c>context_window</c>, <c>max_output_tokens</c>); unknown = capable.</summary>
    public ModelCapabilities Capabilities { get; init; } = ModelCapabilities.Default;

    /// <summary>The model's catalog entry with the deployment's <c>catalog:</c> overrides: the rules applied before each translated attempt.</summary>
    public ModelProfile Profile { get; init; } = ModelProfile.Unknown;

    /// <summary>
    /// The deployment's price: <c>price: { input, output, cached_input, cache_write, reasoning }</c> from the file
    /// (<see cref="Price.Version"/> <c>config</c>), else its provider's price book entry for the model, resolved at
    /// load; null when neither knows the model. Routing compares deployments by it; each record is costed at the
    /// entry in effect when its request started (<see cref="Price.At"/>).
    /// </summary>
    public Price? Price { get; init; }

    /// <summary>Price tier name (<c>price_tier</c>) for same-tier fallback; null = untiered.</summary>
    public string? PriceTier { get; init; }

    /// <summary>
    /// The operations this deployment serves (<c>operations:</c>, else inferred from the model id by
    /// <see cref="MediaOperations.Infer"/>), within its provider kind's; the planner leaves it out of any other.
    /// </summary>
    public OperationKinds Operations { get; init; } = OperationKinds.ChatDefault;

    /// <summary>The deployment's own rate limits (<c>limits: { rpm, tpm }</c>), e.g. the provider account's quota.</summary>
    public DeploymentLimits? Limits { get; init; }

    /// <summary>The deployment's own breaker (<c>circuit_breaker</c>), or null to take its alias's or the server's.</summary>
    public CircuitBreakerSettings? CircuitBreaker { get; init; }
}

/// <summary>Requests and tokens per minute a deployment may take; the router stops sending when either is used up.</summary>
public sealed record DeploymentLimits(int? Rpm, long? Tpm);

/// <summary>
/// What a model's tokens cost, in USD per million tokens, which is micro-dollars per token. Every token kind the
/// canonical usage counts has a rate; a rate left out is billed at the base one it refines (<see cref="CachedInput"/>,
/// <see cref="CacheWrite"/> and <see cref="CacheWrite1h"/> at <see cref="Input"/>, <see cref="Reasoning"/> at
/// <see cref="Output"/>), so a missing rate never makes tokens free (docs/adr/0008-price-book.md).
/// </summary>
/// <param name="Input">Input tokens that were neither read from nor written to a prompt cache.</param>
/// <param name="Output">Output tokens, reasoning included unless <see cref="Reasoning"/> prices it apart.</param>
public sealed record Price(decimal Input, decimal Output)
{
    /// <summary>The <see cref="Version"/> of a price written in the configuration file.</summary>
    public const string ConfigVersion = "config";

    /// <summary>Input tokens read from the prompt cache (OpenAI cached input, Anthropic cache hits, Gemini cached content).</summary>
    public decimal? CachedInput { get; init; }

    /// <summary>Input tokens written to the prompt cache for its default lifetime (Anthropic and Bedrock: five minutes).</summary>
    public decimal? CacheWrite { get; init; }

    /// <summary>Input tokens written to the prompt cache for one hour (Anthropic); <see cref="CacheWrite"/> when left out.</summary>
    public decimal? CacheWrite1h { get; init; }

    /// <summary>Reasoning (thinking) tokens, when a provider bills them apart from other output; usually left out.</summary>
    public decimal? Reasoning { get; init; }

    /// <summary>USD per image generated or edited, when <see cref="PerImageBy"/> has no rate for its size and quality.</summary>
    public decimal? PerImage { get; init; }

    /// <summary>
    /// USD per image by <c>SIZE/QUALITY</c> (<c>1024x1024/hd</c>), <c>SIZE</c> or <c>/QUALITY</c>, tried in that order
    /// (docs/adr/0017-beyond-chat.md); null when the model has one price per image.
    /// </summary>
    public IReadOnlyDictionary<string, decimal>? PerImageBy { get; init; }

    /// <summary>USD per second of audio transcribed or translated (Whisper: $0.006 a minute).</summary>
    public decimal? PerSecond { get; init; }

    /// <summary>USD per million characters of text turned into speech (tts-1: $15).</summary>
    public decimal? PerMillionCharacters { get; init; }

    /// <summary>USD per search unit (Cohere Rerank: one query over up to 100 documents).</summary>
    public decimal? PerSearchUnit { get; init; }

    /// <summary>
    /// USD for one image of <paramref name="size"/> and <paramref name="quality"/>: <c>SIZE/QUALITY</c>, then <c>SIZE</c>,
    /// then <c>/QUALITY</c> in <see cref="PerImageBy"/>, then <see cref="PerImage"/>; null when none applies.
    /// </summary>
    public decimal? ImageRate(string? size, string? quality)
    {
        if (PerImageBy is { } by
            && ((size is not null && quality is not null && by.TryGetValue(size + "/" + quality, out var exact))
                || (size is not null && by.TryGetValue(size, out exact))
                || (quality is not null && by.TryGetValue("/" + quality, out exact))))
        {
            return exact;
        }

        return PerImage;
    }

    /// <summary>The dearest image rate the price has (a budget reserves it when the size or quality has no rate of its own).</summary>
    public decimal? DearestImageRate => PerImageBy is { Count: > 0 } by ? Math.Max(by.Values.Max(), PerImage ?? 0) : PerImage;

    /// <summary>
    /// The share of the standard token rates a batch is billed at (<c>/v1/batches</c>; OpenAI: 0.5, "50% off" its
    /// synchronous prices), from the price book's list (<c>batch</c>) or <c>price: { batch }</c>; null: not known, billed
    /// in full (docs/adr/0017-beyond-chat.md, "Files and batches").
    /// </summary>
    public decimal? BatchRate { get; init; }

    /// <summary>True when the price has a rate for some unit other than tokens.</summary>
    public bool HasMediaRates => PerImage is not null || PerImageBy is not null || PerSecond is not null || PerMillionCharacters is not null || PerSearchUnit is not null;

    /// <summary>The rates of a request whose input exceeds a threshold (Gemini 2.5 Pro and Claude Sonnet 4 above 200K tokens).</summary>
    public LongContextPrice? LongContext { get; init; }

    /// <summary>The day from which a price book entry applies; null for a price from the configuration file.</summary>
    public DateOnly? EffectiveFrom { get; init; }

    /// <summary>What a record costed at this price says it was costed with: <c>config</c>, or <c>book:YYYY-MM-DD</c> (the entry's date).</summary>
    public string Version { get; init; } = ConfigVersion;

    /// <summary>
    /// Every entry the book has for the model, oldest first, when this price came from the book (this one among them);
    /// empty for a price from the configuration file, which applies at any date.
    /// </summary>
    public IReadOnlyList<Price> Schedule { get; init; } = [];

    /// <summary>One number to compare deployments by (input + output per million).</summary>
    public decimal Blended => Input + Output;

    /// <summary>
    /// The price in effect on <paramref name="day"/> (UTC): the latest entry of <see cref="Schedule"/> dated on or
    /// before it. The first entry also covers earlier days: a book starts on the day it was read, not on the day the
    /// price did. A price without a schedule (from the configuration file) is itself.
    /// </summary>
    public Price At(DateOnly day)
    {
        if (Schedule.Count == 0)
        {
            return this;
        }

        var current = Schedule[0];
        for (var i = 1; i < Schedule.Count && Schedule[i].EffectiveFrom <= day; i++)
        {
            current = Schedule[i];
        }

        return current;
    }
}

/// <summary>The rates of a request whose input (cache reads and writes included) is above <paramref name="AboveInputTokens"/>.</summary>
/// <param name="AboveInputTokens">The threshold, in input tokens (200,000 for Gemini 2.5 Pro and Claude Sonnet 4).</param>
/// <param name="Price">The rates above it; a rate it leaves out is the base price's.</param>
public sealed record LongContextPrice(long AboveInputTokens, Price Price);

/// <summary>
/// A conditional route (<c>routes.NAME</c>): when its <see cref="Match"/> holds (or the client names it in
/// <c>x-switchyard-route</c>), the request is served by <see cref="PrimaryModel"/> under the route's own
/// fallback policy. Routes are evaluated in file order; the first match wins.
/// </summary>
public sealed record RouteRule(string Name, RouteMatch? Match, string PrimaryModel, FallbackPolicy? Policy)
{
    /// <summary><c>billing.owner</c>: who the usage is attributed to (recorded as data; e.g. customer_api_key).</summary>
    public string? BillingOwner { get; init; }

    /// <summary><c>split</c>: A/B or canary shares (percent, summing to 100); replaces <see cref="PrimaryModel"/> when set.</summary>
    public IReadOnlyList<SplitArm> Split { get; init; } = [];

    /// <summary>What keeps a caller on the same split arm: <c>key</c> (default), <c>user</c> (the body's <c>user</c>) or <c>none</c>.</summary>
    public string Sticky { get; init; } = "key";

    /// <summary><c>shadow</c>: a share of requests also sent to another model, never returned, recorded as route <c>NAME/shadow</c>.</summary>
    public ShadowTarget? Shadow { get; init; }

    /// <summary><c>cache</c>: the exact cache for requests this route serves (replaces the alias's); null: the alias's.</summary>
    public CachePolicy? Cache { get; init; }

    /// <summary><c>guardrails</c>: the policies for requests this route serves (replace the alias's); null: the alias's.</summary>
    public IReadOnlyList<string>? Guardrails { get; init; }
}

/// <summary>One arm of a traffic split.</summary>
public sealed record SplitArm(string Model, int Percent);

/// <summary>A shadow copy target.</summary>
public sealed record ShadowTarget(string Model, double Percent);

/// <summary>Request facts a route can match on; every condition given must hold.</summary>
public sealed record RouteMatch(
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    IReadOnlyList<string> KeyIds,
    IReadOnlyList<KeyValuePair<string, string>> Metadata,
    IReadOnlyList<string> Models,
    bool? HasTools,
    bool? HasImages,
    int? MinPromptTokens,
    int? MaxPromptTokens);

/// <summary>A public model name clients send in <c>model</c>: its deployments (the routing choice), its
/// fallback chain (the exception path) and the policy that walks it.</summary>
/// <param name="Name">The alias (<c>models.NAME</c>).</param>
/// <param name="Deployments">Weighted candidates; the router picks the intended one among them.</param>
/// <param name="Fallbacks">Walked in order after the alias's own deployments fail: other aliases or deployments.</param>
/// <param name="Policy">Retry caps, backoff and the action per failure trigger.</param>
public sealed record ModelAlias(
    string Name,
    IReadOnlyList<WeightedDeployment> Deployments,
    IReadOnlyList<FallbackTarget> Fallbacks,
    FallbackPolicy Policy)
{
    /// <summary>
    /// <c>drop_unsupported_params: true</c>: a request field the chosen deployment cannot express is dropped
    /// and named in <c>x-switchyard-dropped-params</c> instead of failing the attempt with a 400.
    /// </summary>
    public bool DropUnsupportedParams { get; init; }

    /// <summary>
    /// <c>routing:</c> the name of the strategy that picks the intended deployment, validated at load against
    /// the strategy catalog (Routing/Strategies); null when not set, which means the catalog's default (weighted).
    /// A name, not an enum: adding a strategy touches its own class and the catalog, nothing here.
    /// </summary>
    public string? Strategy { get; init; }

    /// <summary><c>hedge:</c> race a second deployment when the first is slow (null: no hedging).</summary>
    public HedgePolicy? Hedge { get; init; }

    /// <summary><c>circuit_breaker:</c> the default breaker of the alias's own deployments (null: the server's).</summary>
    public CircuitBreakerSettings? CircuitBreaker { get; init; }

    /// <summary><c>cache:</c> the exact cache of the alias (null: off).</summary>
    public CachePolicy? Cache { get; init; }

    /// <summary><c>guardrails:</c> the names of the policies that guard the alias's requests (empty: none).</summary>
    public IReadOnlyList<string> Guardrails { get; init; } = [];
}

/// <summary>
/// Hedging: when the intended deployment has not answered within <see cref="Delay"/> (or, with
/// <see cref="Auto"/>, twice its time-to-first-token estimate), the next deployment of the plan is tried
/// too; the first to commit wins and the other is cancelled. At most <see cref="MaxShare"/> of a
/// deployment's recent attempts may be hedged, so a slow provider cannot double the bill.
/// </summary>
public sealed record HedgePolicy(TimeSpan Delay, bool Auto, double MaxShare);

/// <summary>A deployment with its routing weight (&gt; 0) and priority tier (lower first; tier 2 only when tier 1 is unavailable).</summary>
public sealed record WeightedDeployment(DeploymentConfig Deployment, int Weight)
{
    /// <summary>Priority tier, 0 by default.</summary>
    public int Priority { get; init; }
}

/// <summary>An entry of a fallback chain: either another alias (routed with its own weights) or one deployment.</summary>
public sealed record FallbackTarget(string Name, bool IsAlias);

/// <summary>What to do when an attempt fails with a given trigger.</summary>
public enum FallbackAction
{
    /// <summary>Retry the same deployment up to <see cref="FallbackPolicy.MaxRetries"/> times, then move on.</summary>
    RetryThenSwitch,

    /// <summary>Move straight to the next step of the plan.</summary>
    Switch,

    /// <summary>Retry the same deployment up to the cap, then give up (no fallback).</summary>
    Retry,

    /// <summary>Stop at once and return the error to the client (<c>fail</c>, <c>fail_closed</c>).</summary>
    Fail,

    /// <summary>Move to the next step whose deployment is in the same price tier as the failed one.</summary>
    SwitchSameTier,

    /// <summary>Retry up to the cap, then switch within the same price tier.</summary>
    RetryThenSwitchSameTier,

    /// <summary>Move to the next step whose deployment is cheaper than the failed one.</summary>
    Downgrade,

    /// <summary>Move to the next step whose deployment costs more, within the policy's <see cref="FallbackPolicy.MaxCostMultiplier"/> of the intended one.</summary>
    Upgrade,
}

/// <summary>
/// How an alias walks its plan on failure. Shaped as trigger → action so that later triggers
/// (budget, context window, content policy) and actions (same price tier, downgrade) slot in as new enum
/// values and table rows, not as a rewrite.
/// </summary>
/// <param name="MaxAttempts">Cap on upstream attempts for one request, retries and fallbacks together.</param>
/// <param name="MaxRetries">Cap on retries of one deployment before switching.</param>
/// <param name="BaseDelay">First backoff delay; doubles per retry, with full jitter.</param>
/// <param name="MaxDelay">Upper bound of a single backoff delay (and of an honoured Retry-After).</param>
/// <param name="RequestTimeout">Deadline for the whole request, all attempts included.</param>
/// <param name="Actions">Action per trigger; triggers not listed use <see cref="DefaultActions"/>.</param>
public sealed record FallbackPolicy(
    int MaxAttempts,
    int MaxRetries,
    TimeSpan BaseDelay,
    TimeSpan MaxDelay,
    TimeSpan RequestTimeout,
    FrozenDictionary<FailureKind, FallbackAction> Actions)
{
    /// <summary>Transient faults retry once then switch; client errors are returned as they are.</summary>
    public static FrozenDictionary<FailureKind, FallbackAction> DefaultActions { get; } =
        new Dictionary<FailureKind, FallbackAction>
        {
            [FailureKind.Connection] = FallbackAction.RetryThenSwitch,
            [FailureKind.Timeout] = FallbackAction.RetryThenSwitch,
            [FailureKind.RateLimited] = FallbackAction.RetryThenSwitch,
            [FailureKind.ServerError] = FallbackAction.RetryThenSwitch,
            [FailureKind.Transient] = FallbackAction.RetryThenSwitch,
            [FailureKind.Auth] = FallbackAction.Switch,
            [FailureKind.StreamCut] = FallbackAction.RetryThenSwitch,
            [FailureKind.ClientError] = FallbackAction.Fail,
            // A bigger-context or more capable deployment later in the plan may serve it; nothing to retry.
            [FailureKind.ContextWindow] = FallbackAction.Switch,
            [FailureKind.UnsupportedCapability] = FallbackAction.Switch,
            // Nothing was sent; retrying an open circuit is pointless, another deployment may serve.
            [FailureKind.CircuitOpen] = FallbackAction.Switch,
            // Routing around a safety refusal or a spent budget must be an explicit choice.
            [FailureKind.ContentPolicy] = FallbackAction.Fail,
            [FailureKind.BudgetExceeded] = FallbackAction.Fail,
            // A 2xx body that is not JSON, or an answer past the gateway's bounds, is the deployment's doing (a
            // base URL that reaches the wrong server, a runaway generation): the same call would likely repeat it,
            // so the attempt goes to the next deployment instead.
            [FailureKind.InvalidResponse] = FallbackAction.Switch,
            [FailureKind.ResponseTooLarge] = FallbackAction.Switch,
            // The gateway is going away: nothing may start another attempt.
            [FailureKind.ShuttingDown] = FallbackAction.Fail,
        }.ToFrozenDictionary();

    public static FallbackPolicy Default { get; } = new(
        MaxAttempts: 4, MaxRetries: 1, BaseDelay: TimeSpan.FromMilliseconds(200), MaxDelay: TimeSpan.FromSeconds(10),
        RequestTimeout: TimeSpan.FromMinutes(10), Actions: DefaultActions);

    /// <summary>Per-trigger retry caps (<c>retry_once_then_switch</c> → 1), overriding <see cref="MaxRetries"/>.</summary>
    public FrozenDictionary<FailureKind, int>? RetryCaps { get; init; }

    /// <summary>How much more than the intended deployment an <see cref="FallbackAction.Upgrade"/> may cost (null: upgrades not allowed).</summary>
    public double? MaxCostMultiplier { get; init; }

    /// <summary>Retry budget per deployment: retries may be at most this share of its attempts in the breaker window (<c>retry.budget</c>).</summary>
    public double RetryBudget { get; init; } = 0.2;

    /// <summary>The retry cap for <paramref name="kind"/>.</summary>
    public int RetriesFor(FailureKind kind) => RetryCaps is { } caps && caps.TryGetValue(kind, out var n) ? n : MaxRetries;

    /// <summary>The action for <paramref name="kind"/>; <see cref="FailureKind.ClientError"/> always fails.</summary>
    public FallbackAction ActionFor(FailureKind kind) =>
        kind == FailureKind.ClientError ? FallbackAction.Fail
        : Actions.TryGetValue(kind, out var a) ? a
        : DefaultActions.GetValueOrDefault(kind, FallbackAction.Fail);
}
