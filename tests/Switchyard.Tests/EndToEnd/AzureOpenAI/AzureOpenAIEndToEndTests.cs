using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net.Http.Headers;
using System.Text;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Embeddings;
using Switchyard.Hosting;
using Switchyard.Tests.TestKit;

namespace Switchyard.Tests.EndToEnd.AzureOpenAI;

/// <summary>
/// The official OpenAI .NET SDK → the gateway → the TestKit's fake OpenAI upstream standing in for an Azure
/// OpenAI resource. OpenAI clients pass through untranslated: only the URL and the key header change.
/// </summary>
public sealed class AzureOpenAIEndToEndTests : IAsyncLifetime
{
    private const string AzureKey = "azure-test-key-123";

    private FakeOpenAIUpstream azure = null!;
    private GatewayApp gateway = null!;
    private string dataDir = null!;

    public async Task InitializeAsync()
    {
        azure = await FakeOpenAIUpstream.StartAsync();
        dataDir = Directory.CreateTempSubdirectory("switchyard-azure-e2e-").FullName;
        var resource = azure.BaseUrl.GetLeftPart(UriPartial.Authority); // the fake's root plays https://{resource}.openai.azure.com
        gateway = await GatewayApp.StartAsync(new GatewayStartOptions
        {
            ConfigYaml = $$"""
                providers:
                  azure:
                    kind: azure-openai
                    base_url: {{resource}}
                    api_key_env: AZURE_OPENAI_API_KEY
                  azure-v1:
                    kind: azure-openai
                    base_url: {{resource}}/openai/v1
                    api_key_env: AZURE_OPENAI_API_KEY
                    settings: { api_style: v1 }
                deployments:
                  gpt4o-azure: { provider: azure, model: my-gpt4o-deployment }
                  gpt4o-azure-v1: { provider: azure-v1, model: gpt-4o }
                  embed-azure: { provider: azure, model: my-embedding-deployment }
                models:
                  azure-gpt4o: gpt4o-azure
                  azure-gpt4o-v1: gpt4o-azure-v1
                  azure-embed: embed-azure
                """,
            Urls = "http://127.0.0.1:0",
            DataDirectory = dataDir,
            Environment = name => name == "AZURE_OPENAI_API_KEY" ? AzureKey : null,
            ConsoleLogging = false,
        });
    }

    public async Task DisposeAsync()
    {
        await gateway.DisposeAsync();
        await azure.DisposeAsync();
        Directory.Delete(dataDir, recursive: true);
    }

    [Fact]
    public async Task NonStreaming_DeploymentsStyle_UsesTheDeploymentUrlVersionAndKey()
    {
        azure.Enqueue(UpstreamBehavior.Text("Hello from Azure", usage: new FakeUsage(12, 4)));

        ChatCompletion completion = await Chat("azure-gpt4o").CompleteChatAsync([new UserChatMessage("hi")]);

        Assert.Equal("Hello from Azure", completion.Content[0].Text);
        Assert.Equal(12, completion.Usage.InputTokenCount);
        var request = Assert.Single(azure.Requests);
        Assert.Equal("/openai/deployments/my-gpt4o-deployment/chat/completions", request.Path);
        Assert.Equal("?api-version=2024-10-21", request.QueryString);
        Assert.Equal(AzureKey, request.Header("api-key"));
        Assert.Null(request.Authorization); // the gateway's client key never reaches Azure, and no bearer is invented
    }

    [Fact]
    public async Task Passthrough_KeepsTheBodyIntact_ButTheModel()
    {
        const string body = """{"model":"azure-gpt4o","messages":[{"role":"user","content":"exact bytes ü"}],"temperature":0.25,"logit_bias":{"50256":-100},"metadata":{"k":"v"}}""";
        using var http = new HttpClient { BaseAddress = gateway.BaseAddress };
        using var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        using var response = await http.PostAsync("/v1/chat/completions", content);

        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        Assert.Equal(body.Replace("\"azure-gpt4o\"", "\"my-gpt4o-deployment\"", StringComparison.Ordinal), Assert.Single(azure.Requests).Body);
    }

    [Fact]
    public async Task Streaming_V1Style_UsesTheV1PathWithTheModelInTheBody()
    {
        azure.Enqueue(UpstreamBehavior.Text("Streaming from Azure v1", chunks: 4, usage: new FakeUsage(8, 5)));

        var text = new StringBuilder();
        ChatTokenUsage? usage = null;
        await foreach (var update in Chat("azure-gpt4o-v1").CompleteChatStreamingAsync([new UserChatMessage("stream")]))
        {
            text.Append(string.Concat(update.ContentUpdate.Select(p => p.Text)));
            usage ??= update.Usage;
        }

        Assert.Equal("Streaming from Azure v1", text.ToString());
        Assert.Equal(5, usage!.OutputTokenCount);
        var request = Assert.Single(azure.Requests);
        Assert.Equal("/openai/v1/chat/completions", request.Path);
        Assert.Equal("", request.QueryString);
        Assert.Equal("gpt-4o", request.Model);
        Assert.True(request.IsStream);
        Assert.Equal(AzureKey, request.Header("api-key"));
    }

    [Fact]
    public async Task Streaming_DeploymentsStyle()
    {
        azure.Enqueue(UpstreamBehavior.Text("chunked deployment answer", chunks: 3));

        var text = new StringBuilder();
        await foreach (var update in Chat("azure-gpt4o").CompleteChatStreamingAsync([new UserChatMessage("stream")]))
        {
            text.Append(string.Concat(update.ContentUpdate.Select(p => p.Text)));
        }

        Assert.Equal("chunked deployment answer", text.ToString());
        Assert.Equal("/openai/deployments/my-gpt4o-deployment/chat/completions", Assert.Single(azure.Requests).Path);
    }

    [Fact]
    public async Task Embeddings_UseTheDeploymentsEmbeddingsUrl()
    {
        var client = new EmbeddingClient("azure-embed", new ApiKeyCredential("unused"), Options());

        OpenAIEmbedding embedding = await client.GenerateEmbeddingAsync("hello");

        Assert.NotEmpty(embedding.ToFloats().ToArray());
        var request = Assert.Single(azure.Requests);
        Assert.Equal("/openai/deployments/my-embedding-deployment/embeddings", request.Path);
        Assert.Equal("?api-version=2024-10-21", request.QueryString);
    }

    [Fact]
    public async Task ContentFilter_IsRelayedAsAzureSaidIt_AndNotRetried()
    {
        azure.Enqueue(UpstreamBehavior.Error(400, "The response was filtered due to the prompt triggering Azure OpenAI's content management policy.",
            "invalid_request_error", "prompt", "content_filter"));

        var error = await Assert.ThrowsAsync<ClientResultException>(() => Chat("azure-gpt4o").CompleteChatAsync([new UserChatMessage("something filtered")]));

        Assert.Equal(400, error.Status);
        Assert.Contains("content_filter", error.GetRawResponse()!.Content.ToString(), StringComparison.Ordinal);
        Assert.Equal(1, azure.RequestCount);
    }

    private ChatClient Chat(string alias) => new(alias, new ApiKeyCredential("unused"), Options());

    private OpenAIClientOptions Options() => new()
    {
        Endpoint = new Uri(gateway.BaseAddress, "/v1"),
        RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
        NetworkTimeout = TimeSpan.FromSeconds(30),
    };
}
