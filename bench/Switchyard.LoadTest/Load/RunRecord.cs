using System.Text.Json.Serialization;

namespace Switchyard.LoadTest.Load;

/// <summary>
/// One run's result, written as one JSON line (field names follow shared/bench's olg so the two tools'
/// outputs can be read by the same scripts). Latencies are microseconds from the intended send time.
/// </summary>
public sealed record RunRecord
{
    public string Label { get; init; } = "";
    public string Target { get; init; } = "";
    public string Scenario { get; init; } = "";
    /// <summary>"500 rps" style for open-loop runs, "max (32 conns)" for closed-loop runs.</summary>
    public string Load { get; init; } = "";
    /// <summary>"open" or "closed".</summary>
    public string Mode { get; init; } = "";
    public double TargetRps { get; init; }
    public double DurationS { get; init; }
    public int Conns { get; init; }
    public int ConnsOpened { get; init; }
    public long Sent { get; init; }
    public long Ok { get; init; }
    public long ErrStatus { get; init; }
    public int ErrStatusExample { get; init; }
    public long ErrSocket { get; init; }
    public long Timeouts { get; init; }
    public long Dropped { get; init; }
    public double AchievedRps { get; init; }
    public LatencySummary LatUs { get; init; } = new(-1, -1, -1, -1, -1, -1);
    public ServiceSummary SvcUs { get; init; } = new(-1, -1, -1);
    public TtfbSummary TtfbUs { get; init; } = new(-1, -1);
    public double WallS { get; init; }
    /// <summary>CPU (user+system) of the watched process group during the run, divided by requests sent.</summary>
    public double? GwCpuUsPerReq { get; init; }
    /// <summary>Sum of VmHWM over the watched process group at the end of the run.</summary>
    public long? GwPeakRssKb { get; init; }

    /// <summary>Every kind of failure: non-2xx, socket errors, timeouts, dropped.</summary>
    [JsonIgnore]
    public long Errors => ErrStatus + ErrSocket + Timeouts + Dropped;
}

/// <summary>Latency from the intended send time, µs.</summary>
public sealed record LatencySummary(double Mean, double P50, double P90, double P99, double P999, double Max);

/// <summary>Service time (from the actual write), µs; the difference to latency is queueing and scheduler lag.</summary>
public sealed record ServiceSummary(double P50, double P99, double P999);

/// <summary>Time to first response byte from the intended send time, µs.</summary>
public sealed record TtfbSummary(double P50, double P99);

/// <summary>Source-generated JSON for <see cref="RunRecord"/> (no reflection, snake_case like olg).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(RunRecord))]
public sealed partial class RunRecordJson : JsonSerializerContext;
