using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Switchyard.Hosting;
using Switchyard.Tests.TestKit;
using Switchyard.Tests.TestKit.Gemini;

namespace Switchyard.Tests.EndToEnd.Gemini;

/// <summary>
/// A real gateway (Kestrel, loopback) with a fake OpenAI and a fake Gemini upstream. Aliases:
/// <c>gpt-via-gemini-api</c> → fake OpenAI (for Gemini clients), <c>flash</c> → fake Gemini (for OpenAI clients),
/// <c>flash-strict</c> → fake Gemini with failures returned at once (no retry, no fallback).
/// </summary>
public sealed class GeminiGatewayFixture : IAsyncLifetime
{
    public const string ClientKey = "sk-gw-gemini-tests";

    private readonly string dataDir = Path.Combine(Path.GetTempPath(), "switchyard-gemini-e2e-" + Guid.NewGuid().ToString("N"));

    public FakeOpenAIUpstream OpenAI { get; private set; } = null!;

    public FakeGeminiUpstream Gemini { get; private set; } = null!;

    public GatewayApp Gateway { get; private set; } = null!;

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    public async Task InitializeAsync()
    {
        OpenAI = await FakeOpenAIUpstream.StartAsync();
        Gemini = await FakeGeminiUpstream.StartAsync();
        var yaml = $$"""
            providers:
              fake-openai:
                kind: openai-compatible
                base_url: {{OpenAI.BaseUrl}}
                api_key_env: FAKE_OPENAI_KEY
              fake-gemini:
                preset: gemini
                base_url: {{Gemini.BaseUrl}}
                api_key_env: FAKE_GEMINI_KEY
            deployments:
              oa:
                provider: fake-openai
                model: gpt-4o-mini
              gm:
                provider: fake-gemini
                model: gemini-2.5-flash
            models:
              gpt-via-gemini-api: oa
              flash: gm
              flash-strict:
                deployments: [gm]
                retry: { max_retries: 0 }
                on: { rate_limited: fail, stream_cut: fail, server_error: fail }
            """;
        var env = new Dictionary<string, string>
        {
            ["FAKE_OPENAI_KEY"] = "sk-fake-openai",
            ["FAKE_GEMINI_KEY"] = Gemini.ApiKey,
            ["SWITCHYARD_MASTER_KEY"] = ClientKey,
        };
        Gateway = await GatewayApp.StartAsync(new GatewayStartOptions
        {
            ConfigYaml = yaml,
            Urls = "http://127.0.0.1:0",
            DataDirectory = dataDir,
            Environment = name => env.GetValueOrDefault(name),
            ConsoleLogging = false,
        });
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await Gateway.DisposeAsync();
        await OpenAI.DisposeAsync();
        await Gemini.DisposeAsync();
        try
        {
            Directory.Delete(dataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>A gateway URL, e.g. <c>Url("/v1beta/models/x:generateContent")</c>.</summary>
    public Uri Url(string pathAndQuery) => new(Gateway.BaseAddress, pathAndQuery);

    /// <summary>POSTs a Gemini body with the key in <c>x-goog-api-key</c> (or none / in the URL when <paramref name="key"/> is null).</summary>
    public Task<HttpResponseMessage> PostAsync(string pathAndQuery, string json, string? key = ClientKey, bool stream = false)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, Url(pathAndQuery))
        {
            Content = new StringContent(json, Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
        };
        if (key is not null)
        {
            request.Headers.Add("x-goog-api-key", key);
        }

        return Http.SendAsync(request, stream ? HttpCompletionOption.ResponseHeadersRead : HttpCompletionOption.ResponseContentRead);
    }

    /// <summary>The <c>data:</c> payloads of an SSE body, as JSON.</summary>
    public static List<JsonNode> SseData(string body) =>
        body.Split(["\r\n\r\n", "\n\n"], StringSplitOptions.RemoveEmptyEntries)
            .Select(e => e.Trim())
            .Where(e => e.StartsWith("data:", StringComparison.Ordinal))
            .Select(e => JsonNode.Parse(e[5..].Trim())!)
            .ToList();
}

[CollectionDefinition(Name)]
public sealed class GeminiGatewayCollection : ICollectionFixture<GeminiGatewayFixture>
{
    public const string Name = "Gemini gateway";
}
