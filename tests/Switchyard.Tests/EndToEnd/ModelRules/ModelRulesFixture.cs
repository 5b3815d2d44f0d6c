using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Switchyard.Hosting;
using Switchyard.Providers.Bedrock;
using Switchyard.Tests.TestKit.Anthropic;
using Switchyard.Tests.TestKit.Bedrock;
using Switchyard.Tests.TestKit.Gemini;
using Switchyard.Tests.TestKit.Vertex;

namespace Switchyard.Tests.EndToEnd.ModelRules;

/// <summary>
/// One gateway in front of the four strict fakes (Bedrock, Vertex, Anthropic, Gemini: each refuses what its real
/// service refuses for the model in question). Every deployment is served by two aliases: <c>s-NAME</c> (strict:
/// the model's rules refuse) and <c>a-NAME</c> (<c>drop_unsupported_params</c>: the rules adapt).
/// </summary>
public sealed class ModelRulesFixture : IAsyncLifetime
{
    public const string ClientKey = "sk-gw-model-rules";

    private static readonly AwsCredentials Aws = new("AKIAMODELRULES", "model/rules+secret");

    public static readonly IReadOnlyDictionary<string, string> Deployments = new Dictionary<string, string>
    {
        ["bedrock-haiku3"] = "{ provider: aws, model: us.anthropic.claude-3-haiku-20240307-v1:0 }",
        ["bedrock-sonnet4"] = "{ provider: aws, model: us.anthropic.claude-sonnet-4-20250514-v1:0 }",
        ["bedrock-nova"] = "{ provider: aws, model: us.amazon.nova-pro-v1:0 }",
        ["vertex-sonnet4"] = "{ provider: gcp, model: claude-sonnet-4@20250514 }",
        ["vertex-sonnet45"] = "{ provider: gcp, model: claude-sonnet-4-5@20250929 }",
        ["vertex-gemini-pro"] = "{ provider: gcp, model: gemini-2.5-pro }",
        ["vertex-gemini-flash"] = "{ provider: gcp, model: gemini-2.5-flash }",
        ["anthropic-sonnet45"] = "{ provider: claude, model: claude-sonnet-4-5-20250929 }",
        ["anthropic-haiku3"] = "{ provider: claude, model: claude-3-haiku-20240307 }",
        ["gemini-pro"] = "{ provider: google, model: gemini-2.5-pro }",
    };

    private readonly string dataDir = Path.Combine(Path.GetTempPath(), "switchyard-model-rules-" + Guid.NewGuid().ToString("N"));

    public FakeBedrockUpstream Bedrock { get; private set; } = null!;

    public FakeVertexUpstream Vertex { get; private set; } = null!;

    public FakeGoogleTokenEndpoint Tokens { get; private set; } = null!;

    public FakeAnthropicUpstream Anthropic { get; private set; } = null!;

    public FakeGeminiUpstream Gemini { get; private set; } = null!;

    public GatewayApp Gateway { get; private set; } = null!;

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    public async Task InitializeAsync()
    {
        Bedrock = await FakeBedrockUpstream.StartAsync(Aws);
        Tokens = await FakeGoogleTokenEndpoint.StartAsync();
        Vertex = await FakeVertexUpstream.StartAsync();
        Vertex.AcceptToken = Tokens.IsValid;
        Anthropic = await FakeAnthropicUpstream.StartAsync();
        Gemini = await FakeGeminiUpstream.StartAsync();
        var env = new Dictionary<string, string>
        {
            ["AWS_KEY"] = Aws.AccessKeyId,
            ["AWS_SECRET"] = Aws.SecretAccessKey,
            ["VERTEX_SA_JSON"] = TestServiceAccount.Shared.Json(),
            ["FAKE_ANTHROPIC_KEY"] = "fake-anthropic-key",
            ["FAKE_GEMINI_KEY"] = "fake-gemini-key",
            ["SWITCHYARD_MASTER_KEY"] = ClientKey,
        };
        Gateway = await GatewayApp.StartAsync(new GatewayStartOptions
        {
            ConfigYaml = Yaml(),
            Urls = "http://127.0.0.1:0",
            DataDirectory = dataDir,
            Environment = name => env.GetValueOrDefault(name),
            ConsoleLogging = false,
        });
    }

    private string Yaml()
    {
        var yaml = new StringBuilder($$"""
            providers:
              aws:
                kind: bedrock
                base_url: {{Bedrock.BaseUrl}}
                settings: { region: us-east-1, access_key_id_env: AWS_KEY, secret_access_key_env: AWS_SECRET }
              gcp:
                kind: vertex
                base_url: {{Vertex.BaseUrl}}
                settings: { project: p, location: us-east5, credentials_env: VERTEX_SA_JSON, token_url: "{{Tokens.TokenUrl}}" }
              claude: { kind: anthropic, base_url: "{{Anthropic.BaseUrl}}", api_key_env: FAKE_ANTHROPIC_KEY }
              google: { preset: gemini, base_url: "{{Gemini.BaseUrl}}", api_key_env: FAKE_GEMINI_KEY }
            deployments:

            """);
        foreach (var (name, body) in Deployments)
        {
            yaml.AppendLine($"  {name}: {body}");
        }

        yaml.AppendLine("models:");
        foreach (var name in Deployments.Keys)
        {
            yaml.AppendLine($"  s-{name}: {{ deployments: [{name}], retry: {{ max_retries: 0 }} }}");
            yaml.AppendLine($"  a-{name}: {{ deployments: [{name}], retry: {{ max_retries: 0 }}, drop_unsupported_params: true }}");
        }

        return yaml.ToString();
    }

    /// <summary>How many requests all four fakes have received.</summary>
    public int UpstreamCount => Bedrock.Requests.Count + Vertex.Requests.Count + Anthropic.Requests.Count + Gemini.Requests.Count;

    /// <summary>The body the last upstream call for <paramref name="deployment"/> carried.</summary>
    public JsonNode LastUpstreamBody(string deployment) => deployment.Split('-')[0] switch
    {
        "bedrock" => Bedrock.Requests[^1].Json!,
        "vertex" => Vertex.Requests[^1].Json!,
        "anthropic" => JsonNode.Parse(Anthropic.Requests[^1].Body)!,
        _ => Gemini.Requests[^1].Json!,
    };

    /// <summary>POSTs <paramref name="body"/> in the OpenAI Chat (<c>openai</c>) or Anthropic Messages (<c>anthropic</c>) format.</summary>
    /// <summary>The usage record of <paramref name="requestId"/>, once written (bounded wait).</summary>
    public async Task<UsageRecord> RecordAsync(string requestId)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            await Gateway.FlushUsageAsync(deadline.Token);
            if (Gateway.Usage.Store.ReadRecent(1000).FirstOrDefault(r => r.RequestId == requestId) is { } record)
            {
                return record;
            }

            await Task.Delay(10, deadline.Token);
        }
    }

    public async Task<(int Status, JsonNode? Body, HttpResponseHeaders Headers)> SendAsync(string format, JsonObject body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(Gateway.BaseAddress, format == "openai" ? "/v1/chat/completions" : "/v1/messages"))
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ClientKey);
        request.Headers.Add("anthropic-version", "2023-06-01");
        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text), response.Headers);
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await Gateway.DisposeAsync();
        await Bedrock.DisposeAsync();
        await Vertex.DisposeAsync();
        await Tokens.DisposeAsync();
        await Anthropic.DisposeAsync();
        await Gemini.DisposeAsync();
        try
        {
            Directory.Delete(dataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
