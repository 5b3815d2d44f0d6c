using System.Security.Cryptography;

namespace Switchyard.Auth;

/// <summary>
/// How virtual keys and their ids are made. A secret is <c>sk-sy-</c> and 43 base62 characters drawn uniformly by
/// <see cref="RandomNumberGenerator"/>: 43 × log2(62) ≈ 256 bits, as much as 32 random bytes, in characters that
/// survive a double-click, a URL and a shell unquoted. The prefix makes a leaked key recognizable to secret
/// scanners and to people.
/// </summary>
public static class VirtualKeySecrets
{
    /// <summary>What every secret starts with.</summary>
    public const string Prefix = "sk-sy-";

    /// <summary>Random characters after the prefix.</summary>
    public const int RandomLength = 43;

    /// <summary>Characters of the secret shown in listings: the prefix and the first four random ones (24 bits, no use to a guesser).</summary>
    public const int ShownLength = 10;

    private const string Base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    /// <summary>A new secret.</summary>
    public static string NewSecret() => Prefix + RandomNumberGenerator.GetString(Base62, RandomLength);

    /// <summary>What listings show of <paramref name="secret"/>.</summary>
    public static string Shown(string secret) => secret[..ShownLength];

    /// <summary>A new key id: <c>key_</c> and 16 base62 characters (public: recorded, logged, in URLs).</summary>
    public static string NewId() => "key_" + RandomNumberGenerator.GetString(Base62, 16);
}
