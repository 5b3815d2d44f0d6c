using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Switchyard.Canonical;
using Switchyard.Configuration;
using Switchyard.Dispatch;
using Switchyard.Providers;
using Switchyard.Providers.Gemini;
using Switchyard.Providers.Vertex;
using static Switchyard.Tests.Providers.Vertex.VertexTestDeployments;

namespace Switchyard.Tests.Providers.Vertex;

/// <summary>URLs, bodies, response mapping and error classification; no credentials, so nothing is minted.</summary>
public sealed class VertexAdapterTests
{
    private const string Root = "/v1/projects/test-project/locations/us-east5/publishers/";

    private readonly VertexAdapter adapter = new(new FakeTimeProvider(), Env());

    [Theory]
    [InlineData(GeminiModel, null, false, Root + "google/models/gemini-2.5-flash:generateContent", "")]
    [InlineData(GeminiModel, null, true, Root + "google/models/gemini-2.5-flash:streamGenerateContent", "?alt=sse")]
    [InlineData(ClaudeModel, null, false, Root + "anthropic/models/claude-sonnet-4@20250514:rawPredict", "")]
    [InlineData(ClaudeModel, null, true, Root + "anthropic/models/claude-sonnet-4@20250514:streamRawPredict", "")]
    [InlineData("my-distilled-model", "anthropic", false, Root + "anthropic/models/my-distilled-model:rawPredict", "")]
    [InlineData("claude-lookalike", "google", false, Root + "google/models/claude-lookalike:generateContent", "")]
    [InlineData("endpoints/1234567890", null, false, "/v1/projects/test-project/locations/us-east5/endpoints/1234567890:generateContent", "")]
    [InlineData("projects/other/locations/europe-west4/publishers/anthropic/models/claude-opus-4-1@20250805", null, true,
        "/v1/projects/other/locations/europe-west4/publishers/anthropic/models/claude-opus-4-1@20250805:streamRawPredict", "")]
    public void Urls_FollowThePublisher(string model, string? publisher, bool stream, string path, string query)
    {
        var settings = publisher is null ? Settings() : Settings(("publisher", publisher));
        using var message = adapter.BuildRequest(Hello(stream), Deployment(model, Provider(settings)), false).Message;

        Assert.Equal("us-east5-aiplatform.googleapis.com", message.RequestUri!.Host);
        Assert.Equal(path, message.RequestUri.AbsolutePath);
        Assert.Equal(query, message.RequestUri.Query);
    }

    [Theory]
    [InlineData("https://aiplatform.googleapis.com", "global", "https://aiplatform.googleapis.com/v1/projects/test-project/locations/global/")]
    [InlineData("https://vertex.internal.example/v1/", "us-central1", "https://vertex.internal.example/v1/projects/test-project/locations/us-central1/")]
    [InlineData("http://127.0.0.1:8080", "my region", "http://127.0.0.1:8080/v1/projects/test-project/locations/my%20region/")]
    public void Urls_KeepTheBaseAndEscapeTheSegments(string baseUrl, string location, string prefix)
    {
        var provider = Provider(new() { ["project"] = "test-project", ["location"] = location }, baseUrl);
        using var message = adapter.BuildRequest(Hello(), Deployment(GeminiModel, provider), false).Message;

        Assert.Equal(prefix + "publishers/google/models/gemini-2.5-flash:generateContent", message.RequestUri!.AbsoluteUri);
    }

    [Fact]
    public async Task ClaudeBody_IsAnthropicsWithoutModel_AndWithTheVertexVersion()
    {
        using var message = adapter.BuildRequest(Hello(stream: true), Deployment(ClaudeModel), false).Message;
        var body = JsonNode.Parse(await message.Content!.ReadAsStringAsync())!.AsObject();

        Assert.Equal("anthropic_version", body.First().Key);
        Assert.Equal("vertex-2023-10-16", (string?)body["anthropic_version"]);
        Assert.False(body.ContainsKey("model"));
        Assert.Equal(4096, (int)body["max_tokens"]!);
        Assert.True((bool)body["stream"]!);
        Assert.Equal("""{"role":"user","content":"hello"}""", body["messages"]![0]!.ToJsonString());
        Assert.False(message.Headers.Contains("anthropic-version")); // the body carries it on Vertex
        Assert.Equal("application/json", message.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task GeminiBody_IsByteForByteTheGeminiApisBody()
    {
        var request = Hello();
        request.Temperature = 0.3;
        request.MaxTokens = 77;
        var aiStudio = DeploymentTarget(GeminiProvider.KindName, "https://generativelanguage.googleapis.com/v1beta");

        using var vertex = adapter.BuildRequest(request, Deployment(GeminiModel), false).Message;
        using var gemini = new GeminiAdapter().BuildRequest(request, aiStudio, false).Message;

        Assert.Equal(await gemini.Content!.ReadAsStringAsync(), await vertex.Content!.ReadAsStringAsync());
        Assert.False(vertex.Headers.Contains("x-goog-api-key"));
    }

    [Fact]
    public void UnsupportedFields_AreRefusedOrDroppedAsByTheAnthropicWriter()
    {
        var request = Hello();
        request.Seed = 7;

        Assert.Throws<UnsupportedFeatureException>(() => adapter.BuildRequest(request, Deployment(ClaudeModel), allowDrop: false));
        var built = adapter.BuildRequest(request, Deployment(ClaudeModel), allowDrop: true);
        built.Message.Dispose();
        Assert.Equal(["seed"], built.Dropped);
    }

    [Fact]
    public void ProviderHeaders_AndAStaticKey_AreSent_AndNothingIsMinted()
    {
        var provider = Provider(Settings(("token_url", "http://127.0.0.1:1/token")), apiKey: "ya29.from-elsewhere", headers: [new("X-Team", "search")]);
        var deployment = Deployment(ClaudeModel, provider);

        using var message = adapter.BuildRequest(Hello(), deployment, false).Message;

        Assert.Equal("Bearer ya29.from-elsewhere", message.Headers.Authorization!.ToString());
        Assert.Equal("search", message.Headers.GetValues("X-Team").Single());
        Assert.Null(adapter.Target(deployment).Tokens);
    }

    [Fact]
    public void WithoutCredentials_TheRequestGoesUnsigned_AndA401IsAnAuthFailureNamingTheVariable()
    {
        var deployment = Deployment(GeminiModel);

        using var message = adapter.BuildRequest(Hello(), deployment, false).Message;
        Assert.Null(message.Headers.Authorization);

        var failure = Classify(401, """{"error":{"code":401,"message":"Request is missing required authentication credential.","status":"UNAUTHENTICATED"}}""", deployment);
        Assert.Equal(FailureKind.Auth, failure.Kind);
        Assert.Contains("no Vertex access token: environment variable GOOGLE_APPLICATION_CREDENTIALS is not set", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CredentialsFromAMissingFile_AreReportedByPath()
    {
        var missing = Path.Combine(Path.GetTempPath(), "switchyard-no-such-key-" + Guid.NewGuid().ToString("N") + ".json");
        var withFile = new VertexAdapter(new FakeTimeProvider(), Env(("TEAM_SA_FILE", missing)));
        var deployment = Deployment(GeminiModel, Provider(Settings(("credentials_file_env", "TEAM_SA_FILE"))));

        Assert.Equal($"cannot read the service-account key file '{missing}' named by TEAM_SA_FILE: it does not exist",
            withFile.Target(deployment).CredentialsProblem);
    }

    [Fact]
    public void ClaudesOwnErrors_AreReadInAnthropicsEnvelope()
    {
        var deployment = Deployment(ClaudeModel);

        Assert.Equal(FailureKind.ServerError, Classify(529, """{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}""", deployment).Kind);
        Assert.Equal(FailureKind.ContextWindow, Classify(400,
            """{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 215337 tokens > 200000 maximum"}}""", deployment).Kind);
    }

    [Fact]
    public void VertexErrors_AreReadInGooglesEnvelope_ForBothPublishers()
    {
        const string quota = """
            {"error":{"code":429,"message":"Quota exceeded for aiplatform.googleapis.com/online_prediction_requests_per_base_model.","status":"RESOURCE_EXHAUSTED",
             "details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"7s"}]}}
            """;
        foreach (var model in new[] { GeminiModel, ClaudeModel })
        {
            var failure = Classify(429, quota, Deployment(model));
            Assert.Equal(FailureKind.RateLimited, failure.Kind);
            Assert.Equal(TimeSpan.FromSeconds(7), failure.RetryAfter);
        }

        var denied = Classify(403, """{"error":{"code":403,"message":"Permission 'aiplatform.endpoints.predict' denied","status":"PERMISSION_DENIED"}}""",
            Deployment(GeminiModel, Provider(apiKey: "ya29.static")));
        Assert.Equal(FailureKind.Auth, denied.Kind);
        Assert.DoesNotContain("no Vertex access token", denied.Message, StringComparison.Ordinal); // a token was sent
    }

    [Fact]
    public void Answers_AreParsedByThePublishersTranslators()
    {
        var claude = adapter.ParseResponse("""
            {"id":"msg_vrtx_01","type":"message","role":"assistant","model":"claude-sonnet-4-20250514","content":[{"type":"text","text":"Hi from Claude"}],
             "stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":5,"output_tokens":3}}
            """u8, Deployment(ClaudeModel));
        var gemini = adapter.ParseResponse("""
            {"candidates":[{"content":{"role":"model","parts":[{"text":"Hi from Gemini"}]},"finishReason":"STOP"}],
             "usageMetadata":{"promptTokenCount":4,"candidatesTokenCount":2,"totalTokenCount":6},"modelVersion":"gemini-2.5-flash","createTime":"2025-06-01T08:00:00Z","responseId":"r1"}
            """u8, Deployment(GeminiModel));

        Assert.Equal("Hi from Claude", ((TextPart)claude.Content[0]).Text);
        Assert.Equal(3, claude.Usage.OutputTokens);
        Assert.Equal("Hi from Gemini", ((TextPart)gemini.Content[0]).Text);
        Assert.IsType<Switchyard.Providers.Anthropic.AnthropicStreamDecoder>(adapter.CreateStreamDecoder(Deployment(ClaudeModel)));
        Assert.IsType<GeminiStreamDecoder>(adapter.CreateStreamDecoder(Deployment(GeminiModel)));
    }

    [Fact]
    public void Passthrough_IsNotSupported_AndTheRegistryKnowsTheKind()
    {
        using var message = new HttpRequestMessage();
        Assert.Throws<NotSupportedException>(() => adapter.PreparePassthrough(message, Deployment(ClaudeModel), Operation.ChatCompletions, false));
        Assert.Equal("vertex", adapter.Protocol);
        Assert.IsType<VertexAdapter>(ProviderRegistry.CreateDefault().Adapter(VertexProvider.KindName));
    }

    private UpstreamFailure Classify(int status, string body, DeploymentTarget deployment)
    {
        using var response = new HttpResponseMessage();
        return adapter.ClassifyError(status, System.Text.Encoding.UTF8.GetBytes(body), response.Headers, deployment);
    }

    private static DeploymentTarget DeploymentTarget(string kind, string baseUrl) =>
        Core.DeploymentTarget.Create(new DeploymentConfig("g", new ProviderConfig("g", kind, "gemini", new Uri(baseUrl), "k", [], Timeouts.Default),
            GeminiModel, Timeouts.Default));
}
