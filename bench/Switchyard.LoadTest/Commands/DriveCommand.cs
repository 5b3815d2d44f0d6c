using Switchyard.LoadTest.Cli;
using Switchyard.LoadTest.Load;
using Switchyard.LoadTest.Reporting;

namespace Switchyard.LoadTest.Commands;

/// <summary><c>drive</c>: open-loop runs at each rate against one URL, then an optional closed-loop max run.
/// Prints one JSON line per run on stdout (progress on stderr).</summary>
public static class DriveCommand
{
    /// <summary>Runs the mode; returns the process exit code.</summary>
    public static Task<int> RunAsync(string[] args)
    {
        var o = Options.Parse(args, [.. LoadOptions.Valued, "--url", "--header", "--label", "--target"], LoadOptions.Flags);
        var target = LoopbackTarget.Parse(o.Required("--url"));
        var load = LoadOptions.From(o, defaultMaxConns: 0);
        var name = o.String("--target", o.String("--label", "target"))!;
        var request = RequestTemplate.Build(target, load.Method, RequestTemplate.CheckHeaders(o.All("--header")), load.Body);
        var meter = load.WatchPid is { } pid ? new ProcessMeter(pid) : null;

        Measurement.Prewarm(target, request, load.Prewarm, name);
        foreach (var rate in load.Rates)
            Measurement.Run(load.OpenPlan(target, request, rate), name, load.Scenario, meter, load.JsonOut, jsonToStdout: true);
        if (load.MaxConns > 0)
            Measurement.Run(load.MaxPlan(target, request), name, load.Scenario, meter, load.JsonOut, jsonToStdout: true);
        return Task.FromResult(0);
    }
}
