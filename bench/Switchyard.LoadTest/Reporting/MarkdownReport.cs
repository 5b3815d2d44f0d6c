using System.Globalization;
using System.Text;
using Switchyard.LoadTest.Load;

namespace Switchyard.LoadTest.Reporting;

/// <summary>
/// Renders run records as the markdown table of the bench: one row per target × scenario × load, latencies
/// in ms, and the added latency (Δp50, Δp99) of every target against the baseline row ("direct") of the
/// same scenario and load.
/// </summary>
public static class MarkdownReport
{
    /// <summary>The table, rows grouped by scenario then target in first-seen order, loads in run order.</summary>
    public static string Render(IReadOnlyList<RunRecord> records, string baseline = "direct")
    {
        var scenarios = records.Select(r => r.Scenario).Distinct().ToList();
        var targets = records.Select(r => r.Target).Distinct().OrderBy(t => t == baseline ? 0 : 1).ToList();
        var rows = records
            .Select((r, i) => (r, i))
            .OrderBy(x => scenarios.IndexOf(x.r.Scenario)).ThenBy(x => targets.IndexOf(x.r.Target)).ThenBy(x => x.i)
            .Select(x => x.r)
            .ToList();
        // Last record wins when a row was measured twice (e.g. a report over several script runs).
        var baseRows = records.Where(r => r.Target == baseline)
            .GroupBy(r => (r.Scenario, r.Load)).ToDictionary(g => g.Key, g => g.Last());

        var sb = new StringBuilder();
        sb.AppendLine("| target | scenario | load | achieved rps | p50 | p90 | p99 | p99.9 | TTFB p50 | errors | Δp50 vs direct | Δp99 vs direct | gw CPU µs/req |");
        sb.AppendLine("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in rows)
        {
            string d50 = "-", d99 = "-";
            if (r.Target != baseline && baseRows.TryGetValue((r.Scenario, r.Load), out var b))
            {
                d50 = Delta(r.LatUs.P50, b.LatUs.P50, r.Mode == "closed");
                d99 = Delta(r.LatUs.P99, b.LatUs.P99, r.Mode == "closed");
            }
            sb.Append(CultureInfo.InvariantCulture,
                $"| {r.Target} | {r.Scenario} | {r.Load} | {r.AchievedRps.ToString("N0", CultureInfo.InvariantCulture)} | ");
            sb.Append(CultureInfo.InvariantCulture,
                $"{Ms(r.LatUs.P50)} | {Ms(r.LatUs.P90)} | {Ms(r.LatUs.P99)} | {Ms(r.LatUs.P999)} | {Ms(r.TtfbUs.P50)} | ");
            sb.Append(CultureInfo.InvariantCulture,
                $"{r.Errors} | {d50} | {d99} | {(r.GwCpuUsPerReq is { } c ? c.ToString("N0", CultureInfo.InvariantCulture) : "-")} |");
            sb.AppendLine();
        }

        sb.AppendLine();
        sb.AppendLine("Latency in ms from the intended send time (open loop, coordinated-omission corrected); errors = non-2xx + socket errors + timeouts + dropped.");
        sb.AppendLine("Δ in parentheses: closed-loop max rows, where latency is queueing at saturation, not overhead.");
        foreach (var r in rows.Where(r => r.Mode == "closed" && r.GwCpuUsPerReq is not null && r.WallS > 0))
        {
            // CPU over the whole run (warm-up included) / wall time of the run = cores the gateway kept busy.
            var busy = r.GwCpuUsPerReq!.Value * r.Sent / 1e6 / r.WallS;
            var verdict = busy < 0.9
                ? "below one core: something else limited the run (upstream + load generator on their CPU, or other processes on the box)"
                : "about one core: the gateway's CPU is the limit";
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"{r.Target} {r.Scenario} {r.Load}: gateway CPU busy {busy:0.00} cores during the run, {verdict}.");
        }
        foreach (var t in targets)
        {
            var rss = records.Where(r => r.Target == t && r.GwPeakRssKb is not null).Select(r => r.GwPeakRssKb!.Value).DefaultIfEmpty(0).Max();
            if (rss > 0) sb.AppendLine(CultureInfo.InvariantCulture, $"Peak RSS of {t}: {rss / 1024.0:0.0} MiB (sum of VmHWM over its process group).");
        }
        return sb.ToString();
    }

    private static string Ms(double us) => us < 0 ? "-" : (us / 1000).ToString("0.000", CultureInfo.InvariantCulture);

    private static string Delta(double us, double baseUs, bool closed)
    {
        if (us < 0 || baseUs < 0) return "-";
        var d = (us - baseUs) / 1000;
        var s = (d >= 0 ? "+" : "−") + Math.Abs(d).ToString("0.000", CultureInfo.InvariantCulture);
        return closed ? $"({s})" : s;
    }
}
