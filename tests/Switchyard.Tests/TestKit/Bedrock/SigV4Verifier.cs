using System.Security.Cryptography;
using System.Text;
using Switchyard.Providers.Bedrock;

namespace Switchyard.Tests.TestKit.Bedrock;

/// <summary>
/// Checks a SigV4 <c>Authorization</c> header the way AWS does: rebuilds the canonical request from what
/// arrived on the wire (raw request target, headers, body) and recomputes the signature. Written apart from
/// the gateway's signer so that a shared mistake cannot hide.
/// </summary>
public static class SigV4Verifier
{
    /// <summary>Null when the request is validly signed by <paramref name="credentials"/>; otherwise what is wrong.</summary>
    public static string? Verify(string method, string rawTarget, IReadOnlyDictionary<string, string> headers, byte[] body,
        AwsCredentials credentials, string region, string service)
    {
        string? Header(string name) => headers.TryGetValue(name, out var v) ? v : null;
        if (Header("Authorization") is not { } authorization || !authorization.StartsWith("AWS4-HMAC-SHA256 ", StringComparison.Ordinal))
        {
            return "missing or non-SigV4 Authorization header";
        }

        var fields = authorization["AWS4-HMAC-SHA256 ".Length..].Split(',', StringSplitOptions.TrimEntries)
            .Select(p => p.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
        if (!fields.TryGetValue("Credential", out var credential) || !fields.TryGetValue("SignedHeaders", out var signedHeaders)
            || !fields.TryGetValue("Signature", out var signature))
        {
            return "Authorization lacks Credential, SignedHeaders or Signature";
        }

        var scope = credential.Split('/');
        if (scope.Length != 5 || scope[0] != credentials.AccessKeyId || scope[2] != region || scope[3] != service || scope[4] != "aws4_request")
        {
            return $"unexpected credential scope '{credential}'";
        }

        if (Header("x-amz-date") is not { Length: 16 } amzDate || !amzDate.StartsWith(scope[1], StringComparison.Ordinal))
        {
            return "x-amz-date missing or not matching the credential scope date";
        }

        var bodyHash = Convert.ToHexString(SHA256.HashData(body)).ToLowerInvariant();
        if (Header("x-amz-content-sha256") is { } declared && declared != bodyHash)
        {
            return "x-amz-content-sha256 does not match the body";
        }

        var signed = signedHeaders.Split(';');
        var required = headers.Keys.Where(k => k.StartsWith("x-amz-", StringComparison.OrdinalIgnoreCase)).Select(k => k.ToLowerInvariant()).Append("host");
        if (required.FirstOrDefault(r => !signed.Contains(r)) is { } unsigned)
        {
            return $"header '{unsigned}' is present but not signed";
        }

        if (credentials.SessionToken is { } token && Header("x-amz-security-token") != token)
        {
            return "x-amz-security-token missing or wrong";
        }

        var queryAt = rawTarget.IndexOf('?', StringComparison.Ordinal);
        var path = queryAt < 0 ? rawTarget : rawTarget[..queryAt];
        var query = queryAt < 0 ? "" : rawTarget[(queryAt + 1)..];
        var canonical = new StringBuilder()
            .Append(method).Append('\n')
            .Append(string.Join('/', path.Split('/').Select(Uri.EscapeDataString))).Append('\n')
            .Append(string.Join('&', query.Split('&', StringSplitOptions.RemoveEmptyEntries)
                .Select(p => p.Split('=', 2)).Select(p => (K: Uri.EscapeDataString(Uri.UnescapeDataString(p[0])), V: Uri.EscapeDataString(Uri.UnescapeDataString(p.Length > 1 ? p[1] : ""))))
                .OrderBy(p => p.K, StringComparer.Ordinal).ThenBy(p => p.V, StringComparer.Ordinal).Select(p => p.K + "=" + p.V))).Append('\n');
        foreach (var name in signed)
        {
            canonical.Append(name).Append(':').Append(string.Join(' ', (Header(name) ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries))).Append('\n');
        }

        canonical.Append('\n').Append(signedHeaders).Append('\n').Append(Header("x-amz-content-sha256") ?? bodyHash);
        var stringToSign = $"AWS4-HMAC-SHA256\n{amzDate}\n{string.Join('/', scope[1..])}\n{Hex(SHA256.HashData(Encoding.UTF8.GetBytes(canonical.ToString())))}";
        var key = Encoding.UTF8.GetBytes("AWS4" + credentials.SecretAccessKey);
        foreach (var part in new[] { scope[1], region, service, "aws4_request" })
        {
            key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(part));
        }

        var expected = Hex(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(stringToSign)));
        return expected == signature ? null : "signature mismatch";
    }

    private static string Hex(byte[] bytes) => Convert.ToHexString(bytes).ToLowerInvariant();
}
