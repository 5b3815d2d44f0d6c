using System.Net.Http.Headers;
using System.Text.Json;

namespace Switchyard.Providers.Bedrock;

/// <summary>
/// Bedrock error answers → <see cref="UpstreamFailure"/>. Bedrock names the error in the
/// <c>x-amzn-ErrorType</c> header (<c>ValidationException:http://internal.amazon.com/…</c>) and explains it in
/// a JSON body <c>{"message": "…"}</c>; the type refines what the status alone says.
/// </summary>
public static class BedrockErrors
{
    /// <summary>Phrases of a ValidationException that mean the prompt does not fit the model's context window.</summary>
    private static readonly string[] ContextPhrases =
    [
        "input is too long", "too many input tokens", "prompt is too long", "context window", "context length",
        "maximum context", "too many tokens",
    ];

    /// <summary>Phrases of a ValidationException that mean the model lacks a feature the request uses.</summary>
    private static readonly string[] UnsupportedPhrases = ["doesn't support", "does not support", "not supported"];

    /// <summary>Phrases of a ValidationException that mean a content policy blocked the request.</summary>
    private static readonly string[] PolicyPhrases = ["content filtering policy", "blocked by content filtering"];

    /// <summary>
    /// Classifies an error answer of deployment <paramref name="deployment"/>. <paramref name="missingCredentials"/>
    /// names the unset credential variable when the request went out unsigned, so that the inevitable 403 says why.
    /// </summary>
    public static UpstreamFailure Classify(int status, byte[]? body, HttpResponseHeaders headers, string deployment,
        string? missingCredentials, DateTimeOffset now)
    {
        var type = ErrorType(headers) ?? Field(body, "__type")?.Split('#')[^1];
        var message = Field(body, "message") ?? Field(body, "Message") ?? "";
        var lower = message.ToLowerInvariant();
        var kind = type switch
        {
            "ThrottlingException" or "ServiceQuotaExceededException" => FailureKind.RateLimited,
            "ModelNotReadyException" => FailureKind.Transient,
            "ModelTimeoutException" => FailureKind.Timeout,
            "ModelErrorException" or "ModelStreamErrorException" or "InternalServerException" or "ServiceUnavailableException" => FailureKind.ServerError,
            "AccessDeniedException" or "UnrecognizedClientException" or "InvalidSignatureException" or "ExpiredTokenException"
                or "IncompleteSignatureException" or "MissingAuthenticationTokenException" => FailureKind.Auth,
            "ValidationException" when ContextPhrases.Any(lower.Contains) => FailureKind.ContextWindow,
            "ValidationException" when PolicyPhrases.Any(lower.Contains) => FailureKind.ContentPolicy,
            "ValidationException" when UnsupportedPhrases.Any(lower.Contains) => FailureKind.UnsupportedCapability,
            _ when status == 413 => FailureKind.ContextWindow,
            _ => FailureClassifier.FromStatus(status),
        };

        var what = type is null ? $"HTTP {status}" : $"HTTP {status} {type}";
        var text = kind switch
        {
            FailureKind.Auth when missingCredentials is not null =>
                $"deployment '{deployment}' has no AWS credentials (environment variable {missingCredentials} is not set) and returned {what}",
            // The client sees only this message for an unsupported capability, so Bedrock's reason goes in it.
            FailureKind.UnsupportedCapability => $"deployment '{deployment}' returned {what}: {message}",
            _ => $"deployment '{deployment}' returned {what}",
        };
        return new UpstreamFailure(kind, text, status, RetryAfter.Parse(headers, now), body);
    }

    /// <summary>The error type from <c>x-amzn-ErrorType</c>, without the namespace suffix.</summary>
    public static string? ErrorType(HttpResponseHeaders headers) =>
        headers.TryGetValues("x-amzn-ErrorType", out var values) && values.FirstOrDefault() is { Length: > 0 } raw
            ? raw.Split(':')[0].Trim()
            : null;

    private static string? Field(byte[]? body, string name)
    {
        if (body is not { Length: > 0 })
        {
            return null;
        }

        try
        {
            using var doc = JsonDocument.Parse(body);
            return BedrockResponseReader.Str(doc.RootElement, name);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
