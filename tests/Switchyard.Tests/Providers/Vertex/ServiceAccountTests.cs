using System.Text;
using Switchyard.Providers.Vertex;
using Switchyard.Tests.TestKit.Vertex;

namespace Switchyard.Tests.Providers.Vertex;

/// <summary>Reading a service-account key and building the signed JWT assertion.</summary>
public sealed class ServiceAccountTests
{
    private static readonly DateTimeOffset Now = new(2025, 3, 14, 15, 9, 26, TimeSpan.Zero);

    private static ServiceAccountKey Key(string json) => ServiceAccountKey.Parse(Encoding.UTF8.GetBytes(json));

    [Fact]
    public void Jwt_IsSignedWithTheKey_AndCarriesGooglesClaims()
    {
        var account = TestServiceAccount.Shared;
        using var key = Key(account.Json());

        var jwt = ServiceAccountJwt.Create(key, Now);

        // Verified with the public half only: what Google does with the certificate it publishes.
        Assert.Null(account.Verify(jwt, expectKid: true));
        var (header, claims) = TestServiceAccount.Decode(jwt);
        Assert.Equal("""{"alg":"RS256","typ":"JWT","kid":"5f2c7f1e0d4b4a3c9e8d7c6b5a4f3e2d1c0b9a88"}""", header.ToJsonString());
        Assert.Equal(TestServiceAccount.Email, (string?)claims["iss"]);
        Assert.Equal("https://www.googleapis.com/auth/cloud-platform", (string?)claims["scope"]);
        Assert.Equal("https://oauth2.googleapis.com/token", (string?)claims["aud"]);
        Assert.Equal(Now.ToUnixTimeSeconds(), (long)claims["iat"]!);
        Assert.Equal(Now.ToUnixTimeSeconds() + 3600, (long)claims["exp"]!);
        Assert.DoesNotContain('=', jwt); // base64url without padding
        Assert.Equal(3, jwt.Split('.').Length);
    }

    [Fact]
    public void Jwt_WithoutKeyId_HasNoKid_AndTheAudienceIsTheKeysTokenUri()
    {
        var account = TestServiceAccount.Shared;
        using var key = Key(account.Json(tokenUri: "https://oauth2.example.test/token", withKeyId: false));

        var jwt = ServiceAccountJwt.Create(key, Now);

        Assert.Null(account.Verify(jwt, audience: "https://oauth2.example.test/token", expectKid: false));
    }

    [Fact]
    public void Jwt_SignedByAnotherKey_DoesNotVerify()
    {
        using var other = TestServiceAccount.CreateOther();
        using var key = Key(other.Json());

        Assert.Equal("Invalid JWT Signature.", TestServiceAccount.Shared.Verify(ServiceAccountJwt.Create(key, Now)));
    }

    [Fact]
    public void Key_WithoutTokenUri_UsesGooglesEndpoint()
    {
        using var key = Key(TestServiceAccount.Shared.Json(tokenUri: null));

        Assert.Equal(ServiceAccountKey.DefaultTokenUri, key.TokenUri);
        Assert.Equal(TestServiceAccount.Email, key.ClientEmail);
        Assert.Equal(TestServiceAccount.KeyId, key.PrivateKeyId);
    }

    [Fact]
    public void Key_OfAnotherType_IsRefusedByName()
    {
        var ex = Assert.Throws<VertexCredentialsException>(() => Key(TestServiceAccount.Shared.Json(type: "authorized_user")));

        Assert.Contains("'authorized_user' are not supported", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("client_email")]
    [InlineData("private_key")]
    public void Key_MissingAField_NamesIt(string field)
    {
        var json = System.Text.Json.Nodes.JsonNode.Parse(TestServiceAccount.Shared.Json())!.AsObject();
        json.Remove(field);

        var ex = Assert.Throws<VertexCredentialsException>(() => Key(json.ToJsonString()));

        Assert.Contains($"'{field}'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Key_WithABrokenPem_SaysSo_WithoutEchoingIt()
    {
        var json = System.Text.Json.Nodes.JsonNode.Parse(TestServiceAccount.Shared.Json())!.AsObject();
        json["private_key"] = "-----BEGIN PRIVATE KEY-----\nTk9UQUtFWVNFQ1JFVA==\n-----END PRIVATE KEY-----\n";

        var ex = Assert.Throws<VertexCredentialsException>(() => Key(json.ToJsonString()));

        Assert.Contains("not a PEM-encoded RSA private key", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Tk9UQUtFWVNFQ1JFVA", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Key_ThatIsNotJson_ReportsWhereWithoutQuotingIt()
    {
        var truncated = TestServiceAccount.Shared.Json()[..400];

        var ex = Assert.Throws<VertexCredentialsException>(() => Key(truncated));

        Assert.StartsWith("the service-account key is not valid JSON", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("MII", ex.Message, StringComparison.Ordinal);
    }
}
