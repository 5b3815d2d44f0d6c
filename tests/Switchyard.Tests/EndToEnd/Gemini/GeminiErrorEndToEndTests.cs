using System.Net;
using System.Text.Json.Nodes;

namespace Switchyard.Tests.EndToEnd.Gemini;

/// <summary>Refusals on the <c>/v1beta</c> routes come in Google's envelope, with Google's status names.</summary>
[Collection(GeminiGatewayCollection.Name)]
public sealed class GeminiErrorEndToEndTests(GeminiGatewayFixture f)
{
    private const string Body = """{"contents": [{"parts": [{"text": "hi"}]}]}""";

    [Theory]
    [InlineData(null, 401, "UNAUTHENTICATED")]
    [InlineData("wrong-key", 401, "UNAUTHENTICATED")]
    public async Task BadKey_Unauthenticated(string? key, int status, string googleStatus)
    {
        using var response = await f.PostAsync("/v1beta/models/gpt-via-gemini-api:generateContent", Body, key);
        await AssertGoogleError(response, status, googleStatus);
    }

    [Fact]
    public async Task UnknownModel_NotFound()
    {
        using var response = await f.PostAsync("/v1beta/models/no-such-model:generateContent", Body);
        var error = await AssertGoogleError(response, 404, "NOT_FOUND");
        Assert.Contains("no-such-model", (string?)error["message"]);
    }

    [Theory]
    [InlineData("""{"contents": [""", "invalid JSON")]
    [InlineData("""{"contents": "hi"}""", "contents")]
    [InlineData("""{"generationConfig": {}}""", "contents is not specified")]
    [InlineData("""{"contents": [], "frobnicate": 1}""", "Unknown name \"frobnicate\"")]
    [InlineData("""{"contents": [{"parts": [{"inlineData": {"mimeType": "audio/mp3", "data": "SUQz"}}]}]}""", "audio/mp3")]
    public async Task BadBody_InvalidArgument(string body, string mention)
    {
        using var response = await f.PostAsync("/v1beta/models/gpt-via-gemini-api:generateContent", body);
        var error = await AssertGoogleError(response, 400, "INVALID_ARGUMENT");
        Assert.Contains(mention, (string?)error["message"], StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task StreamWithoutAltSse_IsRefusedClearly()
    {
        using var response = await f.PostAsync("/v1beta/models/gpt-via-gemini-api:streamGenerateContent", Body);
        var error = await AssertGoogleError(response, 400, "INVALID_ARGUMENT");
        Assert.Contains("alt=sse", (string?)error["message"]);
    }

    [Fact]
    public async Task UnservedMethodAndUrl_NotFound()
    {
        using var method = await f.PostAsync("/v1beta/models/gpt-via-gemini-api:countTokens", Body);
        await AssertGoogleError(method, 404, "NOT_FOUND");

        using var list = await f.Http.GetAsync(f.Url("/v1beta/models"));
        await AssertGoogleError(list, 404, "NOT_FOUND");
    }

    [Fact]
    public async Task GeminiUpstreamRateLimit_ReachesOpenAIClientWithRetryAfter()
    {
        f.Gemini.Enqueue(TestKit.Gemini.GeminiReply.RateLimited(TimeSpan.FromSeconds(17)));
        using var request = new HttpRequestMessage(HttpMethod.Post, f.Url("/v1/chat/completions"))
        {
            Content = new StringContent("""{"model": "flash-strict", "messages": [{"role": "user", "content": "hi"}]}""", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new("Bearer", GeminiGatewayFixture.ClientKey);

        using var response = await f.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(17), response.Headers.RetryAfter?.Delta);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;
        Assert.Equal("rate_limit_exceeded", (string?)error["code"]);
    }

    private static async Task<JsonNode> AssertGoogleError(HttpResponseMessage response, int status, string googleStatus)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"HTTP {(int)response.StatusCode}: {text}");
        var error = JsonNode.Parse(text)!["error"]!;
        Assert.Equal(status, (int)error["code"]!);
        Assert.Equal(googleStatus, (string?)error["status"]);
        Assert.False(string.IsNullOrEmpty((string?)error["message"]));
        return error;
    }
}
