using System.Globalization;
using System.Text.Json;
using Switchyard.LoadTest.Load;
using Switchyard.LoadTest.Reporting;

namespace Switchyard.LoadTest.Commands;

/// <summary>Runs plans with labels, CPU/RSS metering, progress lines on stderr and JSON-lines output.</summary>
public static class Measurement
{
    /// <summary>Runs <paramref name="plan"/>, attaches labels and (when <paramref name="meter"/> is set) the
    /// watched group's CPU per request and peak RSS, prints a progress line and appends the JSON line.</summary>
    public static RunRecord Run(RunPlan plan, string target, string scenario, ProcessMeter? meter, string? jsonOut, bool jsonToStdout)
    {
        var cpu0 = meter?.CpuSeconds();
        var rec = plan.Execute();
        rec = rec with { Target = target, Scenario = scenario, Label = $"{target}/{scenario}/{rec.Load}" };
        if (meter is not null && cpu0 is { } c0)
        {
            var cpu = meter.CpuSeconds() - c0;
            rec = rec with
            {
                GwCpuUsPerReq = rec.Sent > 0 ? Math.Round(cpu * 1e6 / rec.Sent, 1) : null,
                GwPeakRssKb = meter.PeakRssKb(),
            };
        }

        Console.Error.WriteLine(Describe(rec));
        if (rec.Ok == 0 && rec.ErrSocket > 0)
            Console.Error.WriteLine($"  warning: no successful response, {rec.ErrSocket} socket errors: is {plan.Target.Url} up?");
        else if (rec.ErrStatus > 0)
            Console.Error.WriteLine($"  warning: {rec.ErrStatus} non-2xx responses (e.g. HTTP {rec.ErrStatusExample})");
        if (rec.Timeouts > 0)
            Console.Error.WriteLine($"  warning: {rec.Timeouts} requests still in flight or queued when the grace period ended (timeouts)");

        var line = JsonSerializer.Serialize(rec, RunRecordJson.Default.RunRecord);
        if (jsonToStdout) Console.Out.WriteLine(line);
        if (jsonOut is not null) File.AppendAllText(jsonOut, line + "\n");
        return rec;
    }

    /// <summary>Unrecorded closed-loop warm-up (JIT tiering, connection pools) before the measured runs.</summary>
    public static void Prewarm(LoopbackTarget target, byte[] request, double seconds, string name)
    {
        if (seconds <= 0) return;
        var rec = new RunPlan(target, request, 0, 8, 0, seconds, 2).Execute();
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {name} prewarm {seconds:0.#} s: {rec.AchievedRps:0} rps, {rec.Errors} errors"));
    }

    /// <summary>One human-readable line per run.</summary>
    public static string Describe(RunRecord r)
    {
        var cpu = r.GwCpuUsPerReq is { } c ? string.Create(CultureInfo.InvariantCulture, $"  cpu={c:0} us/req") : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"  {r.Target} {r.Scenario} {r.Load}: {r.AchievedRps:0} rps  p50={Ms(r.LatUs.P50)} p99={Ms(r.LatUs.P99)} p99.9={Ms(r.LatUs.P999)} ttfb50={Ms(r.TtfbUs.P50)} ms  errors={r.Errors}{cpu}");
    }

    private static string Ms(double us) => us < 0 ? "-" : (us / 1000).ToString("0.000", CultureInfo.InvariantCulture);
}
