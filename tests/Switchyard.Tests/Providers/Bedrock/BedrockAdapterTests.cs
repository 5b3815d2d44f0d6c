using System.Net.Http.Headers;
using Switchyard.Canonical;
using Switchyard.Dispatch;
using Switchyard.Providers.Bedrock;
using Switchyard.Tests.TestKit.Bedrock;
using static Switchyard.Tests.Providers.Bedrock.BedrockTestDeployments;

namespace Switchyard.Tests.Providers.Bedrock;

public sealed class BedrockAdapterTests
{
    [Fact]
    public async Task BuildRequest_SignsWithTheInjectedClockAndVerifies()
    {
        var adapter = Adapter();
        var built = adapter.BuildRequest(Hello(stream: true), Deployment(), allowDrop: false);
        using var message = built.Message;

        Assert.Equal("/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse-stream", message.RequestUri!.AbsolutePath);
        Assert.Equal("20150830T123600Z", message.Headers.GetValues("x-amz-date").Single());
        Assert.Equal("application/vnd.amazon.eventstream", message.Headers.Accept.Single().MediaType);
        var headers = message.Headers.ToDictionary(h => h.Key, h => string.Join(",", h.Value), StringComparer.OrdinalIgnoreCase);
        headers["Host"] = message.RequestUri.Authority;
        Assert.Null(SigV4Verifier.Verify("POST", message.RequestUri.PathAndQuery, headers, await message.Content!.ReadAsByteArrayAsync(),
            ExampleCredentials, "us-east-1", "bedrock"));
    }

    [Fact]
    public void CredentialVariables_ComeFromTheSettings_WithTheSessionToken()
    {
        var adapter = Adapter(new Dictionary<string, string> { ["TEAM_AK"] = "AKIATEAM", ["TEAM_SK"] = "team-secret", ["TEAM_ST"] = "team-token" });
        var deployment = Deployment(settings: new() { ["region"] = "eu-west-3", ["access_key_id_env"] = "TEAM_AK", ["secret_access_key_env"] = "TEAM_SK", ["session_token_env"] = "TEAM_ST" });

        using var message = adapter.BuildRequest(Hello(), deployment, false).Message;

        Assert.Equal("team-token", message.Headers.GetValues("x-amz-security-token").Single());
        Assert.Contains("Credential=AKIATEAM/20150830/eu-west-3/bedrock/aws4_request", message.Headers.GetValues("Authorization").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public void ApiKey_IsSentAsBearer_WithoutSigning()
    {
        using var message = Adapter().BuildRequest(Hello(), Deployment(apiKey: "bedrock-api-key"), false).Message;

        Assert.Equal(new AuthenticationHeaderValue("Bearer", "bedrock-api-key"), message.Headers.Authorization);
        Assert.False(message.Headers.Contains("x-amz-date"));
    }

    [Fact]
    public void MissingCredentials_SendUnsigned_AndTheFailureNamesTheVariable()
    {
        var adapter = Adapter(new Dictionary<string, string>());
        var deployment = Deployment();

        using var message = adapter.BuildRequest(Hello(), deployment, false).Message;
        Assert.False(message.Headers.Contains("Authorization"));

        using var response = new HttpResponseMessage();
        var failure = adapter.ClassifyError(403, """{"message":"Missing Authentication Token"}"""u8.ToArray(), response.Headers, deployment);
        Assert.Equal(FailureKind.Auth, failure.Kind);
        Assert.Contains("AWS_ACCESS_KEY_ID", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(ExampleCredentials.SecretAccessKey, failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ArnModelIds_AreOnePathSegment()
    {
        const string arn = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123";
        using var message = Adapter().BuildRequest(Hello(), Deployment(arn), false).Message;

        Assert.Equal("/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Aapplication-inference-profile%2Fabc123/converse", message.RequestUri!.AbsolutePath);
    }

    [Theory]
    [InlineData("bedrock-runtime.eu-central-1.amazonaws.com", "eu-central-1")]
    [InlineData("bedrock-runtime-fips.us-west-2.amazonaws.com", "us-west-2")]
    [InlineData("vpce-0abc.bedrock-runtime.ap-south-1.vpce.amazonaws.com", "ap-south-1")]
    [InlineData("127.0.0.1", null)]
    public void Region_FollowsTheHost_WhenNotSet(string host, string? region) =>
        Assert.Equal(region, BedrockTarget.RegionFromHost(host));

    [Fact]
    public void ProviderHeaders_AreSent()
    {
        using var message = Adapter().BuildRequest(Hello(), Deployment(headers: [new("X-Team", "search")]), false).Message;
        Assert.Equal("search", message.Headers.GetValues("X-Team").Single());
    }

    [Fact]
    public void Passthrough_IsNotSupported()
    {
        using var message = new HttpRequestMessage();
        Assert.Throws<NotSupportedException>(() => Adapter().PreparePassthrough(message, Deployment(), Operation.ChatCompletions, false));
        Assert.Equal("bedrock-converse", Adapter().Protocol);
    }

    private static ChatRequest Hello(bool stream = false)
    {
        var request = new ChatRequest { Model = "alias", Stream = stream };
        var message = new Message(Role.User);
        message.Content.Add(new TextPart("hello"));
        request.Messages.Add(message);
        return request;
    }
}
