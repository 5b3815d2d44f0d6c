using System.Text;
using Switchyard.Dispatch;
using Switchyard.Providers.Bedrock;

namespace Switchyard.Tests.Providers.Bedrock;

public sealed class BedrockErrorsTests
{
    [Theory]
    [InlineData(429, "ThrottlingException", "Too many requests", FailureKind.RateLimited)]
    [InlineData(400, "ServiceQuotaExceededException", "quota", FailureKind.RateLimited)]
    [InlineData(400, "ValidationException", "Input is too long for requested model.", FailureKind.ContextWindow)]
    [InlineData(400, "ValidationException", "prompt is too long: 210000 tokens > 200000 maximum", FailureKind.ContextWindow)]
    [InlineData(400, "ValidationException", "This model doesn't support tool use.", FailureKind.UnsupportedCapability)]
    [InlineData(400, "ValidationException", "Malformed input request", FailureKind.ClientError)]
    [InlineData(403, "AccessDeniedException", "You don't have access to the model", FailureKind.Auth)]
    [InlineData(404, "ResourceNotFoundException", "Model not found", FailureKind.ClientError)]
    [InlineData(408, "ModelTimeoutException", "timed out", FailureKind.Timeout)]
    [InlineData(424, "ModelErrorException", "model error", FailureKind.ServerError)]
    [InlineData(429, "ModelNotReadyException", "not ready", FailureKind.Transient)]
    [InlineData(500, "InternalServerException", "oops", FailureKind.ServerError)]
    [InlineData(503, "ServiceUnavailableException", "busy", FailureKind.ServerError)]
    [InlineData(502, null, "bad gateway", FailureKind.ServerError)]
    public void Classify(int status, string? type, string message, FailureKind expected)
    {
        using var response = new HttpResponseMessage();
        if (type is not null)
        {
            response.Headers.TryAddWithoutValidation("x-amzn-ErrorType", type + ":http://internal.amazon.com/coral/com.amazon.bedrock/");
        }

        var failure = BedrockErrors.Classify(status, Encoding.UTF8.GetBytes($$"""{"message":"{{message}}"}"""), response.Headers, "d", null, DateTimeOffset.UnixEpoch);

        Assert.Equal(expected, failure.Kind);
        Assert.Equal(status, failure.Status);
    }

    [Fact]
    public void MissingCredentials_AreNamedInTheAuthFailure()
    {
        using var response = new HttpResponseMessage();
        var failure = BedrockErrors.Classify(403, """{"message":"Missing Authentication Token"}"""u8.ToArray(), response.Headers, "d", "AWS_ACCESS_KEY_ID", DateTimeOffset.UnixEpoch);

        Assert.Equal(FailureKind.Auth, failure.Kind);
        Assert.Contains("environment variable AWS_ACCESS_KEY_ID is not set", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RetryAfter_IsHonoured()
    {
        using var response = new HttpResponseMessage();
        response.Headers.TryAddWithoutValidation("Retry-After", "3");

        Assert.Equal(TimeSpan.FromSeconds(3), BedrockErrors.Classify(429, null, response.Headers, "d", null, DateTimeOffset.UnixEpoch).RetryAfter);
    }
}
