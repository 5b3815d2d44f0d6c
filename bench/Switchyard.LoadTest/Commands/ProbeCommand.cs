using System.Globalization;
using Switchyard.LoadTest.Cli;
using Switchyard.LoadTest.Load;

namespace Switchyard.LoadTest.Commands;

/// <summary>
/// <c>probe</c>: sends the request until it gets a 2xx (readiness), at most <c>--timeout</c> seconds, and
/// gives up early when the process it is told to watch has exited (its log then says why).
/// </summary>
public static class ProbeCommand
{
    /// <summary>Exit code 0 when ready, 1 on timeout, 3 when the watched process exited.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var o = Options.Parse(args, ["--url", "--body", "--method", "--header", "--timeout", "--watch-pid"], ["--stream"]);
        var target = LoopbackTarget.Parse(o.Required("--url"));
        var method = o.String("--method", "POST")!.ToUpperInvariant();
        byte[] body = method == "GET" && o.String("--body") is null && !o.Flag("--stream") ? [] : RequestTemplate.BodyFromOptions(o);
        var request = RequestTemplate.Build(target, method, RequestTemplate.CheckHeaders(o.All("--header")), body);
        var timeout = o.Number("--timeout", 60, 0.1, 600);
        var watch = o.String("--watch-pid") is null ? (int?)null : o.Int("--watch-pid", 0, 1, int.MaxValue);

        var start = Clock.Now;
        var last = "no answer";
        while (Clock.Seconds(Clock.Now - start) < timeout)
        {
            if (watch is { } pid && !Directory.Exists($"/proc/{pid}"))
            {
                Console.Error.WriteLine($"probe: process {pid} exited before {target.Url} answered ({last})");
                return 3;
            }
            using (var conn = new HttpConnection(target, request))
            {
                var attempt = conn.ExchangeAsync().AsTask();
                // Bound each attempt: a listener that accepts but never answers must not stall the probe.
                if (await Task.WhenAny(attempt, Task.Delay(2000)).ConfigureAwait(false) == attempt)
                {
                    var ex = await attempt.ConfigureAwait(false);
                    if (ex.Outcome == ExchangeOutcome.Response && ex.Status is >= 200 and < 300)
                    {
                        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                            $"probe: {target.Url} answered HTTP {ex.Status} after {Clock.Seconds(Clock.Now - start):0.0} s"));
                        return 0;
                    }
                    last = ex.Outcome == ExchangeOutcome.Response ? $"last HTTP {ex.Status}" : "connection failed";
                }
                else last = "no answer within 2 s";
            }
            await Task.Delay(250).ConfigureAwait(false);
        }
        Console.Error.WriteLine($"probe: {target.Url} not ready after {timeout} s ({last})");
        return 1;
    }
}
