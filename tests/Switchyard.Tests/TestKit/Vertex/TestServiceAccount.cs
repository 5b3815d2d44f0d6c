using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Switchyard.Tests.TestKit.Vertex;

/// <summary>
/// A Google service account made up for tests: a fresh RSA-2048 key generated in-process (no key is ever
/// committed), the key file's JSON as IAM hands it out, and the checks Google's token endpoint makes on a
/// JWT assertion (signature against the public key, header, claims).
/// </summary>
public sealed class TestServiceAccount : IDisposable
{
    /// <summary>The account's email (the JWT issuer).</summary>
    public const string Email = "switchyard-test@test-project.iam.gserviceaccount.com";

    /// <summary>The key id (the JWT's <c>kid</c>).</summary>
    public const string KeyId = "5f2c7f1e0d4b4a3c9e8d7c6b5a4f3e2d1c0b9a88";

    /// <summary>The scope Vertex needs.</summary>
    public const string Scope = "https://www.googleapis.com/auth/cloud-platform";

    /// <summary>Google's token endpoint, the audience every assertion must name.</summary>
    public const string GoogleTokenUri = "https://oauth2.googleapis.com/token";

    private static readonly Lazy<TestServiceAccount> SharedAccount = new(() => new TestServiceAccount(RSA.Create(2048)));

    private TestServiceAccount(RSA rsa)
    {
        Rsa = rsa;
        PrivateKeyPem = rsa.ExportPkcs8PrivateKeyPem();
    }

    /// <summary>One account for the whole test run (generating a 2048-bit key takes a while).</summary>
    public static TestServiceAccount Shared => SharedAccount.Value;

    /// <summary>The key pair.</summary>
    public RSA Rsa { get; }

    /// <summary>The private key as PKCS#8 PEM, as in a real key file.</summary>
    public string PrivateKeyPem { get; }

    /// <summary>A new, different account (for "wrong key" tests). Dispose it.</summary>
    public static TestServiceAccount CreateOther() => new(RSA.Create(2048));

    /// <summary>The key file's JSON. <paramref name="tokenUri"/> null leaves <c>token_uri</c> out.</summary>
    public string Json(string? tokenUri = GoogleTokenUri, bool withKeyId = true, string type = "service_account")
    {
        var json = new JsonObject
        {
            ["type"] = type,
            ["project_id"] = "test-project",
            ["private_key"] = PrivateKeyPem,
            ["client_email"] = Email,
            ["client_id"] = "109876543210987654321",
            ["auth_uri"] = "https://accounts.google.com/o/oauth2/auth",
            ["auth_provider_x509_cert_url"] = "https://www.googleapis.com/oauth2/v1/certs",
            ["universe_domain"] = "googleapis.com",
        };
        if (withKeyId)
        {
            json["private_key_id"] = KeyId;
        }

        if (tokenUri is not null)
        {
            json["token_uri"] = tokenUri;
        }

        return json.ToJsonString();
    }

    /// <summary>
    /// Checks an assertion as Google would: RS256 signature by this account's key, header <c>alg</c>/<c>typ</c>
    /// and <c>kid</c> (this key's id if present; <paramref name="expectKid"/> true requires it, false forbids it),
    /// claims <c>iss</c>, <c>scope</c>, <c>aud</c>, and a lifetime of exactly one hour. Returns null when valid, else what is wrong.
    /// </summary>
    public string? Verify(string jwt, string audience = GoogleTokenUri, bool? expectKid = null)
    {
        var parts = jwt.Split('.');
        if (parts.Length != 3)
        {
            return "not a compact JWT";
        }

        if (!Rsa.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), Base64Url.DecodeFromChars(parts[2]),
                HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))
        {
            return "Invalid JWT Signature.";
        }

        var (header, claims) = Decode(jwt);
        if ((string?)header["alg"] != "RS256" || (string?)header["typ"] != "JWT")
        {
            return "bad header";
        }

        var hasKid = header.ContainsKey("kid");
        if ((hasKid && (string?)header["kid"] != KeyId) || (expectKid is { } expected && expected != hasKid))
        {
            return "bad kid";
        }

        if ((string?)claims["iss"] != Email || (string?)claims["scope"] != Scope || (string?)claims["aud"] != audience)
        {
            return "bad claims";
        }

        return (long)claims["exp"]! - (long)claims["iat"]! == 3600 ? null : "lifetime is not one hour";
    }

    /// <summary>The header and claims of an assertion, unverified.</summary>
    public static (JsonObject Header, JsonObject Claims) Decode(string jwt)
    {
        var parts = jwt.Split('.');
        return (JsonNode.Parse(Base64Url.DecodeFromChars(parts[0]))!.AsObject(), JsonNode.Parse(Base64Url.DecodeFromChars(parts[1]))!.AsObject());
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (!ReferenceEquals(this, SharedAccount.IsValueCreated ? SharedAccount.Value : null))
        {
            Rsa.Dispose();
        }
    }
}
