using System.Security.Cryptography;
using System.Text;
using Switchyard.Providers.Replicate;

namespace Switchyard.Tests.Providers.Replicate;

/// <summary>
/// Replicate's webhook signature check on its own: a delivery signed as Replicate documents it (computed here with
/// .NET's HMAC, not the gateway's helper) passes; any change to id, timestamp or body, a stale or future timestamp, a
/// missing header, another key, or a malformed secret fails, each with its reason.
/// </summary>
public sealed class ReplicateWebhooksTests
{
    private const string Secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 11, 0, 0, TimeSpan.Zero);
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("""{"id":"p1","status":"succeeded"}""");

    [Fact]
    public void Verify_SignedAsDocumented_Accepted()
    {
        Assert.Null(ReplicateWebhooks.Verify(Headers("msg_1", Now, Sign("msg_1", Now, Body)), Body, Secret, Now));
    }

    [Fact]
    public void Verify_SecondOfSeveralSignaturesMatches_Accepted()
    {
        var headers = Headers("msg_1", Now, "v1,AAAA v2,ignored " + Sign("msg_1", Now, Body));

        Assert.Null(ReplicateWebhooks.Verify(headers, Body, Secret, Now));
    }

    [Fact]
    public void Verify_BodyIdOrTimestampChanged_Refused()
    {
        var signature = Sign("msg_1", Now, Body);
        var tampered = Encoding.UTF8.GetBytes("""{"id":"p1","status":"succeeded" }""");

        Assert.Equal("no webhook-signature matches", ReplicateWebhooks.Verify(Headers("msg_1", Now, signature), tampered, Secret, Now));
        Assert.Equal("no webhook-signature matches", ReplicateWebhooks.Verify(Headers("msg_2", Now, signature), Body, Secret, Now));
        Assert.Equal("no webhook-signature matches", ReplicateWebhooks.Verify(Headers("msg_1", Now.AddSeconds(1), signature), Body, Secret, Now));
    }

    [Theory]
    [InlineData(-301)]
    [InlineData(301)]
    public void Verify_TimestampMoreThanFiveMinutesAway_Refused(int seconds)
    {
        var at = Now.AddSeconds(seconds);

        Assert.Contains("five minutes", ReplicateWebhooks.Verify(Headers("msg_1", at, Sign("msg_1", at, Body)), Body, Secret, Now), StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_MissingHeaderWrongKeyOrBadSecret_Refused()
    {
        var signature = Sign("msg_1", Now, Body);

        Assert.Contains("missing", ReplicateWebhooks.Verify(name => name == "webhook-signature" ? null : Headers("msg_1", Now, signature)(name), Body, Secret, Now), StringComparison.Ordinal);
        Assert.Equal("no webhook-signature matches", ReplicateWebhooks.Verify(Headers("msg_1", Now, signature), Body, "whsec_" + Convert.ToBase64String(new byte[24]), Now));
        Assert.Contains("webhook_secret", ReplicateWebhooks.Verify(Headers("msg_1", Now, signature), Body, "not-a-whsec", Now), StringComparison.Ordinal);
        Assert.Null(ReplicateWebhooks.Key("whsec_***"));
    }

    private static Func<string, string?> Headers(string id, DateTimeOffset at, string signature) => name => name switch
    {
        "webhook-id" => id,
        "webhook-timestamp" => at.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
        "webhook-signature" => signature,
        _ => null,
    };

    private static string Sign(string id, DateTimeOffset at, byte[] body)
    {
        var key = Convert.FromBase64String(Secret["whsec_".Length..]);
        var content = Encoding.UTF8.GetBytes($"{id}.{at.ToUnixTimeSeconds()}.").Concat(body).ToArray();
        return "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, content));
    }
}
