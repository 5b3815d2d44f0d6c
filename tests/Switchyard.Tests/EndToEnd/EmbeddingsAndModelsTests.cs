using System.ClientModel;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using OpenAI.Chat;
using OpenAI.Embeddings;
using OpenAI.Models;
using Switchyard.Tests.TestKit;

namespace Switchyard.Tests.EndToEnd;

/// <summary>Embeddings, the models listing, and the built-in offline echo model, through the OpenAI SDK.</summary>
public sealed class EmbeddingsAndModelsTests
{
    /// <summary>Keys only: no provider, no deployment. The built-in echo model is all there is.</summary>
    private const string EchoOnlyYaml = """
        auth:
          keys:
            - { id: app, hash: {{APP_HASH}} }
        """;

    [Fact]
    public async Task GenerateEmbeddings_ViaSdk_ReturnsVectorsFromRewrittenModel()
    {
        await using var h = await GatewayHarness.StartAsync();
        var client = new EmbeddingClient("embed", new ApiKeyCredential(GatewayHarness.ClientKey), h.SdkOptions());

        ClientResult<OpenAIEmbeddingCollection> result = await client.GenerateEmbeddingsAsync(["first text", "second text"]);

        var embeddings = result.Value;
        Assert.Equal(2, embeddings.Count);
        Assert.Equal([0, 1], embeddings.Select(e => e.Index));
        Assert.All(embeddings, e => Assert.Equal(EmbeddingsBehavior.DefaultDimensions, e.ToFloats().Length));
        Assert.NotEqual(embeddings[0].ToFloats().ToArray(), embeddings[1].ToFloats().ToArray());
        Assert.Equal(8, embeddings.Usage.InputTokenCount);

        var upstream = Assert.Single(h.A.RequestsTo(UpstreamEndpoint.Embeddings));
        Assert.Equal("text-embedding-3-small", upstream.Model);
        Assert.Equal(GatewayHarness.ProviderKey, upstream.BearerToken);
        Assert.Equal(["first text", "second text"], upstream.Json!["input"]!.AsArray().Select(Wire.StringOf));

        Assert.True(result.GetRawResponse().Headers.TryGetValue("x-request-id", out var requestId));
        var record = await h.UsageAsync(requestId!);
        Assert.Equal("embeddings", record.Operation);
        Assert.Equal("embed", record.Alias);
        Assert.Equal("emb-a", record.FinalDeployment);
        Assert.Equal(8, record.PromptTokens);
    }

    [Fact]
    public async Task GenerateEmbedding_WithDimensions_PassesThroughToUpstream()
    {
        await using var h = await GatewayHarness.StartAsync();
        var client = new EmbeddingClient("embed", new ApiKeyCredential(GatewayHarness.ClientKey), h.SdkOptions());

        OpenAIEmbedding embedding = await client.GenerateEmbeddingAsync("shorter", new EmbeddingGenerationOptions { Dimensions = 4 });

        Assert.Equal(4, embedding.ToFloats().Length);
        Assert.Equal(4, h.A.LastRequest!.Json!["dimensions"]!.GetValue<int>());
    }

    [Fact]
    public async Task GetModels_ViaSdk_ListsEveryAliasAndTheEchoModel()
    {
        await using var h = await GatewayHarness.StartAsync();
        var client = new OpenAIModelClient(new ApiKeyCredential(GatewayHarness.ClientKey), h.SdkOptions());

        OpenAIModelCollection models = await client.GetModelsAsync();

        Assert.Equal(["chat", "embed", "only-b", "solo", "switchyard/echo"], models.Select(m => m.Id).Order(StringComparer.Ordinal));
        Assert.All(models, m => Assert.Equal("switchyard", m.OwnedBy));
        Assert.Equal(0, h.A.RequestCount); // the listing is the gateway's own, not an upstream's
    }

    [Fact]
    public async Task GetModel_ViaSdkWithSlashInId_ReturnsTheModel()
    {
        await using var h = await GatewayHarness.StartAsync();
        var client = new OpenAIModelClient(new ApiKeyCredential(GatewayHarness.ClientKey), h.SdkOptions());

        // The SDK escapes the id as one path segment: GET /v1/models/switchyard%2Fecho.
        OpenAIModel model = await client.GetModelAsync("switchyard/echo");

        Assert.Equal("switchyard/echo", model.Id);
        Assert.Equal("switchyard", model.OwnedBy);
    }

    [Fact]
    public async Task GetModel_RawWithSlashInId_ReturnsTheModel()
    {
        await using var h = await GatewayHarness.StartAsync();

        using var request = new HttpRequestMessage(HttpMethod.Get, h.Url("/v1/models/switchyard/echo"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", GatewayHarness.ClientKey);
        using var response = await h.SendAsync(request);

        Assert.Equal(200, (int)response.StatusCode);
        var json = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("switchyard/echo", Wire.StringOf(json["id"]));
        Assert.Equal("model", Wire.StringOf(json["object"]));
    }

    [Fact]
    public async Task GetModel_UnknownId_Returns404ModelNotFound()
    {
        await using var h = await GatewayHarness.StartAsync();

        using var request = new HttpRequestMessage(HttpMethod.Get, h.Url("/v1/models/gpt-7-ultra"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", GatewayHarness.ClientKey);
        using var response = await h.SendAsync(request);

        await Wire.AssertOpenAIErrorAsync(response, 404, code: "model_not_found", param: "model");
    }

    [Fact]
    public async Task CompleteChat_EchoModelWithoutAnyUpstream_EchoesLastUserMessage()
    {
        await using var h = await GatewayHarness.StartAsync(EchoOnlyYaml, fakes: 0);

        ChatCompletion completion = await h.Chat("switchyard/echo").CompleteChatAsync(
            [new SystemChatMessage("ignored"), new UserChatMessage("first"), new AssistantChatMessage("meh"), new UserChatMessage("echo me, ünïcode 🎈")]);

        Assert.Equal("echo me, ünïcode 🎈", Assert.Single(completion.Content).Text);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.True(completion.Usage.TotalTokenCount > 0);
        var record = await h.SingleUsageAsync();
        Assert.Equal("switchyard-echo", record.FinalDeployment);
        Assert.Equal("echo", record.FinalModel);
    }

    [Fact]
    public async Task CompleteChatStreaming_EchoModelWithoutAnyUpstream_StreamsLastUserMessage()
    {
        await using var h = await GatewayHarness.StartAsync(EchoOnlyYaml, fakes: 0);

        var text = new StringBuilder();
        ChatTokenUsage? usage = null;
        await foreach (var update in h.Chat("switchyard/echo").CompleteChatStreamingAsync([new UserChatMessage("stream these few words back 🎈")]))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }

            usage ??= update.Usage;
        }

        Assert.Equal("stream these few words back 🎈", text.ToString());
        Assert.NotNull(usage);
        var record = await h.SingleUsageAsync();
        Assert.True(record.Stream);
        Assert.Equal(usage.TotalTokenCount, record.TotalTokens);
    }

    [Fact]
    public async Task CompleteChat_EmbeddedDefaultsWithoutConfig_ServeEchoInOpenMode()
    {
        await using var h = await GatewayHarness.StartAsync(yaml: null, fakes: 0);

        ChatCompletion completion = await h.Chat("switchyard/echo", key: "any-key-open-mode").CompleteChatAsync([new UserChatMessage("hello")]);

        Assert.Equal("hello", Assert.Single(completion.Content).Text);
        Assert.Equal("anonymous", (await h.SingleUsageAsync()).KeyId);
    }

    [Fact]
    public async Task GenerateEmbedding_EchoModelViaSdk_ReturnsDeterministicVector()
    {
        await using var h = await GatewayHarness.StartAsync(EchoOnlyYaml, fakes: 0);
        var client = new EmbeddingClient("switchyard/echo", new ApiKeyCredential(GatewayHarness.ClientKey), h.SdkOptions());

        OpenAIEmbedding first = await client.GenerateEmbeddingAsync("same text");
        OpenAIEmbedding second = await client.GenerateEmbeddingAsync("same text");

        Assert.Equal(8, first.ToFloats().Length);
        Assert.Equal(first.ToFloats().ToArray(), second.ToFloats().ToArray());
    }

    [Theory]
    [InlineData("/v1/models")]
    [InlineData("/v1/models/chat")]
    [InlineData("/v1/models/no-such-model")]
    [InlineData("/v1/no-such-endpoint")]
    public async Task GetV1Endpoint_AnyResponse_CarriesRequestId(string path)
    {
        // README: "Every response carries x-request-id".
        await using var h = await GatewayHarness.StartAsync();

        using var request = new HttpRequestMessage(HttpMethod.Get, h.Url(path));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", GatewayHarness.ClientKey);
        using var response = await h.SendAsync(request);

        Assert.False(string.IsNullOrEmpty(Wire.Header(response, "x-request-id")), $"GET {path} ({(int)response.StatusCode}) has no x-request-id");
    }
}
