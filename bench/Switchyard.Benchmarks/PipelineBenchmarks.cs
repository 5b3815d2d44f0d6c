using System.Diagnostics;
using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
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
/// <remarks>
/// <see cref="Telemetry"/>: <c>off</c> (<c>telemetry: { metrics: false }</c>: no observer, no listener), <c>metrics</c>
/// (the default: instruments recorded, Prometheus reader attached, nothing scraped), <c>metrics+traces</c> (also OTLP
/// spans, batched to a local sink that answers 200). With traces the request's server span that ASP.NET Core would
/// start is started here from the same source name, since Kestrel is left out.
/// </remarks>
[MemoryDiagnoser]
public class PipelineBenchmarks
{
    private static readonly byte[] Body = Encoding.UTF8.GetBytes(
        """{"model":"switchyard/echo","messages":[{"role":"user","content":"Write one sentence about the sea."}],"max_tokens":64}""");

    private static readonly ActivitySource Hosting = new("Microsoft.AspNetCore");

    private GatewayApp app = null!;
    private GatewayPipeline pipeline = null!;
    private WebApplication? sink;
    private string dataDir = "";

    /// <summary>Which telemetry runs.</summary>
    [Params("off", "metrics", "metrics+traces")]
    public string Telemetry { get; set; } = "off";

    /// <summary>
    /// <c>off</c>: the master key, nothing to govern (named Governed: a parameter named like the Switchyard.Governance namespace breaks the generated code). <c>on</c>: a key of the file with RPM, TPM and concurrency limits
    /// and a budget, so every request takes the limit book's buckets and the budget ledger's lock and is settled.
    /// </summary>
    [Params("off", "on")]
    public string Governed { get; set; } = "off";

    private const string GovernedKey = "sk-bench-governed";

    [GlobalSetup]
    public void Setup()
    {
        dataDir = Path.Combine(Path.GetTempPath(), "switchyard-bench-" + Guid.NewGuid().ToString("N"));
        var yaml = Telemetry switch
        {
            "off" => "telemetry: { metrics: false }\n",
            "metrics" => "telemetry: { metrics: true }\n",
            _ => $"telemetry: {{ metrics: true, otlp_endpoint: \"{StartSink()}\" }}\n",
        };
        if (Governed == "on")
        {
            yaml += $$"""
                auth:
                  keys:
                    - id: governed
                      hash: {{Switchyard.Auth.KeyAuthenticator.FormatHash(GovernedKey)}}
                      limits: { rpm: 1000000000, tpm: 1000000000000, concurrency: 100000 }
                      budget: { limit_usd: 1000000000, period: monthly }
                """;
        }

        app = GatewayApp.StartAsync(new GatewayStartOptions
        {
            Urls = "http://127.0.0.1:0",
            DataDirectory = dataDir,
            ConsoleLogging = false,
            ConfigYaml = yaml,
            Environment = name => name == "SWITCHYARD_MASTER_KEY" ? "sk-bench" : null,
        }).GetAwaiter().GetResult();
        pipeline = app.Services.GetRequiredService<GatewayPipeline>();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        app.DisposeAsync().AsTask().GetAwaiter().GetResult();
        sink?.DisposeAsync().AsTask().GetAwaiter().GetResult();
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
        http.Request.Headers.Authorization = Governed == "on" ? "Bearer " + GovernedKey : "Bearer sk-bench";
        http.Request.Body = new MemoryStream(Body, writable: false);
        http.Response.Body = Stream.Null;
        RequestIds.Assign(http);
        using var server = Hosting.StartActivity("Microsoft.AspNetCore.Hosting.HttpRequestIn", ActivityKind.Server);
        if (server is not null)
        {
            http.Features.Set<IHttpActivityFeature>(new ActivityFeature(server));
        }

        await pipeline.HandleAsync(http, OpenAIChatFormat.Instance, Operation.ChatCompletions);
        return http.Response.StatusCode;
    }

    /// <summary>A local OTLP/HTTP sink that reads each export and answers 200, so spans cost what they cost when exported.</summary>
    private string StartSink()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        sink = builder.Build();
        sink.MapPost("/v1/{signal}", async http => await http.Request.Body.CopyToAsync(Stream.Null));
        sink.StartAsync().GetAwaiter().GetResult();
        return sink.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    }

    private sealed class ActivityFeature(Activity activity) : IHttpActivityFeature
    {
        public Activity Activity { get; set; } = activity;
    }
}
