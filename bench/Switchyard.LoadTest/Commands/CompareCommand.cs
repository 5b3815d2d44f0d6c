using Switchyard.LoadTest.Cli;
using Switchyard.LoadTest.Load;
using Switchyard.LoadTest.Reporting;

namespace Switchyard.LoadTest.Commands;

/// <summary>
/// <c>compare</c>: the same loads against the direct URL and the gateway URL, alternating run by run (so slow
/// drift of the box hits both alike), then the markdown table with the gateway's added latency.
/// </summary>
public static class CompareCommand
{
    /// <summary>Runs the mode; returns the process exit code (1 when the gateway died mid-run).</summary>
    public static Task<int> RunAsync(string[] args)
    {
        var o = Options.Parse(args,
            [.. LoadOptions.Valued, "--gateway-url", "--direct-url", "--header", "--gw-header", "--direct-header", "--gw-name", "--md-out"],
            LoadOptions.Flags);
        var load = LoadOptions.From(o, defaultMaxConns: 32);
        var gwName = o.String("--gw-name", "gateway")!;
        if (gwName == "direct") throw new UsageException("--gw-name 'direct' is reserved for the baseline");
        var common = o.All("--header");
        var direct = Side("direct", o.Required("--direct-url"), [.. common, .. o.All("--direct-header")], load);
        var gateway = Side(gwName, o.Required("--gateway-url"), [.. common, .. o.All("--gw-header")], load);
        var meter = load.WatchPid is { } pid ? new ProcessMeter(pid) : null;
        var records = new List<RunRecord>();

        Measurement.Prewarm(direct.Target, direct.Request, load.Prewarm, direct.Name);
        Measurement.Prewarm(gateway.Target, gateway.Request, load.Prewarm, gateway.Name);

        var plans = load.Rates.Select(r => (Func<Side, RunPlan>)(s => load.OpenPlan(s.Target, s.Request, r))).ToList();
        if (load.MaxConns > 0) plans.Add(s => load.MaxPlan(s.Target, s.Request));
        foreach (var plan in plans)
        {
            records.Add(Measurement.Run(plan(direct), direct.Name, load.Scenario, null, load.JsonOut, jsonToStdout: false));
            Settle();
            records.Add(Measurement.Run(plan(gateway), gateway.Name, load.Scenario, meter, load.JsonOut, jsonToStdout: false));
            Settle();
            if (meter is { IsAlive: false })
            {
                Console.Error.WriteLine($"loadtest: the gateway process group {meter.GroupId} has exited; stopping");
                return Task.FromResult(1);
            }
        }

        var table = MarkdownReport.Render(records);
        Console.Out.Write(table);
        if (o.String("--md-out") is { } md) File.WriteAllText(md, table);
        return Task.FromResult(0);
    }

    /// <summary>Lets the target drain aborted work and the box go quiet before the next run.</summary>
    private static void Settle() => Thread.Sleep(500);

    private static Side Side(string name, string url, IEnumerable<string> headers, LoadOptions load)
    {
        var target = LoopbackTarget.Parse(url);
        return new Side(name, target, RequestTemplate.Build(target, load.Method, RequestTemplate.CheckHeaders(headers), load.Body));
    }
}

/// <summary>One side of a comparison: its name, URL and precomputed request.</summary>
public sealed record Side(string Name, LoopbackTarget Target, byte[] Request);
