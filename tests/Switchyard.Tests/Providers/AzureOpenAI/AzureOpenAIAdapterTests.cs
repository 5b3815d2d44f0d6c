using System.Text.Json.Nodes;
using Switchyard.Canonical;
using Switchyard.Configuration;
using Switchyard.Dispatch;
using Switchyard.Ingress;
using Switchyard.Providers.Bedrock;
using Switchyard.Providers;
using Switchyard.Providers.AzureOpenAI;
using Switchyard.Routing;

namespace Switchyard.Tests.Providers.AzureOpenAI;

public sealed class AzureOpenAIAdapterTests
{
    private readonly AzureOpenAIAdapter adapter = new();

    [Theory]
    [InlineData("https://contoso.openai.azure.com", null, null, Operation.ChatCompletions,
        "https://contoso.openai.azure.com/openai/deployments/gpt-4o-prod/chat/completions?api-version=2024-10-21")]
    [InlineData("https://contoso.openai.azure.com/openai/", "2025-04-01-preview", null, Operation.Embeddings,
        "https://contoso.openai.azure.com/openai/deployments/gpt-4o-prod/embeddings?api-version=2025-04-01-preview")]
    [InlineData("https://contoso.openai.azure.com", null, "v1", Operation.ChatCompletions,
        "https://contoso.openai.azure.com/openai/v1/chat/completions")]
    [InlineData("https://contoso.openai.azure.com/openai/v1", "preview", "v1", Operation.Embeddings,
        "https://contoso.openai.azure.com/openai/v1/embeddings?api-version=preview")]
    [InlineData("https://contoso.openai.azure.com", null, null, Operation.Files, // files and batches belong to the resource, not a deployment
        "https://contoso.openai.azure.com/openai/files?api-version=2024-10-21")]
    [InlineData("https://contoso.openai.azure.com", null, null, Operation.Batches,
        "https://contoso.openai.azure.com/openai/batches?api-version=2024-10-21")]
    [InlineData("https://contoso.openai.azure.com", null, "v1", Operation.Files,
        "https://contoso.openai.azure.com/openai/v1/files")]
    public void PreparePassthrough_PointsAtTheAzureUrl(string baseUrl, string? apiVersion, string? style, Operation operation, string expected)
    {
        var settings = new Dictionary<string, string>();
        if (apiVersion is not null)
        {
            settings["api_version"] = apiVersion;
        }

        if (style is not null)
        {
            settings["api_style"] = style;
        }

        using var message = new HttpRequestMessage(HttpMethod.Post, (Uri?)null);
        adapter.PreparePassthrough(message, Deployment(baseUrl, settings), operation, stream: false);

        Assert.Equal(expected, message.RequestUri!.AbsoluteUri);
    }

    [Fact]
    public void FileCall_KeepsTheApiVersion_AfterItsPathSuffix()
    {
        using var message = new HttpRequestMessage(HttpMethod.Get, (Uri?)null);
        adapter.PreparePassthrough(message, Deployment(), Operation.Files, stream: false);

        var uri = Switchyard.Batches.ProviderObjects.WithSuffix(message.RequestUri!, "/file-abc/content", null);

        Assert.Equal("https://contoso.openai.azure.com/openai/files/file-abc/content?api-version=2024-10-21", uri.AbsoluteUri);
    }

    [Fact]
    public void Authentication_IsTheApiKeyHeader_NeverABearerToken()
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, (Uri?)null);
        adapter.PreparePassthrough(message, Deployment(headers: [new("x-ms-client-request-id", "abc")]), Operation.ChatCompletions, true);

        Assert.Equal("azure-key", message.Headers.GetValues("api-key").Single());
        Assert.Null(message.Headers.Authorization);
        Assert.Equal("abc", message.Headers.GetValues("x-ms-client-request-id").Single());
    }

    [Fact]
    public async Task BuildRequest_ReusesTheOpenAIWriter_AtTheAzureUrl()
    {
        var request = new ChatRequest { Model = "alias", MaxTokens = 10 };
        var user = new Message(Role.User);
        user.Content.Add(new TextPart("hi"));
        request.Messages.Add(user);

        using var message = adapter.BuildRequest(request, Deployment(), allowDrop: false).Message;

        Assert.Equal("/openai/deployments/gpt-4o-prod/chat/completions", message.RequestUri!.AbsolutePath);
        Assert.Equal("azure-key", message.Headers.GetValues("api-key").Single());
        var body = JsonNode.Parse(await message.Content!.ReadAsStringAsync())!;
        Assert.Equal("gpt-4o-prod", (string)body["model"]!);
        Assert.Equal(10, (int)body["max_completion_tokens"]!);
    }

    [Theory]
    [InlineData(400, """{"error":{"code":"content_filter","message":"The response was filtered due to the prompt triggering Azure OpenAI's content management policy.","param":"prompt","status":400,"innererror":{"code":"ResponsibleAIPolicyViolation"}}}""", FailureKind.ContentPolicy)]
    [InlineData(400, """{"error":{"code":"context_length_exceeded","message":"This model's maximum context length is 128000 tokens."}}""", FailureKind.ContextWindow)]
    [InlineData(429, """{"error":{"code":"429","message":"Requests to the ChatCompletions_Create Operation have exceeded call rate limit."}}""", FailureKind.RateLimited)]
    [InlineData(401, """{"error":{"code":"401","message":"Access denied due to invalid subscription key."}}""", FailureKind.Auth)]
    public void ClassifyError_CoversAzuresErrors(int status, string body, FailureKind expected)
    {
        using var response = new HttpResponseMessage();
        response.Headers.TryAddWithoutValidation("retry-after-ms", "1500");

        var failure = adapter.ClassifyError(status, System.Text.Encoding.UTF8.GetBytes(body), response.Headers, Deployment());

        Assert.Equal(expected, failure.Kind);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), failure.RetryAfter);
    }

    [Fact]
    public void Registry_RegistersBothNewKinds()
    {
        var registry = ProviderRegistry.CreateDefault();

        Assert.IsType<AzureOpenAIAdapter>(registry.Adapter(AzureOpenAIProvider.KindName));
        Assert.Equal("openai", registry.Adapter(AzureOpenAIProvider.KindName)!.Protocol); // OpenAI clients pass through
        Assert.Equal("bedrock-converse", registry.Adapter(BedrockProvider.KindName)!.Protocol);
    }

    private static DeploymentTarget Deployment(string baseUrl = "https://contoso.openai.azure.com", Dictionary<string, string>? settings = null,
        IReadOnlyList<KeyValuePair<string, string>>? headers = null)
    {
        var provider = new ProviderConfig("azure", AzureOpenAIProvider.KindName, "azure-openai", new Uri(baseUrl), "azure-key", headers ?? [], Timeouts.Default)
        {
            Settings = settings ?? [],
        };
        return DeploymentTarget.Create(new DeploymentConfig("azure-gpt4o", provider, "gpt-4o-prod", Timeouts.Default));
    }
}
