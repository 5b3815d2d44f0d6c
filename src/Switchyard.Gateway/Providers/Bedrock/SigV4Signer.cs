using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Switchyard.Providers.Bedrock;

/// <summary>AWS credentials. The secret and session token are secrets: this type never prints them.</summary>
public sealed record AwsCredentials(string AccessKeyId, string SecretAccessKey, string? SessionToken = null)
{
    /// <inheritdoc />
    public override string ToString() => $"AwsCredentials({AccessKeyId}, secret: ***)";
}

/// <summary>
/// AWS Signature Version 4 (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv.html): canonical
/// request → string to sign → HMAC chain of the secret over date, region, service → signature. Kept apart from
/// the Converse translators because it is not one: it needs a clock and secrets. The time is a parameter, so
/// the same inputs always give the same header (tests use AWS's published vectors).
/// </summary>
public static class SigV4Signer
{
    /// <summary>The signing algorithm name.</summary>
    public const string Algorithm = "AWS4-HMAC-SHA256";

    /// <summary>SHA-256 of an empty payload, hex.</summary>
    public const string EmptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    /// <summary>
    /// Signs <paramref name="message"/> in place: sets <c>x-amz-date</c>, <c>x-amz-content-sha256</c>,
    /// <c>x-amz-security-token</c> (temporary credentials) and <c>Authorization</c>. Signs <c>host</c> and every
    /// <c>x-amz-*</c> header present, as AWS requires; other headers (content type, provider extras) are left
    /// unsigned so a proxy normalising them cannot break the signature.
    /// </summary>
    public static void Sign(HttpRequestMessage message, ReadOnlySpan<byte> payload, AwsCredentials credentials,
        string region, string service, DateTimeOffset now)
    {
        var uri = message.RequestUri ?? throw new InvalidOperationException("the request has no URI to sign");
        var amzDate = AmzDate(now);
        var payloadHash = Convert.ToHexStringLower(SHA256.HashData(payload));
        message.Headers.Remove("x-amz-date");
        message.Headers.Remove("x-amz-content-sha256");
        message.Headers.Remove("x-amz-security-token");
        message.Headers.TryAddWithoutValidation("x-amz-date", amzDate);
        message.Headers.TryAddWithoutValidation("x-amz-content-sha256", payloadHash);
        if (credentials.SessionToken is { Length: > 0 } token)
        {
            message.Headers.TryAddWithoutValidation("x-amz-security-token", token);
        }

        var headers = new List<KeyValuePair<string, string>>();
        foreach (var (name, values) in message.Headers)
        {
            if (name.StartsWith("x-amz-", StringComparison.OrdinalIgnoreCase))
            {
                headers.Add(new(name, string.Join(",", values)));
            }
        }

        var authorization = Authorization(message.Method.Method, uri, headers, payloadHash, credentials, region, service, now);
        message.Headers.TryAddWithoutValidation("Authorization", authorization);
    }

    /// <summary>
    /// The <c>Authorization</c> header value for a request to <paramref name="uri"/>. <paramref name="headers"/>
    /// are the headers to sign besides <c>host</c> (taken from the URI) and must include <c>x-amz-date</c>.
    /// </summary>
    public static string Authorization(string method, Uri uri, IReadOnlyList<KeyValuePair<string, string>> headers,
        string payloadHash, AwsCredentials credentials, string region, string service, DateTimeOffset now)
    {
        var canonical = CanonicalRequest(method, uri, headers, payloadHash, out var signedHeaders);
        var date = now.UtcDateTime.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        var scope = $"{date}/{region}/{service}/aws4_request";
        var stringToSign = $"{Algorithm}\n{AmzDate(now)}\n{scope}\n{Hex(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))}";
        var signature = Hex(HMACSHA256.HashData(SigningKey(credentials.SecretAccessKey, date, region, service), Encoding.UTF8.GetBytes(stringToSign)));
        return $"{Algorithm} Credential={credentials.AccessKeyId}/{scope}, SignedHeaders={signedHeaders}, Signature={signature}";
    }

    /// <summary>
    /// The canonical request: method, canonical URI, canonical query, canonical headers, signed headers,
    /// payload hash — one per line. <paramref name="signedHeaders"/> is the <c>;</c>-joined header list.
    /// </summary>
    public static string CanonicalRequest(string method, Uri uri, IReadOnlyList<KeyValuePair<string, string>> headers,
        string payloadHash, out string signedHeaders)
    {
        var all = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["host"] = uri.IsDefaultPort ? uri.IdnHost : $"{uri.IdnHost}:{uri.Port.ToString(CultureInfo.InvariantCulture)}",
        };
        foreach (var (name, value) in headers)
        {
            var key = name.ToLowerInvariant();
            var trimmed = CollapseSpaces(value);
            all[key] = all.TryGetValue(key, out var existing) ? existing + "," + trimmed : trimmed;
        }

        var builder = new StringBuilder(256);
        builder.Append(method).Append('\n');
        builder.Append(CanonicalUri(uri.AbsolutePath)).Append('\n');
        builder.Append(CanonicalQuery(uri.Query)).Append('\n');
        foreach (var (name, value) in all)
        {
            builder.Append(name).Append(':').Append(value).Append('\n');
        }

        signedHeaders = string.Join(";", all.Keys);
        builder.Append('\n').Append(signedHeaders).Append('\n').Append(payloadHash);
        return builder.ToString();
    }

    /// <summary>
    /// The canonical URI of an already-escaped path: every segment URI-encoded once more. All services but S3
    /// expect this double encoding, which matters for Bedrock: a model id's <c>:</c> travels as <c>%3A</c> and is
    /// signed as <c>%253A</c>.
    /// </summary>
    public static string CanonicalUri(string escapedPath)
    {
        if (escapedPath.Length == 0)
        {
            return "/";
        }

        var segments = escapedPath.Split('/');
        for (var i = 0; i < segments.Length; i++)
        {
            segments[i] = Encode(segments[i]);
        }

        return string.Join("/", segments);
    }

    /// <summary>The canonical query: parameters decoded, re-encoded strictly, sorted by name then value.</summary>
    public static string CanonicalQuery(string query)
    {
        var text = query.StartsWith('?') ? query[1..] : query;
        if (text.Length == 0)
        {
            return "";
        }

        var pairs = new List<(string Name, string Value)>();
        foreach (var part in text.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            var name = eq < 0 ? part : part[..eq];
            var value = eq < 0 ? "" : part[(eq + 1)..];
            pairs.Add((Encode(Uri.UnescapeDataString(name)), Encode(Uri.UnescapeDataString(value))));
        }

        pairs.Sort((a, b) => a.Name == b.Name ? string.CompareOrdinal(a.Value, b.Value) : string.CompareOrdinal(a.Name, b.Name));
        return string.Join("&", pairs.Select(p => p.Name + "=" + p.Value));
    }

    /// <summary>The derived signing key: HMAC chain "AWS4"+secret → date → region → service → "aws4_request".</summary>
    public static byte[] SigningKey(string secret, string date, string region, string service)
    {
        var key = HMACSHA256.HashData(Encoding.UTF8.GetBytes("AWS4" + secret), Encoding.UTF8.GetBytes(date));
        key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(region));
        key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(service));
        return HMACSHA256.HashData(key, "aws4_request"u8);
    }

    /// <summary>The <c>x-amz-date</c> form of <paramref name="now"/> (ISO 8601 basic, UTC).</summary>
    public static string AmzDate(DateTimeOffset now) => now.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);

    /// <summary>SigV4 URI encoding: everything but unreserved characters (A–Z a–z 0–9 - _ . ~) as upper-case %XX of UTF-8.</summary>
    public static string Encode(string value)
    {
        var builder = new StringBuilder(value.Length + 8);
        Span<byte> utf8 = stackalloc byte[4];
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '~')
            {
                builder.Append(c);
                continue;
            }

            var rune = Rune.GetRuneAt(value, i);
            var count = rune.EncodeToUtf8(utf8);
            for (var k = 0; k < count; k++)
            {
                builder.Append('%').Append(utf8[k].ToString("X2", CultureInfo.InvariantCulture));
            }

            i += rune.Utf16SequenceLength - 1;
        }

        return builder.ToString();
    }

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);

    /// <summary>Header values are trimmed and runs of spaces collapse to one.</summary>
    private static string CollapseSpaces(string value)
    {
        var trimmed = value.Trim();
        if (!trimmed.Contains("  ", StringComparison.Ordinal))
        {
            return trimmed;
        }

        var builder = new StringBuilder(trimmed.Length);
        var lastSpace = false;
        foreach (var c in trimmed)
        {
            if (c == ' ' && lastSpace)
            {
                continue;
            }

            lastSpace = c == ' ';
            builder.Append(c);
        }

        return builder.ToString();
    }
}
