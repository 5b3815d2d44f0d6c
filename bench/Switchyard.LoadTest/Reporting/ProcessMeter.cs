using System.Globalization;

namespace Switchyard.LoadTest.Reporting;

/// <summary>
/// CPU time and peak RSS of a process group, read from /proc (Linux only). The script starts the gateway
/// with setsid, so its pid is also its process-group id and this covers every process it spawns (a
/// <c>bash -c</c> wrapper, workers). CPU per request is far less noisy than latency on a shared 2-core box.
/// </summary>
public sealed class ProcessMeter(int pgid)
{
    // USER_HZ is 100 on every mainstream Linux build; /proc/PID/stat reports utime/stime in it.
    private const double TicksPerSecond = 100;

    /// <summary>The watched process-group id.</summary>
    public int GroupId => pgid;

    /// <summary>True when the group's leader still exists.</summary>
    public bool IsAlive => Directory.Exists($"/proc/{pgid}");

    /// <summary>User+system CPU seconds consumed so far by the group's live processes.</summary>
    public double CpuSeconds()
    {
        long ticks = 0;
        foreach (var fields in GroupStats()) ticks += long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return ticks / TicksPerSecond;
    }

    /// <summary>Sum of VmHWM (peak resident set) over the group's processes, in KiB.</summary>
    public long PeakRssKb()
    {
        long sum = 0;
        foreach (var pid in GroupPids())
        {
            try
            {
                foreach (var line in File.ReadLines($"/proc/{pid}/status"))
                {
                    if (!line.StartsWith("VmHWM:", StringComparison.Ordinal)) continue;
                    sum += long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
                    break;
                }
            }
            catch (IOException) { } // the process exited between listing and reading
        }
        return sum;
    }

    private IEnumerable<int> GroupPids() => GroupStats().Select(f => int.Parse(f[^1], CultureInfo.InvariantCulture));

    /// <summary>/proc/PID/stat fields after the "(comm)" part (index 0 = state, 2 = pgrp, 11 = utime,
    /// 12 = stime) of every process in the group, with the pid appended as the last element.</summary>
    private IEnumerable<string[]> GroupStats()
    {
        if (!OperatingSystem.IsLinux()) yield break;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            var name = Path.GetFileName(dir);
            if (name.Length == 0 || !char.IsAsciiDigit(name[0])) continue;
            string stat;
            try { stat = File.ReadAllText(Path.Combine(dir, "stat")); }
            catch (IOException) { continue; }
            catch (UnauthorizedAccessException) { continue; }
            var close = stat.LastIndexOf(')'); // comm may contain spaces and parentheses
            if (close < 0) continue;
            var fields = stat[(close + 2)..].Split(' ');
            if (fields.Length < 13 || fields[2] != pgid.ToString(CultureInfo.InvariantCulture)) continue;
            yield return [.. fields, name];
        }
    }
}
