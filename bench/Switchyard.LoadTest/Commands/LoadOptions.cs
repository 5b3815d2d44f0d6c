using Switchyard.LoadTest.Cli;
using Switchyard.LoadTest.Load;

namespace Switchyard.LoadTest.Commands;

/// <summary>
/// The load shape shared by <c>drive</c> and <c>compare</c>: rates, durations, pool sizes, body. Every
/// value is range-checked so a run is always bounded in time, connections and memory.
/// </summary>
public sealed record LoadOptions(
    IReadOnlyList<double> Rates,
    double Duration,
    double Warmup,
    double Grace,
    int Connections,
    int MaxConns,
    double MaxDuration,
    double Prewarm,
    string Method,
    byte[] Body,
    string Scenario,
    string? JsonOut,
    int? WatchPid)
{
    /// <summary>Upper bound of rate × duration for one open-loop run.</summary>
    public const double MaxRequestsPerRun = 20_000_000;

    /// <summary>Options taking a value that every load mode accepts.</summary>
    public static readonly string[] Valued =
    [
        "--body", "--method", "--rates", "--duration", "--warmup", "--grace", "--connections", "--max-conns",
        "--max-duration", "--prewarm", "--scenario", "--json-out", "--gw-pid",
    ];

    /// <summary>Flags every load mode accepts.</summary>
    public static readonly string[] Flags = ["--stream"];

    /// <summary>Reads and range-checks the load options; <paramref name="defaultMaxConns"/> differs per mode.</summary>
    public static LoadOptions From(Options o, int defaultMaxConns)
    {
        var method = o.String("--method", "POST")!.ToUpperInvariant();
        if (method is not ("POST" or "GET")) throw new UsageException("--method must be POST or GET");
        var body = method == "GET" && o.String("--body") is null && !o.Flag("--stream") ? [] : RequestTemplate.BodyFromOptions(o);
        var rates = o.Rates("--rates", "500,1000,2000", 1_000_000);
        var maxConns = o.Int("--max-conns", defaultMaxConns, 0, 4096);
        if (rates.Count == 0 && maxConns == 0) throw new UsageException("nothing to run: --rates none and --max-conns 0");
        int? pid = o.String("--gw-pid") is null ? null : o.Int("--gw-pid", 0, 1, int.MaxValue);
        var duration = o.Number("--duration", 10, 0.1, 300);
        // Every sample is kept (24 bytes per request): cap a run at 20 M requests, about 0.5 GB.
        if (rates.Any(r => r * duration > MaxRequestsPerRun))
            throw new UsageException($"rate x duration must stay under {MaxRequestsPerRun:N0} requests per run");
        return new LoadOptions(
            rates,
            duration,
            o.Number("--warmup", 2, 0, 120),
            o.Number("--grace", 5, 0, 60),
            o.Int("--connections", 64, 1, 4096),
            maxConns,
            o.Number("--max-duration", 10, 0.1, 120),
            o.Number("--prewarm", 0, 0, 120),
            method,
            body,
            o.String("--scenario", o.Flag("--stream") ? "sse" : "json")!,
            o.String("--json-out"),
            pid);
    }

    /// <summary>The open-loop plan at <paramref name="rate"/> against <paramref name="target"/>.</summary>
    public RunPlan OpenPlan(LoopbackTarget target, byte[] request, double rate) =>
        new(target, request, rate, Connections, Warmup, Duration, Grace);

    /// <summary>The closed-loop max-throughput plan (1 s warm-up at most: it saturates at once).</summary>
    public RunPlan MaxPlan(LoopbackTarget target, byte[] request) =>
        new(target, request, 0, MaxConns, Math.Min(Warmup, 1), MaxDuration, Grace);
}
