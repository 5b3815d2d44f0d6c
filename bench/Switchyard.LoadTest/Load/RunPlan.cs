using System.Globalization;

namespace Switchyard.LoadTest.Load;

/// <summary>
/// Everything one run needs. <see cref="Rate"/> &gt; 0 is an open-loop run at that rate over a pool of
/// <see cref="Connections"/>; 0 is a closed-loop run with that many connections sending back to back.
/// The run lasts at most <see cref="Warmup"/> + <see cref="Duration"/> + <see cref="Grace"/> seconds.
/// </summary>
public sealed record RunPlan(
    LoopbackTarget Target,
    ReadOnlyMemory<byte> Request,
    double Rate,
    int Connections,
    double Warmup,
    double Duration,
    double Grace)
{
    /// <summary>Upper bound on queued requests, so a dead target cannot make the backlog grow without limit.</summary>
    public const int MaxBacklog = 4_000_000;

    /// <summary>The load column of the report: "500 rps" or "max (32 conns)".</summary>
    public string LoadName => Rate > 0
        ? Rate.ToString("0.##", CultureInfo.InvariantCulture) + " rps"
        : $"max ({Connections} conns)";

    /// <summary>Runs the plan (open or closed loop) and returns its record, labels left empty.</summary>
    public RunRecord Execute() => Rate > 0 ? new OpenLoopRunner(this).Run() : ClosedLoopRunner.Run(this);

    /// <summary>Builds the record from a finished run's recorder.</summary>
    internal RunRecord ToRecord(LatencyRecorder rec, long measureStart, int opened, long started)
    {
        var s = rec.Summarize(measureStart, Duration);
        return new RunRecord
        {
            Load = LoadName,
            Mode = Rate > 0 ? "open" : "closed",
            TargetRps = Rate,
            DurationS = Duration,
            Conns = Connections,
            ConnsOpened = opened,
            Sent = rec.Sent,
            Ok = rec.Ok,
            ErrStatus = rec.BadStatus,
            ErrStatusExample = rec.BadStatusExample,
            ErrSocket = rec.SocketErrors,
            Timeouts = rec.Timeouts,
            Dropped = rec.Dropped,
            AchievedRps = Math.Round(s.AchievedRps, 1),
            LatUs = s.Latency with { Mean = Math.Round(s.Latency.Mean, 1) },
            SvcUs = s.Service,
            TtfbUs = s.Ttfb,
            WallS = Math.Round(Clock.Seconds(Clock.Now - started), 2),
        };
    }
}
