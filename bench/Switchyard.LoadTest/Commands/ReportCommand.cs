using System.Text.Json;
using Switchyard.LoadTest.Cli;
using Switchyard.LoadTest.Load;
using Switchyard.LoadTest.Reporting;

namespace Switchyard.LoadTest.Commands;

/// <summary><c>report</c>: the markdown table from a JSON-lines file written by <c>drive</c>/<c>compare</c>.</summary>
public static class ReportCommand
{
    /// <summary>Runs the mode; returns the process exit code.</summary>
    public static int Run(string[] args)
    {
        var o = Options.Parse(args, ["--in", "--baseline"], []);
        var path = o.Required("--in");
        if (!File.Exists(path)) throw new UsageException($"no such file: {path}");
        var records = new List<RunRecord>();
        foreach (var line in File.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                if (JsonSerializer.Deserialize(line, RunRecordJson.Default.RunRecord) is { Target.Length: > 0 } r) records.Add(r);
            }
            catch (JsonException) { } // not one of our lines (e.g. olg output without target): skip
        }
        if (records.Count == 0) throw new UsageException($"no run records in {path}");
        Console.Out.Write(MarkdownReport.Render(records, o.String("--baseline", "direct")!));
        return 0;
    }
}
