using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Switchyard.Hosting;
using Switchyard.Pipeline;
using Switchyard.Providers.OpenAI;

namespace Switchyard.Tests.Observability;

/// <summary>
/// The allocation budget of metrics: recording a request's metrics (a dozen measurements with their labels) allocates
/// nothing on the request's thread. Measured like the pipeline benchmark (every stage, in-process echo upstream, which
/// completes on the calling thread), with <see cref="GC.GetAllocatedBytesForCurrentThread"/> so the usage writer's
/// background thread does not blur the count. Runs alone (the tracing collection): a trace listener of another test
/// would make spans, which do allocate.
/// </summary>
[Collection(nameof(TracingCollection))]
public sealed class MetricsAllocationTests
{
    private static readonly byte[] Body = Encoding.UTF8.GetBytes(
        """{"model":"switchyard/echo","messages":[{"role":"user","content":"Write one sentence about the sea."}],"max_tokens":64}""");

    [Fact]
    public async Task Metrics_On_NoAllocationOnTheRequestThread()
    {
        var off = await BytesPerRequestAsync("telemetry: { metrics: false }\n");
        var on = await BytesPerRequestAsync("telemetry: { metrics: true }\n");

        // Slack for the odd list growth in the stages themselves (the per-round medians move by ~25 B).
        Assert.True(on <= off + 48, $"metrics on: {on:0} B per request, off: {off:0} B per request");
    }

    private static async Task<double> BytesPerRequestAsync(string yaml)
    {
        var dir = Path.Combine(Path.GetTempPath(), "switchyard-alloc-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using var app = await GatewayApp.StartAsync(new GatewayStartOptions
            {
                Urls = "http://127.0.0.1:0",
                DataDirectory = dir,
                ConsoleLogging = false,
                ConfigYaml = yaml,
                Environment = name => name == "SWITCHYARD_MASTER_KEY" ? "sk-alloc" : null,
            });
            var pipeline = app.Services.GetRequiredService<GatewayPipeline>();
            for (var i = 0; i < 1000; i++)
            {
                await ChatAsync(pipeline); // warm: tiered JIT, pools, every label set already seen
            }

            var rounds = new List<double>();
            for (var round = 0; round < 7; round++)
            {
                const int requests = 300;
                var before = GC.GetAllocatedBytesForCurrentThread();
                for (var i = 0; i < requests; i++)
                {
                    await ChatAsync(pipeline);
                }

                rounds.Add((GC.GetAllocatedBytesForCurrentThread() - before) / (double)requests);
            }

            return rounds.Order().ElementAt(rounds.Count / 2);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task ChatAsync(GatewayPipeline pipeline)
    {
        var http = new DefaultHttpContext();
        http.Request.Method = "POST";
        http.Request.Path = "/v1/chat/completions";
        http.Request.ContentType = "application/json";
        http.Request.ContentLength = Body.Length;
        http.Request.Headers.Authorization = "Bearer sk-alloc";
        http.Request.Body = new MemoryStream(Body, writable: false);
        http.Response.Body = Stream.Null;
        RequestIds.Assign(http);
        await pipeline.HandleAsync(http, OpenAIChatFormat.Instance, Operation.ChatCompletions);
        Assert.Equal(200, http.Response.StatusCode);
    }
}
