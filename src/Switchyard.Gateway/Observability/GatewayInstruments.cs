using System.Diagnostics.Metrics;

namespace Switchyard.Observability;

/// <summary>
/// The gateway's instruments on its <see cref="Meter"/> (<see cref="MeterName"/>): the OpenTelemetry GenAI ones, with
/// the bucket boundaries the conventions recommend (as instrument advice, so any SDK picks them up), and the
/// gateway's own. The list with units and labels is in docs/adr/0009-observability.md. A measurement costs a check of
/// <see cref="Instrument.Enabled"/> while nobody listens, and no allocation while someone does (up to 8 tags travel
/// in a <see cref="System.Diagnostics.TagList"/> on the stack).
/// </summary>
internal sealed class GatewayInstruments
{
    /// <summary>The meter's name (a collector's filter, <c>AddMeter</c>).</summary>
    public const string MeterName = "Switchyard.Gateway";

    // Semantic conventions, gen-ai-metrics.md: ExplicitBucketBoundaries of each metric.
    private static readonly long[] TokenBuckets = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];
    private static readonly double[] DurationBuckets = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];
    private static readonly double[] FirstTokenBuckets = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0];

    // The gateway's own time is sub-millisecond when all is well: 100 µs to 1 s.
    private static readonly double[] OverheadBuckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0];

    /// <summary>Creates every instrument on <paramref name="meter"/>.</summary>
    public GatewayInstruments(Meter meter)
    {
        Meter = meter;
        TokenUsage = meter.CreateHistogram("gen_ai.client.token.usage", "{token}",
            "Tokens of the answering upstream call, by gen_ai.token.type (input, output)", tags: null, Advice(TokenBuckets));
        ClientDuration = meter.CreateHistogram("gen_ai.client.operation.duration", "s",
            "Duration of each upstream attempt (the gateway as a GenAI client), up to the end of its answer", tags: null, Advice(DurationBuckets));
        ServerDuration = meter.CreateHistogram("gen_ai.server.request.duration", "s",
            "Duration of each request as the gateway served it (the gateway as a GenAI server)", tags: null, Advice(DurationBuckets));
        TimeToFirstToken = meter.CreateHistogram("gen_ai.server.time_to_first_token", "s",
            "Time to the first byte of a streamed answer sent to the client, for streams that started", tags: null, Advice(FirstTokenBuckets));
        Overhead = meter.CreateHistogram("switchyard.gateway.overhead", "s",
            "Time of a request not spent waiting on an upstream attempt (latency minus the attempts' time; backoff included)", tags: null, Advice(OverheadBuckets));
        Requests = meter.CreateCounter<long>("switchyard.requests", "{request}", "Requests, by alias, final deployment, status and error type");
        Attempts = meter.CreateCounter<long>("switchyard.upstream.attempts", "{attempt}",
            "Upstream attempts by deployment and outcome (circuit_open: refused by the breaker, no call made)");
        Retries = meter.CreateCounter<long>("switchyard.retries", "{retry}", "Retries on the same deployment, by the failure that caused them");
        Fallbacks = meter.CreateCounter<long>("switchyard.fallbacks", "{fallback}", "Switches to another deployment, by the deployment left and the failure that caused them");
        Hedges = meter.CreateCounter<long>("switchyard.hedges", "{hedge}", "Hedged requests by outcome: won (the hedge answered), lost (the first attempt did), failed (neither)");
        Refusals = meter.CreateCounter<long>("switchyard.refusals", "{request}", "Requests answered by the gateway itself without an upstream call, by reason (rate_limited, budget_exceeded, ...)");
        Cost = meter.CreateCounter<double>("switchyard.cost.usd", "{USD}", "What requests cost at the price book's prices, in US dollars, by key, team and alias");
        CacheLookups = meter.CreateCounter<long>("switchyard.cache.lookups", "{request}", "Requests to aliases with an exact cache, by alias and result (hit, miss)");
        CacheSaved = meter.CreateCounter<double>("switchyard.cache.saved.usd", "{USD}", "What exact-cache hits saved (the stored answers' upstream cost at today's prices), by alias");
        GuardrailActions = meter.CreateCounter<long>("switchyard.guardrails.actions", "{action}",
            "What guardrail rules did, by rule (POLICY/RULE), action (block, redact, flag, timeout-allow, timeout-block) and where (input, output); once per request each");
    }

    public Meter Meter { get; }

    public Histogram<long> TokenUsage { get; }

    public Histogram<double> ClientDuration { get; }

    public Histogram<double> ServerDuration { get; }

    public Histogram<double> TimeToFirstToken { get; }

    public Histogram<double> Overhead { get; }

    public Counter<long> Requests { get; }

    public Counter<long> Attempts { get; }

    public Counter<long> Retries { get; }

    public Counter<long> Fallbacks { get; }

    public Counter<long> Hedges { get; }

    public Counter<long> Refusals { get; }

    public Counter<double> Cost { get; }

    public Counter<long> CacheLookups { get; }

    public Counter<double> CacheSaved { get; }

    public Counter<long> GuardrailActions { get; }

    private static InstrumentAdvice<T> Advice<T>(T[] buckets) where T : struct => new() { HistogramBucketBoundaries = buckets };
}
