// Entry point: `Switchyard.LoadTest <mode> [options]`. Each mode lives in Commands/.
using Switchyard.LoadTest.Cli;
using Switchyard.LoadTest.Commands;

try
{
    if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
    {
        Console.Out.Write(Usage.Text);
        return args.Length == 0 ? 2 : 0;
    }

    var rest = args[1..];
    return args[0] switch
    {
        "upstream" => await UpstreamCommand.RunAsync(rest),
        "drive" => await DriveCommand.RunAsync(rest),
        "compare" => await CompareCommand.RunAsync(rest),
        "probe" => await ProbeCommand.RunAsync(rest),
        "report" => ReportCommand.Run(rest),
        _ => throw new UsageException($"unknown mode '{args[0]}'"),
    };
}
catch (UsageException e)
{
    Console.Error.WriteLine($"loadtest: {e.Message}");
    Console.Error.WriteLine("run with --help for the options of every mode");
    return 2;
}
