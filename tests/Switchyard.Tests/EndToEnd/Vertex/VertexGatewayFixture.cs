using System.ClientModel;
using System.ClientModel.Primitives;
using OpenAI;
using OpenAI.Chat;
using Switchyard.Hosting;
using Switchyard.Tests.TestKit.Vertex;

namespace Switchyard.Tests.EndToEnd.Vertex;

/// <summary>
/// A real gateway (Kestrel, loopback) with a fake Google token endpoint and a fake Vertex upstream that accepts
/// only tokens the fake endpoint issued. Providers: <c>vertex</c> (key JSON in a variable), <c>vertex-file</c>
/// (key file, publisher set to anthropic, another project and location) and <c>vertex-broken</c> (its variable is
/// unset). Aliases: <c>vx-gemini</c>, <c>vx-claude</c>, <c>vx-file</c>, <c>vx-broken</c> (alone, failing at once),
/// <c>vx-broken-then-gemini</c> (falls back to Gemini).
/// </summary>
public sealed class VertexGatewayFixture : IAsyncLifetime
{
    public const string ClientKey = "sk-gw-vertex-tests";

    private readonly string dataDir = Path.Combine(Path.GetTempPath(), "switchyard-vertex-e2e-" + Guid.NewGuid().ToString("N"));

    public FakeGoogleTokenEndpoint Tokens { get; private set; } = null!;

    public FakeVertexUpstream Vertex { get; private set; } = null!;

    public GatewayApp Gateway { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(dataDir);
        Tokens = await FakeGoogleTokenEndpoint.StartAsync();
        Vertex = await FakeVertexUpstream.StartAsync();
        Vertex.AcceptToken = Tokens.IsValid;
        var keyFile = Path.Combine(dataDir, "service-account.json");
        await File.WriteAllTextAsync(keyFile, TestServiceAccount.Shared.Json());
        var env = new Dictionary<string, string>
        {
            ["VERTEX_SA_JSON"] = TestServiceAccount.Shared.Json(),
            ["VERTEX_SA_FILE"] = keyFile,
            ["SWITCHYARD_MASTER_KEY"] = ClientKey,
        };
        var yaml = $$"""
            providers:
              vertex:
                kind: vertex
                base_url: {{Vertex.BaseUrl}}
                settings:
                  project: test-project
                  location: us-east5
                  credentials_env: VERTEX_SA_JSON
                  token_url: {{Tokens.TokenUrl}}
              vertex-file:
                kind: vertex
                base_url: {{Vertex.BaseUrl}}
                settings:
                  project: file-project
                  location: europe-west1
                  credentials_file_env: VERTEX_SA_FILE
                  token_url: {{Tokens.TokenUrl}}
                  publisher: anthropic
              vertex-broken:
                kind: vertex
                base_url: {{Vertex.BaseUrl}}
                settings:
                  project: test-project
                  location: us-east5
                  credentials_env: VERTEX_SA_UNSET
                  token_url: {{Tokens.TokenUrl}}
            deployments:
              gemini-on-vertex: { provider: vertex, model: gemini-2.5-flash }
              claude-on-vertex: { provider: vertex, model: claude-sonnet-4@20250514 }
              claude-from-file: { provider: vertex-file, model: custom-claude-tune }
              broken-gemini: { provider: vertex-broken, model: gemini-2.5-flash }
            models:
              vx-gemini: gemini-on-vertex
              vx-claude: claude-on-vertex
              vx-file: claude-from-file
              vx-broken:
                deployments: [broken-gemini]
                retry: { max_retries: 0 }
              vx-broken-then-gemini:
                deployments: [broken-gemini]
                fallbacks: [gemini-on-vertex]
                retry: { max_retries: 0 }
            """;
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
        await Gateway.DisposeAsync();
        await Vertex.DisposeAsync();
        await Tokens.DisposeAsync();
        try
        {
            Directory.Delete(dataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>An OpenAI SDK chat client for <paramref name="alias"/>, without SDK retries (the gateway's are under test).</summary>
    public ChatClient Chat(string alias) => new(alias, new ApiKeyCredential(ClientKey), new OpenAIClientOptions
    {
        Endpoint = new Uri(Gateway.BaseAddress, "/v1"),
        RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
        NetworkTimeout = TimeSpan.FromSeconds(30),
    });

    /// <summary>The requests the fake Vertex received for <paramref name="model"/>.</summary>
    public IReadOnlyList<VertexRecordedRequest> RequestsFor(string model) => [.. Vertex.Requests.Where(r => r.Model == model)];
}

[CollectionDefinition(Name)]
public sealed class VertexGatewayCollection : ICollectionFixture<VertexGatewayFixture>
{
    public const string Name = "Vertex gateway";
}
