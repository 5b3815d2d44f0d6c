using System.ClientModel;
using System.Net.Http.Headers;
using System.Text;
using OpenAI.Chat;

namespace Switchyard.Tests.EndToEnd;

/// <summary>Requests the gateway refuses itself: right status, OpenAI error shape, and no upstream call.</summary>
public sealed class BadInputTests
{
    private const string SmallBodyYaml = """
        server:
          max_body_size: 1KiB

        """ + GatewayHarness.DefaultYaml;

    [Fact]
    public async Task PostChat_MalformedJson_Returns400()
    {
        await using var h = await GatewayHarness.StartAsync();

        using var response = await h.PostChatAsync("{\"model\":\"chat\",\"messages\":[{\"role\":\"user\",");

        await Wire.AssertOpenAIErrorAsync(response, 400, code: "invalid_json", type: "invalid_request_error");
        AssertNoUpstreamCall(h);
    }

    [Fact]
    public async Task PostChat_TrailingGarbageAfterJson_Returns400()
    {
        await using var h = await GatewayHarness.StartAsync();

        using var response = await h.PostChatAsync(Wire.ChatJson() + "{}");

        await Wire.AssertOpenAIErrorAsync(response, 400, code: "invalid_json");
        AssertNoUpstreamCall(h);
    }

    [Fact]
    public async Task PostChat_WrongContentType_Returns415()
    {
        await using var h = await GatewayHarness.StartAsync();

        using var response = await h.SendAsync(h.Post("/v1/chat/completions", Wire.ChatJson(), contentType: "text/plain"));

        await Wire.AssertOpenAIErrorAsync(response, 415, code: "unsupported_media_type");
        AssertNoUpstreamCall(h);
    }

    [Fact]
    public async Task PostChat_MissingModel_Returns400NamingModel()
    {
        await using var h = await GatewayHarness.StartAsync();

        using var response = await h.PostChatAsync("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");

        await Wire.AssertOpenAIErrorAsync(response, 400, code: "missing_required_parameter", param: "model");
        AssertNoUpstreamCall(h);
    }

    [Fact]
    public async Task PostChat_UnknownModel_Returns404ModelNotFound()
    {
        await using var h = await GatewayHarness.StartAsync();

        using var response = await h.PostChatAsync(Wire.ChatJson("gpt-7-ultra"));

        var error = await Wire.AssertOpenAIErrorAsync(response, 404, code: "model_not_found", param: "model");
        Assert.Contains("gpt-7-ultra", Wire.StringOf(error["message"]));
        AssertNoUpstreamCall(h);
    }

    [Fact]
    public async Task CompleteChat_UnknownModelViaSdk_ThrowsClientResultException404()
    {
        await using var h = await GatewayHarness.StartAsync();

        var ex = await Assert.ThrowsAsync<ClientResultException>(() => h.Chat("gpt-7-ultra").CompleteChatAsync([new UserChatMessage("hi")]));

        Assert.Equal(404, ex.Status);
        Assert.Contains("model_not_found", ex.Message);
        AssertNoUpstreamCall(h);
    }

    [Fact]
    public async Task PostChat_MissingKey_Returns401()
    {
        await using var h = await GatewayHarness.StartAsync();

        using var response = await h.PostChatAsync(Wire.ChatJson(), key: null);

        await Wire.AssertOpenAIErrorAsync(response, 401, code: "missing_api_key");
        AssertNoUpstreamCall(h);
    }

    [Fact]
    public async Task PostChat_WrongKey_Returns401()
    {
        await using var h = await GatewayHarness.StartAsync();

        using var response = await h.PostChatAsync(Wire.ChatJson(), key: "sk-not-a-real-key");

        await Wire.AssertOpenAIErrorAsync(response, 401, code: "invalid_api_key");
        AssertNoUpstreamCall(h);
    }

    [Fact]
    public async Task CompleteChat_WrongKeyViaSdk_ThrowsClientResultException401()
    {
        await using var h = await GatewayHarness.StartAsync();

        var ex = await Assert.ThrowsAsync<ClientResultException>(() => h.Chat("chat", key: "sk-wrong").CompleteChatAsync([new UserChatMessage("hi")]));

        Assert.Equal(401, ex.Status);
        AssertNoUpstreamCall(h);
    }

    [Fact]
    public async Task PostChat_BodyOverLimitWithContentLength_Returns413()
    {
        await using var h = await GatewayHarness.StartAsync(SmallBodyYaml);

        using var request = h.Post("/v1/chat/completions", Wire.ChatJson(content: new string('x', 64 * 1024)));
        Assert.NotNull(request.Content!.Headers.ContentLength);
        using var response = await h.SendAsync(request);

        await Wire.AssertOpenAIErrorAsync(response, 413, code: "request_too_large");
        AssertNoUpstreamCall(h);
    }

    [Fact]
    public async Task PostChat_BodyOverLimitChunked_Returns413()
    {
        await using var h = await GatewayHarness.StartAsync(SmallBodyYaml);

        using var request = new HttpRequestMessage(HttpMethod.Post, h.Url("/v1/chat/completions"))
        {
            Content = new Wire.ChunkedContent(Encoding.UTF8.GetBytes(Wire.ChatJson(content: new string('x', 64 * 1024)))),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", GatewayHarness.ClientKey);
        using var response = await h.SendAsync(request);

        Assert.Null(request.Content.Headers.ContentLength);
        await Wire.AssertOpenAIErrorAsync(response, 413, code: "request_too_large");
        AssertNoUpstreamCall(h);
    }

    [Fact]
    public async Task PostChat_BodyUnderLimitChunked_IsServed()
    {
        await using var h = await GatewayHarness.StartAsync(SmallBodyYaml);

        using var request = new HttpRequestMessage(HttpMethod.Post, h.Url("/v1/chat/completions"))
        {
            Content = new Wire.ChunkedContent(Encoding.UTF8.GetBytes(Wire.ChatJson(content: new string('y', 600)))),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", GatewayHarness.ClientKey);
        using var response = await h.SendAsync(request);
        await response.Content.ReadAsStringAsync();

        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal(new string('y', 600), Wire.StringOf(Assert.Single(h.A.Requests).Json!["messages"]![0]!["content"]));
    }

    [Theory]
    [InlineData("{\"model\":\"chat\",\"messages\":\"hello\"}", "messages")]
    [InlineData("{\"model\":\"chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":\"yes\"}", "stream")]
    [InlineData("{\"model\":42,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", "model")]
    [InlineData("{\"model\":\"chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":\"100\"}", "max_tokens")]
    [InlineData("{\"model\":\"chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"temperature\":\"hot\"}", "temperature")]
    [InlineData("{\"model\":\"chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":true,\"stream_options\":{\"include_usage\":\"yes\"}}", "stream_options.include_usage")]
    public async Task PostChat_WrongFieldType_Returns400NamingTheField(string body, string field)
    {
        await using var h = await GatewayHarness.StartAsync();

        using var response = await h.PostChatAsync(body);

        var error = await Wire.AssertOpenAIErrorAsync(response, 400, code: "invalid_type", param: field, type: "invalid_request_error");
        Assert.Contains($"'{field}'", Wire.StringOf(error["message"]));
        AssertNoUpstreamCall(h);
    }

    [Fact]
    public async Task PostEmbeddings_MissingInput_Returns400NamingInput()
    {
        await using var h = await GatewayHarness.StartAsync();

        using var response = await h.SendAsync(h.Post("/v1/embeddings", "{\"model\":\"embed\"}"));

        await Wire.AssertOpenAIErrorAsync(response, 400, code: "missing_required_parameter", param: "input");
        AssertNoUpstreamCall(h);
    }

    [Fact]
    public async Task GetUnknownV1Path_Returns404InOpenAIShape()
    {
        await using var h = await GatewayHarness.StartAsync();

        using var response = await h.SendAsync(h.Post("/v1/completions", Wire.ChatJson()));

        await Wire.AssertOpenAIErrorAsync(response, 404, code: "unknown_url");
        AssertNoUpstreamCall(h);
    }

    private static void AssertNoUpstreamCall(GatewayHarness h)
    {
        Assert.Equal(0, h.A.RequestCount);
        Assert.Equal(0, h.B.RequestCount);
    }
}
