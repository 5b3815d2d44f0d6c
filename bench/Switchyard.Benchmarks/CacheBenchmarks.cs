using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Switchyard.Hosting;
using Switchyard.Pipeline;
using Switchyard.Providers.OpenAI;

namespace Switchyard.Benchmarks;

/// <summary>
/// The exact cache (docs/adr/0015-cache.md): one chat request through every stage, in-process as in
/// <see cref="PipelineBenchmarks"/>, answered by the built-in echo model without a cache (the passthrough baseline)
/// or from the cache (a hit: key, lookup, replay in the client's format, a record). The echo upstream is in-process,
/// so the baseline leaves out a real upstream's socket and latency: the comparison is of the gateway's own CPU.
/// </summary>
[MemoryDiagnoser]
public class CacheBenchmarks
{
    private const string Yaml = """
        telemetry: { metrics: false }
        models:
          echo-plain:
            deployments: [switchyard-echo]
          echo-cached:
            deployments: [switchyard-echo]
            cache: { ttl: 1h }
          echo-semantic:
            deployments: [switchyard-echo]
            cache: { ttl: 1h, semantic: { embedding_model: echo-embed } }
          echo-embed:
            deployments: [switchyard-echo]
        """;

    private static readonly byte[] Plain = Body("echo-plain", stream: false);
    private static readonly byte[] Cached = Body("echo-cached", stream: false);
    private static readonly byte[] CachedStream = Body("echo-cached", stream: true);
    private static readonly byte[] Semantic = Body("echo-semantic", stream: false);

    // The same prompt as a content-part array: another exact key (the body differs), the same text (similarity 1), so
    // every measured request is an exact miss and a semantic hit, with its embedding call (in-process echo) and record.
    private static readonly byte[] SemanticParts = Encoding.UTF8.GetBytes(
        """{"model":"echo-semantic","messages":[{"role":"user","content":[{"type":"text","text":"Write one sentence about the sea."}]}],"max_tokens":64}""");

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
            ConfigYaml = Yaml,
            Environment = name => name == "SWITCHYARD_MASTER_KEY" ? "sk-bench" : null,
        }).GetAwaiter().GetResult();
        pipeline = app.Services.GetRequiredService<GatewayPipeline>();
        Send(Cached).GetAwaiter().GetResult(); // fills the entry: every measured cached request is a hit
        Send(Semantic).GetAwaiter().GetResult(); // fills the semantic entry
        var header = SendForHeader(SemanticParts).GetAwaiter().GetResult();
        if (!header.StartsWith("semantic-hit", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"the semantic case is not a semantic hit (x-switchyard-cache: {header})");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        app.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Directory.Delete(dataDir, recursive: true);
    }

    [Benchmark(Baseline = true, Description = "passthrough, no cache (echo upstream, in-process)")]
    public Task<int> Passthrough() => Send(Plain);

    [Benchmark(Description = "exact-cache hit, whole answer")]
    public Task<int> CacheHit() => Send(Cached);

    [Benchmark(Description = "exact-cache hit, replayed as a stream")]
    public Task<int> CacheHitStream() => Send(CachedStream);

    [Benchmark(Description = "semantic-cache hit (embedding by the in-process echo, index scan, replay)")]
    public Task<int> SemanticHit() => Send(SemanticParts);

    private async Task<string> SendForHeader(byte[] body)
    {
        var http = await Run(body);
        return http.Response.Headers["x-switchyard-cache"].ToString();
    }

    private async Task<int> Send(byte[] body) => (await Run(body)).Response.StatusCode;

    private async Task<HttpContext> Run(byte[] body)
    {
        var http = new DefaultHttpContext();
        http.Request.Method = "POST";
        http.Request.Path = "/v1/chat/completions";
        http.Request.ContentType = "application/json";
        http.Request.ContentLength = body.Length;
        http.Request.Headers.Authorization = "Bearer sk-bench";
        http.Request.Body = new MemoryStream(body, writable: false);
        http.Response.Body = Stream.Null;
        RequestIds.Assign(http);
        await pipeline.HandleAsync(http, OpenAIChatFormat.Instance, Operation.ChatCompletions);
        return http;
    }

    private static byte[] Body(string model, bool stream) => Encoding.UTF8.GetBytes(
        $$"""{"model":"{{model}}","messages":[{"role":"user","content":"Write one sentence about the sea."}],"max_tokens":64{{(stream ? ",\"stream\":true" : "")}}}""");
}
