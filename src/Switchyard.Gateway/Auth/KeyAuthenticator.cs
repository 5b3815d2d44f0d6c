using System.Buffers.Binary;
using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Switchyard.Configuration;

namespace Switchyard.Auth;

/// <summary>Outcome of authenticating a caller.</summary>
public enum AuthOutcome
{
    /// <summary>A known key (or open mode).</summary>
    Accepted,

    /// <summary>No key was presented.</summary>
    Missing,

    /// <summary>A key was presented and matches none.</summary>
    Invalid,
}

/// <summary>
/// Checks the caller's key against SHA-256 hashes built at config load. The presented key is hashed and
/// looked up by the hash's first 8 bytes; the full 32 bytes are then compared in constant time
/// (<see cref="CryptographicOperations.FixedTimeEquals"/>), so timing reveals nothing about stored keys.
/// Keys in clear never exist in memory beyond the request's own header.
/// </summary>
public sealed class KeyAuthenticator
{
    /// <summary>Key id recorded when auth is open (no keys configured).</summary>
    public const string AnonymousId = "anonymous";

    /// <summary>Key id of the master key.</summary>
    public const string MasterId = "master";

    private readonly FrozenDictionary<ulong, ClientKey[]> byPrefix;
    private readonly FrozenSet<string> noOverrides;
    private readonly bool open;

    /// <summary>Indexes the keys of <paramref name="auth"/>.</summary>
    public KeyAuthenticator(AuthSettings auth)
    {
        open = auth.IsOpen;
        var all = new List<ClientKey>(auth.Keys);
        if (auth.MasterKeyHash is { } master)
        {
            all.Add(new ClientKey(MasterId, master));
        }

        noOverrides = auth.Keys.Where(k => !k.AllowRoutingOverrides).Select(k => k.Id).ToFrozenSet(StringComparer.Ordinal);
        byPrefix = all
            .GroupBy(k => BinaryPrimitives.ReadUInt64LittleEndian(k.Hash))
            .ToFrozenDictionary(g => g.Key, g => g.ToArray());
    }

    /// <summary>Authenticates a request: <c>Authorization: Bearer</c> (OpenAI SDKs), <c>x-api-key</c> (Anthropic SDKs),
    /// <c>x-goog-api-key</c> or <c>?key=</c> (Google SDKs).</summary>
    public AuthOutcome Authenticate(HttpRequest request, out string keyId)
    {
        if (open)
        {
            keyId = AnonymousId;
            return AuthOutcome.Accepted;
        }

        var presented = ExtractKey(request.Headers);
        if (presented.IsEmpty && request.Query.TryGetValue("key", out var queryKey) && queryKey.Count == 1)
        {
            presented = queryKey[0].AsSpan().Trim();
        }

        return Check(presented, out keyId);
    }

    /// <summary>Authenticates from headers only.</summary>
    public AuthOutcome Authenticate(IHeaderDictionary headers, out string keyId)
    {
        if (open)
        {
            keyId = AnonymousId;
            return AuthOutcome.Accepted;
        }

        return Check(ExtractKey(headers), out keyId);
    }

    private AuthOutcome Check(ReadOnlySpan<char> presented, out string keyId)
    {
        keyId = "";
        if (presented.IsEmpty)
        {
            return AuthOutcome.Missing;
        }

        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        HashKey(presented, hash);
        if (byPrefix.TryGetValue(BinaryPrimitives.ReadUInt64LittleEndian(hash), out var candidates))
        {
            foreach (var candidate in candidates)
            {
                if (CryptographicOperations.FixedTimeEquals(candidate.Hash, hash))
                {
                    keyId = candidate.Id;
                    return AuthOutcome.Accepted;
                }
            }
        }

        return AuthOutcome.Invalid;
    }

    /// <summary>Whether the key <paramref name="keyId"/> may override routing (client fallback lists, opting out, naming a route).</summary>
    public bool AllowsRoutingOverrides(string? keyId) => keyId is null || !noOverrides.Contains(keyId);

    /// <summary>SHA-256 of the UTF-8 key: the only form in which keys are stored.</summary>
    public static void HashKey(ReadOnlySpan<char> key, Span<byte> destination)
    {
        var max = Encoding.UTF8.GetMaxByteCount(key.Length);
        Span<byte> utf8 = max <= 512 ? stackalloc byte[max] : new byte[max];
        var n = Encoding.UTF8.GetBytes(key, utf8);
        SHA256.HashData(utf8[..n], destination);
    }

    /// <summary>Returns <c>sha256:&lt;hex&gt;</c> for <paramref name="key"/>, the form config files hold.</summary>
    public static string FormatHash(string key) => KeyHasher.Format(KeyHasher.Hash(key));

    private static ReadOnlySpan<char> ExtractKey(IHeaderDictionary headers)
    {
        StringValues auth = headers.Authorization;
        if (auth.Count == 1)
        {
            var value = auth[0].AsSpan().Trim();
            if (value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            {
                return value[7..].Trim();
            }
        }

        StringValues apiKey = headers["x-api-key"];
        if (apiKey.Count == 1)
        {
            return apiKey[0].AsSpan().Trim();
        }

        StringValues googKey = headers["x-goog-api-key"];
        return googKey.Count == 1 ? googKey[0].AsSpan().Trim() : default;
    }
}
