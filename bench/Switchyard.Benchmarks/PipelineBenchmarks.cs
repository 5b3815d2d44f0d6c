using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Switchyard.Hosting;
using Switchyard.Pipeline;
using Switchyard.Providers.OpenAI;

namespace Switchyard.Benchmarks;

/// <summary>
/// One whole chat request through the gateway's own path, in-process: every stage (authenticate, read,
/// admission, route, plan, dispatch over the passthrough path, settle with a usage record written to
/// SQLite in the background), with the built-in echo model as the upstream (an in-process handler, so no
/// socket is measured). Kestrel is left out: its cost does not depend on our code. The allocated column is
/// the gateway's per-request garbage, the number the hot-path budget is about.
/// </summary>
[MemoryDiagnoser]
public class PipelineBenchmarks
{
    private static readonly byte[] Body = Encoding.UTF8.GetBytes(
        """{"model":"switchyard/echo","messages":[{"role":"user","content":"Write one sentence about the sea."}],"max_tokens":64}""");

    private GatewayApp app = null!;
    private GatewayPipeline pipeline = null!;
    private string dataDir = "";

    [GlobalSetup]
    public void Setup()
    {
        dataDir = Path.Combine(Path.GetTempPath(), "switchyard-bench-" + Guid.NewGuid().ToString("N"));
        app = GatewayApp.StartAsync(new GatewayStartOptions
        {
            Urls = "http://127.0.0.1:0",
            DataDirectory = dataDir,
            ConsoleLogging = false,
            Environment = name => name == "SWITCHYARD_MASTER_KEY" ? "sk-bench" : null,
        }).GetAwaiter().GetResult();
        pipeline = app.Services.GetRequiredService<GatewayPipeline>();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        app.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Directory.Delete(dataDir, recursive: true);
    }

    [Benchmark(Description = "chat request through every stage (echo upstream, in-process)")]
    public async Task<int> ChatRequest()
    {
        var http = new DefaultHttpContext();
        http.Request.Method = "POST";
        http.Request.Path = "/v1/chat/completions";
        http.Request.ContentType = "application/json";
        http.Request.ContentLength = Body.Length;
        http.Request.Headers.Authorization = "Bearer sk-bench";
        http.Request.Body = new MemoryStream(Body, writable: false);
        http.Response.Body = Stream.Null;
        RequestIds.Assign(http);
        await pipeline.HandleAsync(http, OpenAIChatFormat.Instance, Operation.ChatCompletions);
        return http.Response.StatusCode;
    }
}
