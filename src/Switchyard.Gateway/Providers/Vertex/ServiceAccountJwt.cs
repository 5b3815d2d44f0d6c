using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Switchyard.Providers.Vertex;

/// <summary>
/// The signed JWT a service account trades for an access token (RFC 7523 JWT bearer grant, as Google's
/// "OAuth 2.0 for server to server applications" describes it): header <c>{"alg":"RS256","typ":"JWT","kid":…}</c>,
/// claims <c>iss</c> (the account's email), <c>scope</c>, <c>aud</c> (the key's <c>token_uri</c>), <c>iat</c> and
/// <c>exp</c> one hour later (Google's maximum), signed with RSASSA-PKCS1-v1_5 over SHA-256. Pure apart from the
/// key: the time is a parameter, so tests check the claims and verify the signature.
/// </summary>
internal static class ServiceAccountJwt
{
    /// <summary>The scope Vertex AI accepts (every Google Cloud API).</summary>
    public const string CloudPlatformScope = "https://www.googleapis.com/auth/cloud-platform";

    /// <summary>Assertion lifetime: Google refuses longer ones.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(1);

    /// <summary>The compact serialisation <c>header.claims.signature</c>, each part base64url without padding.</summary>
    public static string Create(ServiceAccountKey key, DateTimeOffset now, string scope = CloudPlatformScope)
    {
        var header = Json(w =>
        {
            w.WriteString("alg", "RS256");
            w.WriteString("typ", "JWT");
            if (key.PrivateKeyId is { Length: > 0 } kid)
            {
                w.WriteString("kid", kid);
            }
        });
        var issuedAt = now.ToUnixTimeSeconds();
        var claims = Json(w =>
        {
            w.WriteString("iss", key.ClientEmail);
            w.WriteString("scope", scope);
            w.WriteString("aud", key.TokenUri);
            w.WriteNumber("iat", issuedAt);
            w.WriteNumber("exp", issuedAt + (long)Lifetime.TotalSeconds);
        });

        var signingInput = Base64Url.EncodeToString(header) + "." + Base64Url.EncodeToString(claims);
        var signature = key.Key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return signingInput + "." + Base64Url.EncodeToString(signature);
    }

    private static byte[] Json(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
