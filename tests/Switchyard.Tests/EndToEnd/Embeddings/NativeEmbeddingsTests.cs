using System.ClientModel;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenAI;
using OpenAI.Embeddings;
using Switchyard.Hosting;

namespace Switchyard.Tests.EndToEnd.Embeddings;

/// <summary>
/// OpenAI embeddings served by Gemini (<c>batchEmbedContents</c>) and Bedrock (<c>InvokeModel</c>, Titan and
/// Cohere), through the official OpenAI SDK (which asks for base64 vectors) and a raw float request.
/// The fake answers each provider's documented shape and records what it received.
/// </summary>
public sealed class NativeEmbeddingsTests : IAsyncLifetime
{
    private readonly string dataDir = Directory.CreateTempSubdirectory("switchyard-embed-").FullName;
    private readonly List<(string Path, string Body, string? GoogKey)> received = [];
    private WebApplication fake = null!;
    private GatewayApp gateway = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        fake = builder.Build();
        fake.Run(async http =>
        {
            using var reader = new StreamReader(http.Request.Body);
            var body = await reader.ReadToEndAsync();
            lock (received)
            {
                received.Add((http.Request.Path.Value!, body, http.Request.Headers["x-goog-api-key"].FirstOrDefault()));
            }

            http.Response.ContentType = "application/json";
            var path = http.Request.Path.Value!;
            if (path.EndsWith(":batchEmbedContents", StringComparison.Ordinal))
            {
                using var doc = JsonDocument.Parse(body);
                var n = doc.RootElement.GetProperty("requests").GetArrayLength();
                await http.Response.WriteAsync("{\"embeddings\":[" + string.Join(",", Enumerable.Range(0, n).Select(i => $"{{\"values\":[{i}.5,-1.25,0.125]}}")) + "]}");
            }
            else if (path.Contains("titan", StringComparison.Ordinal))
            {
                await http.Response.WriteAsync("{\"embedding\":[0.5,0.25],\"inputTextTokenCount\":7}");
            }
            else if (path.Contains("cohere", StringComparison.Ordinal))
            {
                await http.Response.WriteAsync("{\"id\":\"x\",\"embeddings\":[[1.0,2.0],[3.0,4.0]],\"texts\":[\"a\",\"b\"],\"response_type\":\"embeddings_floats\"}");
            }
            else
            {
                http.Response.StatusCode = 404;
                await http.Response.WriteAsync("{\"message\":\"not found\"}");
            }
        });
        await fake.StartAsync();
        var baseUrl = fake.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var yaml = $$"""
            providers:
              g: { preset: gemini, base_url: "{{baseUrl}}/v1beta" }
              b: { kind: bedrock, base_url: "{{baseUrl}}", api_key: "${BEDROCK_KEY}" }
            deployments:
              gem: { provider: g, model: text-embedding-004 }
              titan: { provider: b, model: "amazon.titan-embed-text-v2:0" }
              cohere: { provider: b, model: cohere.embed-english-v3 }
            models:
              gem-embed: gem
              titan-embed: titan
              cohere-embed: cohere
            """;
        gateway = await GatewayApp.StartAsync(new GatewayStartOptions
        {
            ConfigYaml = yaml,
            Urls = "http://127.0.0.1:0",
            DataDirectory = dataDir,
            Environment = n => n switch { "GEMINI_API_KEY" => "g-key", "BEDROCK_KEY" => "b-key", _ => null },
            ConsoleLogging = false,
        });
    }

    private EmbeddingClient Client(string model) =>
        new(model, new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri(gateway.BaseAddress, "v1") });

    [Fact]
    public async Task Gemini_BatchOfInputs_ViaSdkBase64_ComesBackInOrder()
    {
        var result = await Client("gem-embed").GenerateEmbeddingsAsync(["alpha", "beta"]);
        Assert.Equal(2, result.Value.Count);
        Assert.Equal([0.5f, -1.25f, 0.125f], result.Value[0].ToFloats().ToArray());
        Assert.Equal([1.5f, -1.25f, 0.125f], result.Value[1].ToFloats().ToArray());

        var (path, body, key) = received.Single();
        Assert.Equal("/v1beta/models/text-embedding-004:batchEmbedContents", path);
        Assert.Equal("g-key", key);
        using var doc = JsonDocument.Parse(body);
        Assert.Equal("models/text-embedding-004", doc.RootElement.GetProperty("requests")[0].GetProperty("model").GetString());
        Assert.Equal("beta", doc.RootElement.GetProperty("requests")[1].GetProperty("content").GetProperty("parts")[0].GetProperty("text").GetString());
    }

    [Fact]
    public async Task GeminiClient_EmbedContent_ToGemini_KeepsTheTaskType()
    {
        using var http = new HttpClient { BaseAddress = gateway.BaseAddress };
        using var r = await http.PostAsync("/v1beta/models/gem-embed:embedContent", new StringContent(
            """{"content":{"parts":[{"text":"where is Oslo?"}]},"taskType":"RETRIEVAL_QUERY","outputDimensionality":3}""", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        using var answer = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
        Assert.Equal([0.5, -1.25, 0.125], answer.RootElement.GetProperty("embedding").GetProperty("values").EnumerateArray().Select(v => v.GetDouble()));
        using var sent = JsonDocument.Parse(received.Single().Body);
        var item = sent.RootElement.GetProperty("requests")[0];
        Assert.Equal("RETRIEVAL_QUERY", item.GetProperty("taskType").GetString());
        Assert.Equal(3, item.GetProperty("outputDimensionality").GetInt32());
    }

    [Fact]
    public async Task GeminiClient_TaskTypeToCohere_IsMapped_ToTitan_IsRefused()
    {
        using var http = new HttpClient { BaseAddress = gateway.BaseAddress };
        using var cohere = await http.PostAsync("/v1beta/models/cohere-embed:batchEmbedContents", new StringContent(
            """{"requests":[{"content":{"parts":[{"text":"a"}]},"taskType":"CLUSTERING"},{"content":{"parts":[{"text":"b"}]},"taskType":"CLUSTERING"}]}""", Encoding.UTF8, "application/json"));
        using var titan = await http.PostAsync("/v1beta/models/titan-embed:embedContent", new StringContent(
            """{"content":{"parts":[{"text":"a"}]},"taskType":"CLUSTERING"}""", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.OK, cohere.StatusCode);
        using var batch = JsonDocument.Parse(await cohere.Content.ReadAsStringAsync());
        Assert.Equal(2, batch.RootElement.GetProperty("embeddings").GetArrayLength());
        Assert.Contains("\"input_type\":\"clustering\"", received.Single().Body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, titan.StatusCode);
        using var error = JsonDocument.Parse(await titan.Content.ReadAsStringAsync());
        Assert.Equal(400, error.RootElement.GetProperty("error").GetProperty("code").GetInt32()); // Google's shape
        Assert.Contains("taskType", error.RootElement.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task Titan_SingleInput_FloatFormatAndTokenCount()
    {
        using var http = new HttpClient { BaseAddress = gateway.BaseAddress };
        using var r = await http.PostAsync("/v1/embeddings", new StringContent("""{"model":"titan-embed","input":"hello","dimensions":256}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
        Assert.Equal([0.5, 0.25], doc.RootElement.GetProperty("data")[0].GetProperty("embedding").EnumerateArray().Select(e => e.GetDouble()));
        Assert.Equal(7, doc.RootElement.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        var (path, body, _) = received.Single();
        Assert.Equal("/model/amazon.titan-embed-text-v2:0/invoke", path); // sent escaped (%3A); Kestrel decodes it
        Assert.Contains("\"dimensions\":256", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Titan_BatchInput_IsRefusedNamingTheField()
    {
        using var http = new HttpClient { BaseAddress = gateway.BaseAddress };
        using var r = await http.PostAsync("/v1/embeddings", new StringContent("""{"model":"titan-embed","input":["a","b"]}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
        Assert.Equal("input", doc.RootElement.GetProperty("error").GetProperty("param").GetString());
        Assert.Empty(received);
    }

    [Fact]
    public async Task Cohere_Batch_ViaSdk()
    {
        var result = await Client("cohere-embed").GenerateEmbeddingsAsync(["a", "b"]);
        Assert.Equal([3f, 4f], result.Value[1].ToFloats().ToArray());
        Assert.Contains("\"input_type\":\"search_document\"", received.Single().Body, StringComparison.Ordinal);
    }

    public async Task DisposeAsync()
    {
        await gateway.DisposeAsync();
        await fake.DisposeAsync();
        try
        {
            Directory.Delete(dataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
