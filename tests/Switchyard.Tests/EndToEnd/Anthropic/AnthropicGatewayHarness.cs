using System.Net.Http.Headers;
using System.Text;
using Anthropic;
using Anthropic.Core;
using Switchyard.Hosting;
using Switchyard.Tests.TestKit;
using Switchyard.Tests.TestKit.Anthropic;

namespace Switchyard.Tests.EndToEnd.Anthropic;

/// <summary>
/// A real gateway (Kestrel on 127.0.0.1:0) in front of a fake Anthropic and a fake OpenAI upstream, with the
/// aliases the Anthropic end-to-end tests route through:
/// <c>claude</c> → fake Anthropic (passthrough for Anthropic clients, translated for OpenAI clients),
/// <c>gpt</c> → fake OpenAI (translated for Anthropic clients).
/// </summary>
public sealed class AnthropicGatewayHarness : IAsyncDisposable
{
    /// <summary>The client key the gateway accepts.</summary>
    public const string ClientKey = "sk-switchyard-test-key";

    /// <summary>The key the gateway sends to the fake Anthropic upstream.</summary>
    public const string AnthropicKey = "sk-ant-upstream-key";

    /// <summary>The upstream model behind the <c>claude</c> alias.</summary>
    public const string ClaudeModel = "claude-upstream-1";

    /// <summary>The upstream model behind the <c>gpt</c> alias.</summary>
    public const string GptModel = "gpt-upstream-1";

    private readonly string dataDirectory;

    private AnthropicGatewayHarness(GatewayApp gateway, FakeAnthropicUpstream anthropic, FakeOpenAIUpstream openai, string dataDirectory)
    {
        Gateway = gateway;
        Anthropic = anthropic;
        OpenAI = openai;
        this.dataDirectory = dataDirectory;
    }

    public GatewayApp Gateway { get; }

    public FakeAnthropicUpstream Anthropic { get; }

    public FakeOpenAIUpstream OpenAI { get; }

    /// <summary>Starts the fakes and the gateway. <paramref name="anthropicSettings"/> is YAML for the provider's <c>settings:</c>.</summary>
    public static async Task<AnthropicGatewayHarness> StartAsync(string? anthropicSettings = null)
    {
        var anthropic = await FakeAnthropicUpstream.StartAsync();
        var openai = await FakeOpenAIUpstream.StartAsync();
        var dataDirectory = Path.Combine(Path.GetTempPath(), "switchyard-anthropic-e2e-" + Guid.NewGuid().ToString("N"));
        var yaml = $$"""
            auth:
              keys:
                - { id: tests, key_env: GATEWAY_TEST_KEY }
            providers:
              anth:
                kind: anthropic
                base_url: {{anthropic.BaseUrl}}
                api_key_env: FAKE_ANTHROPIC_KEY
            {{(anthropicSettings is null ? "" : "    settings: " + anthropicSettings)}}
              oai:
                kind: openai-compatible
                base_url: {{openai.BaseUrl}}
                api_key_env: FAKE_OPENAI_KEY
            deployments:
              claude-d: { provider: anth, model: {{ClaudeModel}} }
              gpt-d: { provider: oai, model: {{GptModel}} }
            models:
              claude:
                deployments: [{ deployment: claude-d, weight: 1 }]
                max_attempts: 1
              gpt:
                deployments: [{ deployment: gpt-d, weight: 1 }]
                max_attempts: 1
            """;
        var env = new Dictionary<string, string>
        {
            ["GATEWAY_TEST_KEY"] = ClientKey,
            ["FAKE_ANTHROPIC_KEY"] = AnthropicKey,
            ["FAKE_OPENAI_KEY"] = "sk-openai-upstream-key",
        };
        var gateway = await GatewayApp.StartAsync(new GatewayStartOptions
        {
            ConfigYaml = yaml,
            Urls = "http://127.0.0.1:0",
            DataDirectory = dataDirectory,
            Environment = name => env.GetValueOrDefault(name),
            ConsoleLogging = false,
        });
        return new AnthropicGatewayHarness(gateway, anthropic, openai, dataDirectory);
    }

    /// <summary>The official Anthropic SDK pointed at the gateway (no retries: the gateway's own behaviour is under test).</summary>
    public AnthropicClient AnthropicSdk(string key = ClientKey) => new(new ClientOptions
    {
        BaseUrl = Gateway.BaseAddress.AbsoluteUri.TrimEnd('/'),
        ApiKey = key,
        MaxRetries = 0,
    });

    /// <summary>The official OpenAI SDK pointed at the gateway (no retries, as above).</summary>
    public OpenAI.Chat.ChatClient OpenAISdk(string model) => new(model, new System.ClientModel.ApiKeyCredential(ClientKey),
        new OpenAI.OpenAIClientOptions
        {
            Endpoint = new Uri(Gateway.BaseAddress, "/v1"),
            NetworkTimeout = TimeSpan.FromSeconds(30),
            RetryPolicy = new System.ClientModel.Primitives.ClientRetryPolicy(0),
        });

    /// <summary>Posts raw JSON to <paramref name="path"/> with an <c>x-api-key</c> (null: none) and <c>anthropic-version: 2023-06-01</c>.</summary>
    public async Task<(int Status, string Body, HttpResponseHeaders Headers)> PostAsync(
        string path, string json, string? key = ClientKey, IReadOnlyDictionary<string, string>? headers = null)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(Gateway.BaseAddress, path))
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        };
        if (key is not null)
        {
            request.Headers.Add("x-api-key", key);
        }

        request.Headers.Add("anthropic-version", "2023-06-01");
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            request.Headers.Remove(name);
            request.Headers.Add(name, value);
        }

        using var response = await http.SendAsync(request);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(), response.Headers);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await Anthropic.DisposeAsync();
        await OpenAI.DisposeAsync();
        try
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // SQLite may still hold the file for a moment; a temp folder left behind is harmless.
        }
    }
}
