using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

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
/// Finds the key a request presents and asks the <see cref="IKeyStore"/> whose it is. The presented key is
/// hashed on the stack; keys in clear never exist in memory beyond the request's own header.
/// </summary>
public static class KeyAuthenticator
{
    /// <summary>
    /// Authenticates a request: <c>Authorization: Bearer</c> (OpenAI SDKs), <c>x-api-key</c> (Anthropic SDKs),
    /// <c>x-goog-api-key</c> (Google SDKs) and, when <paramref name="allowQueryKey"/>, <c>?key=</c>.
    /// </summary>
    public static AuthOutcome Authenticate(IKeyStore keys, HttpRequest request, bool allowQueryKey, out Caller? caller)
    {
        if (keys.IsOpen)
        {
            caller = Caller.Anonymous;
            return AuthOutcome.Accepted;
        }

        var presented = ExtractKey(request.Headers);
        if (presented.IsEmpty && allowQueryKey && request.Query.TryGetValue("key", out var queryKey) && queryKey.Count == 1)
        {
            presented = queryKey[0].AsSpan().Trim();
        }

        return Check(keys, presented, out caller);
    }

    /// <summary>Authenticates from headers only.</summary>
    public static AuthOutcome Authenticate(IKeyStore keys, IHeaderDictionary headers, out Caller? caller)
    {
        if (keys.IsOpen)
        {
            caller = Caller.Anonymous;
            return AuthOutcome.Accepted;
        }

        return Check(keys, ExtractKey(headers), out caller);
    }

    private static AuthOutcome Check(IKeyStore keys, ReadOnlySpan<char> presented, out Caller? caller)
    {
        caller = null;
        if (presented.IsEmpty)
        {
            return AuthOutcome.Missing;
        }

        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        HashKey(presented, hash);
        caller = keys.Find(hash);
        return caller is null ? AuthOutcome.Invalid : AuthOutcome.Accepted;
    }

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
