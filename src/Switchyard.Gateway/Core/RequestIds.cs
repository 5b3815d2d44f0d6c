using System.Buffers.Binary;
using Microsoft.AspNetCore.Http;

namespace Switchyard.Core;

/// <summary>
/// Request ids. The gateway gives every request its own time-ordered id: the key of its usage record, which
/// no client can choose (a client that reused one id on every request used to collapse its records into one).
/// Every response carries <c>x-request-id</c>: the client's own when it sent a sane one (so its logs and ours
/// line up), else the gateway's; when the client sent its own, the gateway's is in
/// <c>x-switchyard-request-id</c> too, so support can find the record. Assigned by a middleware before any
/// endpoint runs.
/// </summary>
public static class RequestIds
{
    /// <summary>The header a client may send and every response echoes.</summary>
    public const string Header = "x-request-id";

    /// <summary>The gateway's own id, on responses to clients that sent their own <see cref="Header"/>.</summary>
    public const string GatewayHeader = "x-switchyard-request-id";

    /// <summary>Client-supplied ids longer than this are not kept (they end up in logs and the database).</summary>
    private const int MaxLength = 128;

    /// <summary>Gives the request its gateway id and sets the response's id headers.</summary>
    public static void Assign(HttpContext http)
    {
        var id = NewId();
        if (ClientOf(http) is { } client)
        {
            http.Response.Headers[Header] = client;
            http.Response.Headers[GatewayHeader] = id;
        }
        else
        {
            http.Response.Headers[Header] = id;
        }
    }

    /// <summary>
    /// <c>req_</c> and a time-ordered UUID (version 7: 48 bits of Unix milliseconds, then 74 random bits) in hex.
    /// The random bits come from <see cref="Random.Shared"/>, not the OS generator <see cref="Guid.CreateVersion7()"/>
    /// asks once per id (a system call on every request: 1.6% of the core at saturation, bench/README.md). An id
    /// must be unique, not secret: it names a record and grants nothing, and 74 bits from a generator seeded by
    /// the OS make two equal ids in one millisecond as good as impossible.
    /// </summary>
    public static string NewId()
    {
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteInt64BigEndian(bytes, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() << 16);
        Random.Shared.NextBytes(bytes[6..]);
        bytes[6] = (byte)(0x70 | (bytes[6] & 0x0F)); // version 7
        bytes[8] = (byte)(0x80 | (bytes[8] & 0x3F)); // RFC 9562 variant
        Span<char> chars = stackalloc char[36];
        "req_".CopyTo(chars);
        Convert.TryToHexStringLower(bytes, chars[4..], out _);
        return new string(chars);
    }

    /// <summary>The gateway's id of this request (the key of its usage record), whatever the client sent.</summary>
    public static string Of(HttpContext http)
    {
        var headers = http.Response.Headers;
        return headers.TryGetValue(GatewayHeader, out var own) ? own.ToString() : headers[Header].ToString();
    }

    /// <summary>
    /// The <c>x-request-id</c> the client sent, when it is one value of 1 to 128 printable ASCII characters
    /// (stored in the record's own column and echoed; never a key); null otherwise. Read from the request,
    /// which nothing rewrites.
    /// </summary>
    public static string? ClientOf(HttpContext http)
    {
        var given = http.Request.Headers[Header];
        return given.Count == 1 && given[0] is { Length: > 0 and <= MaxLength } id && IsPrintableAscii(id) ? id : null;
    }

    private static bool IsPrintableAscii(string s)
    {
        foreach (var c in s)
        {
            if (c is < (char)0x21 or > (char)0x7e)
            {
                return false;
            }
        }

        return true;
    }
}
