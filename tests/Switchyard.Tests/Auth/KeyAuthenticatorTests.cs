using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Switchyard.Auth;
using Switchyard.Configuration;

namespace Switchyard.Tests.Auth;

public class KeyAuthenticatorTests
{
    private static byte[] Sha(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    private static readonly KeyStore Keys = new(new AuthSettings("SWITCHYARD_MASTER_KEY", Sha("master-secret"),
        [new ClientKey("team-a", Sha("sk-team-a")), new ClientKey("ci", Sha("sk-ci")) { Role = KeyRole.Operator }]));

    private static AuthOutcome Authenticate(IHeaderDictionary headers, out string? keyId)
    {
        var outcome = KeyAuthenticator.Authenticate(Keys, headers, out var caller);
        keyId = caller?.KeyId;
        return outcome;
    }

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
    [InlineData("master-secret", Caller.MasterId)]
    public void Authenticate_KnownKey_ReturnsItsId(string key, string id)
    {
        Assert.Equal(AuthOutcome.Accepted, Authenticate(Bearer(key), out var keyId));
        Assert.Equal(id, keyId);
    }

    [Fact]
    public void Authenticate_XApiKeyHeader_IsAccepted()
    {
        Assert.Equal(AuthOutcome.Accepted, Authenticate(Bearer("sk-ci", "x-api-key"), out var keyId));
        Assert.Equal("ci", keyId);
    }

    [Fact]
    public void Authenticate_UnknownKey_IsInvalid() =>
        Assert.Equal(AuthOutcome.Invalid, Authenticate(Bearer("sk-team-b"), out _));

    [Fact]
    public void Authenticate_NoKey_IsMissing() =>
        Assert.Equal(AuthOutcome.Missing, Authenticate(Bearer(null), out _));

    [Fact]
    public void Authenticate_OpenMode_AcceptsAnyoneAsAnonymous()
    {
        var open = new KeyStore(new AuthSettings("SWITCHYARD_MASTER_KEY", null, []));
        Assert.Equal(AuthOutcome.Accepted, KeyAuthenticator.Authenticate(open, Bearer(null), out var caller));
        Assert.Equal(Caller.AnonymousId, caller!.KeyId);
        Assert.Equal(KeyRole.Admin, caller.Role);
    }

    [Theory]
    [InlineData("sk-team-a", KeyRole.Client)]
    [InlineData("sk-ci", KeyRole.Operator)]
    [InlineData("master-secret", KeyRole.Admin)]
    public void Authenticate_KnownKey_CarriesItsRole(string key, KeyRole role)
    {
        KeyAuthenticator.Authenticate(Keys, Bearer(key), out var caller);
        Assert.Equal(role, caller!.Role);
    }

    [Fact]
    public void Replace_SwapsEveryKeyAtOnce()
    {
        var store = new KeyStore(new AuthSettings("M", null, [new ClientKey("old", Sha("sk-old"))]));
        store.Replace(new AuthSettings("M", null, [new ClientKey("new", Sha("sk-new"))]));
        Assert.Equal(AuthOutcome.Invalid, KeyAuthenticator.Authenticate(store, Bearer("sk-old"), out _));
        Assert.Equal(AuthOutcome.Accepted, KeyAuthenticator.Authenticate(store, Bearer("sk-new"), out var caller));
        Assert.Equal("new", caller!.KeyId);
    }

    [Theory]
    [InlineData(KeyRole.Client, KeyRole.Operator, 403)]
    [InlineData(KeyRole.Operator, KeyRole.Operator, 0)]
    [InlineData(KeyRole.Admin, KeyRole.Operator, 0)]
    [InlineData(KeyRole.Operator, KeyRole.Admin, 403)]
    public void Refusal_RoleBelowTheEndpoints_Is403(KeyRole has, KeyRole needs, int status) =>
        Assert.Equal(status, Authorizer.Refusal(AuthOutcome.Accepted, new Caller("k", has), needs)?.Status ?? 0);

    [Fact]
    public void FormatHash_IsSha256Hex() =>
        Assert.Equal("sha256:" + Convert.ToHexStringLower(Sha("abc")), KeyAuthenticator.FormatHash("abc"));
}
