using BenchmarkDotNet.Attributes;
using Switchyard.Canonical;
using Switchyard.Core;
using Switchyard.Guardrails;

namespace Switchyard.Benchmarks;

/// <summary>
/// The guardrails' sliding window (docs/adr/0016-guardrails.md): one stream's text deltas through
/// <see cref="OutputGuard.OnEvents"/>, one batch per delta as a translated stream delivers them. 200 deltas of ~20
/// characters (a 4 KB answer) with one email in it; per delta the window is appended, scanned (its held tail plus the
/// delta) and released. Baseline: the same events without a guard (nothing done), so the row is the guard's cost.
/// Divide by 200 for the per-chunk cost.
/// </summary>
[MemoryDiagnoser]
public class GuardWindowBenchmarks
{
    private static readonly string[] Deltas = Build();

    private readonly GuardRule pii = new("bench/pii", GuardRuleKind.Pii, GuardAction.Redact) { MaxMatch = Detectors.MaxPiiMatch };
    private readonly GuardRule secrets = new("bench/secrets", GuardRuleKind.Secrets, GuardAction.Block) { MaxMatch = Detectors.MaxSecretMatch };
    private readonly List<StreamEvent> batch = new(4);

    [Benchmark(Baseline = true, Description = "200 deltas, no guard")]
    public int NoGuard()
    {
        var n = 0;
        foreach (var delta in Deltas)
        {
            batch.Clear();
            batch.Add(StreamEvent.TextChunk(delta));
            n += batch.Count;
        }

        return n;
    }

    [Benchmark(Description = "200 deltas, PII redact window")]
    public int PiiWindow() => Run([pii]);

    [Benchmark(Description = "200 deltas, PII + secrets window")]
    public int PiiAndSecretsWindow() => Run([pii, secrets]);

    private int Run(GuardRule[] rules)
    {
        var guard = new OutputGuard(rules, new Placeholders(), new GuardTicket(), null);
        var n = 0;
        foreach (var delta in Deltas)
        {
            batch.Clear();
            batch.Add(StreamEvent.TextChunk(delta));
            guard.OnEvents(batch, end: false);
            n += batch.Count;
        }

        batch.Clear();
        batch.Add(StreamEvent.Finished(FinishReason.Stop));
        guard.OnEvents(batch, end: true);
        return n + batch.Count;
    }

    private static string[] Build()
    {
        var words = "The quarterly report shows steady growth in every region, and the team will follow up next week. ";
        var text = string.Concat(Enumerable.Repeat(words, 40)).Insert(2000, " write to jane.doe@example.com for details ");
        return text.Chunk(20).Select(c => new string(c)).ToArray();
    }
}
