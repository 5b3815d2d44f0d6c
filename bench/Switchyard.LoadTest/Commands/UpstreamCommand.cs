using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Switchyard.LoadTest.Cli;
using Switchyard.LoadTest.Upstream;

namespace Switchyard.LoadTest.Commands;

/// <summary>
/// <c>upstream</c>: a fake OpenAI API on 127.0.0.1 serving precomputed bytes. It is the floor of every
/// measurement, so it does the least work possible: one terminal middleware (no routing, no logging), a
/// byte search for <c>"stream":true</c>, and a single write of a static buffer.
/// </summary>
public static class UpstreamCommand
{
    /// <summary>Runs until stopped (or <c>--max-seconds</c>); returns the process exit code.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var o = Options.Parse(args, ["--port", "--delay-ms", "--chunk-ms", "--max-seconds"], []);
        var port = o.Int("--port", 18080, 1, 65535);
        var delay = TimeSpan.FromMilliseconds(o.Int("--delay-ms", 0, 0, 60_000));
        var chunkGap = TimeSpan.FromMilliseconds(o.Int("--chunk-ms", 0, 0, 10_000));
        var maxSeconds = o.Int("--max-seconds", 0, 0, 86_400);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, port, l => l.Protocols = HttpProtocols.Http1);
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = 4 * 1024 * 1024;
        });
        var app = builder.Build();
        var handler = new MockHandler(delay, chunkGap);
        app.Run(handler.HandleAsync);

        await app.StartAsync().ConfigureAwait(false);
        Console.Error.WriteLine($"upstream: listening on http://127.0.0.1:{port} (delay {delay.TotalMilliseconds} ms, SSE gap {chunkGap.TotalMilliseconds} ms)");
        using var stop = maxSeconds > 0 ? new CancellationTokenSource(TimeSpan.FromSeconds(maxSeconds)) : new CancellationTokenSource();
        await app.WaitForShutdownAsync(stop.Token).ConfigureAwait(false);
        await app.StopAsync().ConfigureAwait(false);
        return 0;
    }
}
