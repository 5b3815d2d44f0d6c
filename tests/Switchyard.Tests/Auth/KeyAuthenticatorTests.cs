using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Switchyard.Auth;
using Switchyard.Configuration;

namespace Switchyard.Tests.Auth;

public class KeyAuthenticatorTests
{
    private static byte[] Sha(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    private static KeyAuthenticator Authenticator() =>
        new(new AuthSettings("SWITCHYARD_MASTER_KEY", Sha("master-secret"), [new ClientKey("team-a", Sha("sk-team-a")), new ClientKey("ci", Sha("sk-ci"))]));

    private static HeaderDictionary Bearer(string? key, string? header = "Authorization")
    {
        var h = new HeaderDictionary();
        if (key is not null)
        {
            h[header!] = header == "Authorization" ? "Bearer " + key : key;
        }

        return h;
    }

    [Theory]
    [InlineData("sk-team-a", "team-a")]
    [InlineData("sk-ci", "ci")]
    [InlineData("master-secret", KeyAuthenticator.MasterId)]
    public void Authenticate_KnownKey_ReturnsItsId(string key, string id)
    {
        Assert.Equal(AuthOutcome.Accepted, Authenticator().Authenticate(Bearer(key), out var keyId));
        Assert.Equal(id, keyId);
    }

    [Fact]
    public void Authenticate_XApiKeyHeader_IsAccepted()
    {
        Assert.Equal(AuthOutcome.Accepted, Authenticator().Authenticate(Bearer("sk-ci", "x-api-key"), out var keyId));
        Assert.Equal("ci", keyId);
    }

    [Fact]
    public void Authenticate_UnknownKey_IsInvalid() =>
        Assert.Equal(AuthOutcome.Invalid, Authenticator().Authenticate(Bearer("sk-team-b"), out _));

    [Fact]
    public void Authenticate_NoKey_IsMissing() =>
        Assert.Equal(AuthOutcome.Missing, Authenticator().Authenticate(Bearer(null), out _));

    [Fact]
    public void Authenticate_OpenMode_AcceptsAnyoneAsAnonymous()
    {
        var open = new KeyAuthenticator(new AuthSettings("SWITCHYARD_MASTER_KEY", null, []));
        Assert.Equal(AuthOutcome.Accepted, open.Authenticate(Bearer(null), out var id));
        Assert.Equal(KeyAuthenticator.AnonymousId, id);
    }

    [Fact]
    public void FormatHash_IsSha256Hex() =>
        Assert.Equal("sha256:" + Convert.ToHexStringLower(Sha("abc")), KeyAuthenticator.FormatHash("abc"));
}
