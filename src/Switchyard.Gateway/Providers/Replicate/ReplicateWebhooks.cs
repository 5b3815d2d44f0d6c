using System.Security.Cryptography;
using System.Text;

namespace Switchyard.Providers.Replicate;

/// <summary>
/// Replicate's webhook signatures (replicate.com/docs/topics/webhooks/verify-webhook, read 2026-12-06; the Standard
/// Webhooks scheme): each delivery carries <c>webhook-id</c>, <c>webhook-timestamp</c> (Unix seconds) and
/// <c>webhook-signature</c>, a space-separated list of <c>v1,&lt;base64&gt;</c>, each an HMAC-SHA256 of
/// <c>{id}.{timestamp}.{raw body}</c> keyed with the base64 part of the account's <c>whsec_…</c> signing secret. A
/// delivery is believed only when one listed signature matches (compared in constant time, so a forger learns nothing
/// from how long a refusal takes) and its timestamp is within <see cref="Tolerance"/> of the gateway's clock either way
/// (a replayed old delivery is refused even with its valid signature). Pure.
/// </summary>
internal static class ReplicateWebhooks
{
    /// <summary>How far a delivery's timestamp may be from now: five minutes, the Standard Webhooks default.</summary>
    public static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(5);

    private const string SecretPrefix = "whsec_";

    /// <summary>The signing key of a <c>whsec_…</c> secret; null when it is not one.</summary>
    public static byte[]? Key(string? secret)
    {
        if (secret is null || !secret.StartsWith(SecretPrefix, StringComparison.Ordinal))
        {
            return null;
        }

        try
        {
            var key = Convert.FromBase64String(secret[SecretPrefix.Length..]);
            return key.Length > 0 ? key : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>Null when the delivery is authentic and fresh; else why not.</summary>
    public static string? Verify(Func<string, string?> header, ReadOnlySpan<byte> body, string? secret, DateTimeOffset now)
    {
        if (Key(secret) is not { } key)
        {
            return "this provider has no settings.webhook_secret (Replicate's whsec_… signing secret)";
        }

        if (header("webhook-id") is not { Length: > 0 } id || header("webhook-timestamp") is not { Length: > 0 } stamp
            || header("webhook-signature") is not { Length: > 0 } signatures)
        {
            return "missing webhook-id, webhook-timestamp or webhook-signature";
        }

        if (!long.TryParse(stamp, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
            || seconds > now.ToUnixTimeSeconds() + (long)Tolerance.TotalSeconds || seconds < now.ToUnixTimeSeconds() - (long)Tolerance.TotalSeconds)
        {
            return "webhook-timestamp is not within five minutes of the gateway's clock";
        }

        var expected = Sign(key, id, stamp, body);
        foreach (var candidate in signatures.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (candidate.StartsWith("v1,", StringComparison.Ordinal) && Decode(candidate[3..]) is { } given
                && CryptographicOperations.FixedTimeEquals(given, expected))
            {
                return null;
            }
        }

        return "no webhook-signature matches";
    }

    /// <summary>The HMAC-SHA256 of <c>{id}.{timestamp}.{body}</c>.</summary>
    public static byte[] Sign(byte[] key, string id, string timestamp, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes($"{id}.{timestamp}.");
        var content = new byte[prefix.Length + body.Length];
        prefix.CopyTo(content, 0);
        body.CopyTo(content.AsSpan(prefix.Length));
        return HMACSHA256.HashData(key, content);
    }

    private static byte[]? Decode(string base64)
    {
        try
        {
            return Convert.FromBase64String(base64);
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
