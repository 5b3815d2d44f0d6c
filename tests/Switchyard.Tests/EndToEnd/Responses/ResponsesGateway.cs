#pragma warning disable OPENAI001 // the Responses client is marked experimental in the SDK
using System.ClientModel;
using OpenAI.Responses;
using Switchyard.Hosting;
using Switchyard.Tests.TestKit;

namespace Switchyard.Tests.EndToEnd.Responses;

/// <summary>
/// An in-process gateway for the Responses end-to-end tests: the built-in echo alias plus <c>fake/mini</c>,
/// routed to a <see cref="FakeOpenAIUpstream"/> as an OpenAI-compatible provider, and the official SDK's
/// <see cref="ResponsesClient"/> pointed at it.
/// </summary>
internal sealed class ResponsesGateway : IAsyncDisposable
{
    public const string FakeAlias = "fake/mini";
    public const string FakeUpstreamModel = "gpt-4o-mini";
    public const string FakeKey = "sk-fake-upstream";

    private readonly string dataDirectory;

    private ResponsesGateway(GatewayApp app, FakeOpenAIUpstream fake, string dataDirectory)
    {
        App = app;
        Fake = fake;
        this.dataDirectory = dataDirectory;
        Client = new ResponsesClient(new ApiKeyCredential("client-key"), new ResponsesClientOptions { Endpoint = new Uri(app.BaseAddress, "/v1") });
        Http = new HttpClient { BaseAddress = app.BaseAddress };
    }

    public GatewayApp App { get; }

    public FakeOpenAIUpstream Fake { get; }

    public ResponsesClient Client { get; }

    /// <summary>A raw client, for what the SDK hides (status codes, headers, the exact SSE bytes).</summary>
    public HttpClient Http { get; }

    public static async Task<ResponsesGateway> StartAsync()
    {
        var fake = await FakeOpenAIUpstream.StartAsync();
        var dataDirectory = Path.Combine(Path.GetTempPath(), "switchyard-responses-" + Guid.NewGuid().ToString("N"));
        var yaml = $"""
            providers:
              fake:
                kind: openai-compatible
                base_url: {fake.BaseUrl}
                api_key_env: FAKE_KEY
            deployments:
              fake-mini:
                provider: fake
                model: {FakeUpstreamModel}
            models:
              {FakeAlias}: fake-mini
            """;
        var app = await GatewayApp.StartAsync(new GatewayStartOptions
        {
            ConfigYaml = yaml,
            Urls = "http://127.0.0.1:0",
            DataDirectory = dataDirectory,
            Environment = name => name == "FAKE_KEY" ? FakeKey : null,
            ConsoleLogging = false,
        });
        return new ResponsesGateway(app, fake, dataDirectory);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.DisposeAsync();
        await Fake.DisposeAsync();
        try
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A usage database still closing is not worth failing a test over.
        }
    }
}
