using System.Security.Cryptography;
using System.Text;
using Switchyard.Providers.Bedrock;
using Switchyard.Tests.TestKit.Bedrock;
using static Switchyard.Tests.Providers.Bedrock.BedrockTestDeployments;

namespace Switchyard.Tests.Providers.Bedrock;

/// <summary>
/// SigV4 against AWS's published Signature Version 4 test suite (credentials AKIDEXAMPLE /
/// wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, us-east-1, service "service", 20150830T123600Z), then a
/// Bedrock-shaped request whose model id needs the double path encoding.
/// </summary>
public sealed class SigV4SignerTests
{
    private static readonly KeyValuePair<string, string>[] SuiteHeaders = [new("X-Amz-Date", "20150830T123600Z")];

    [Fact]
    public void GetVanilla_MatchesTheTestSuite()
    {
        var canonical = SigV4Signer.CanonicalRequest("GET", new Uri("https://example.amazonaws.com/"), SuiteHeaders, SigV4Signer.EmptyPayloadHash, out var signed);

        Assert.Equal("GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" + SigV4Signer.EmptyPayloadHash, canonical);
        Assert.Equal("bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63", Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical))));
        Assert.Equal("host;x-amz-date", signed);
        Assert.Equal(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, "
            + "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
            SigV4Signer.Authorization("GET", new Uri("https://example.amazonaws.com/"), SuiteHeaders, SigV4Signer.EmptyPayloadHash,
                ExampleCredentials, "us-east-1", "service", SigningTime));
    }

    [Fact]
    public void PostVanilla_MatchesTheTestSuite() =>
        Assert.EndsWith("Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
            SigV4Signer.Authorization("POST", new Uri("https://example.amazonaws.com/"), SuiteHeaders, SigV4Signer.EmptyPayloadHash,
                ExampleCredentials, "us-east-1", "service", SigningTime));

    [Fact]
    public void GetVanillaQueryOrderKeyCase_SortsTheQuery() =>
        Assert.EndsWith("Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
            SigV4Signer.Authorization("GET", new Uri("https://example.amazonaws.com/?Param2=value2&Param1=value1"), SuiteHeaders,
                SigV4Signer.EmptyPayloadHash, ExampleCredentials, "us-east-1", "service", SigningTime));

    [Theory]
    [InlineData("/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse", "/model/anthropic.claude-3-5-sonnet-20240620-v1%253A0/converse")]
    [InlineData("/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A1%3Ainference-profile%2Fus.x-v1%3A0/converse-stream",
        "/model/arn%253Aaws%253Abedrock%253Aus-east-1%253A1%253Ainference-profile%252Fus.x-v1%253A0/converse-stream")]
    [InlineData("/", "/")]
    [InlineData("/a b~c", "/a%20b~c")]
    public void CanonicalUri_EncodesEverySegmentAgain(string escapedPath, string expected) =>
        Assert.Equal(expected, SigV4Signer.CanonicalUri(escapedPath));

    [Fact]
    public void BedrockRequest_CanonicalRequestDoubleEncodesTheModelIdAndSignsTheAmzHeaders()
    {
        var body = """{"messages":[{"role":"user","content":[{"text":"hi"}]}]}"""u8.ToArray();
        using var message = new HttpRequestMessage(HttpMethod.Post,
            "https://bedrock-runtime.us-east-1.amazonaws.com/model/" + Uri.EscapeDataString(ClaudeModel) + "/converse");
        var credentials = ExampleCredentials with { SessionToken = "session-token-example" };

        SigV4Signer.Sign(message, body, credentials, "us-east-1", "bedrock", SigningTime);

        var hash = Convert.ToHexStringLower(SHA256.HashData(body));
        var headers = message.Headers.Where(h => h.Key.StartsWith("x-amz-", StringComparison.Ordinal))
            .Select(h => new KeyValuePair<string, string>(h.Key, h.Value.Single())).ToList();
        var canonical = SigV4Signer.CanonicalRequest("POST", message.RequestUri!, headers, hash, out var signed);
        Assert.Equal(
            "POST\n/model/anthropic.claude-3-5-sonnet-20240620-v1%253A0/converse\n\n"
            + "host:bedrock-runtime.us-east-1.amazonaws.com\n"
            + $"x-amz-content-sha256:{hash}\n"
            + "x-amz-date:20150830T123600Z\n"
            + "x-amz-security-token:session-token-example\n"
            + "\nhost;x-amz-content-sha256;x-amz-date;x-amz-security-token\n" + hash,
            canonical);

        var authorization = message.Headers.GetValues("Authorization").Single();
        Assert.StartsWith($"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/bedrock/aws4_request, SignedHeaders={signed}, Signature=", authorization);

        // An independent verifier, working from the request as it would arrive, agrees.
        var arrived = message.Headers.ToDictionary(h => h.Key, h => h.Value.Single(), StringComparer.OrdinalIgnoreCase);
        arrived["Host"] = "bedrock-runtime.us-east-1.amazonaws.com";
        Assert.Null(SigV4Verifier.Verify("POST", message.RequestUri!.PathAndQuery, arrived, body, credentials, "us-east-1", "bedrock"));
        Assert.Equal("signature mismatch", SigV4Verifier.Verify("POST", message.RequestUri!.PathAndQuery, arrived, body,
            credentials with { SecretAccessKey = "another-secret" }, "us-east-1", "bedrock"));
        Assert.Equal("x-amz-content-sha256 does not match the body", SigV4Verifier.Verify("POST", message.RequestUri!.PathAndQuery, arrived,
            [.. body, (byte)' '], credentials, "us-east-1", "bedrock"));
    }

    [Fact]
    public void NonDefaultPort_IsPartOfTheSignedHost()
    {
        var canonical = SigV4Signer.CanonicalRequest("POST", new Uri("http://127.0.0.1:5123/model/x/converse"), SuiteHeaders, SigV4Signer.EmptyPayloadHash, out _);
        Assert.Contains("\nhost:127.0.0.1:5123\n", canonical, StringComparison.Ordinal);
    }

    [Fact]
    public void Credentials_NeverPrintTheSecret() =>
        Assert.DoesNotContain(ExampleCredentials.SecretAccessKey, ExampleCredentials.ToString(), StringComparison.Ordinal);
}
