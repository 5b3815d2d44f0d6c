using System.Security.Cryptography;
using System.Text;

namespace Switchyard.Core;

/// <summary>
/// The one definition of how a client key is hashed (SHA-256 of its UTF-8 bytes), shared by the loader,
/// the authenticator and any tooling that prints <c>sha256:...</c> values for the config file.
/// </summary>
public static class KeyHasher
{
    /// <summary>SHA-256 of the UTF-8 encoding of <paramref name="key"/>.</summary>
    public static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    /// <summary>The config-file form of a hash: <c>sha256:</c> followed by 64 lowercase hex digits.</summary>
    public static string Format(byte[] hash) => "sha256:" + Convert.ToHexStringLower(hash);
}
