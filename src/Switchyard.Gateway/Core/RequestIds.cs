using Microsoft.AspNetCore.Http;

namespace Switchyard.Core;

/// <summary>
/// Every response carries <c>x-request-id</c>: the client's own (if it sent a sane one, so its logs and ours
/// line up) or a new time-ordered id. Assigned by a middleware before any endpoint runs.
/// </summary>
public static class RequestIds
{
    /// <summary>The header name.</summary>
    public const string Header = "x-request-id";

    /// <summary>Client-supplied ids longer than this are replaced (they end up in logs and the database).</summary>
    private const int MaxLength = 128;

    /// <summary>Sets the response's request id.</summary>
    public static void Assign(HttpContext http)
    {
        var given = http.Request.Headers[Header];
        http.Response.Headers[Header] = given.Count == 1 && given[0] is { Length: > 0 and <= MaxLength } id && IsPrintableAscii(id)
            ? id
            : NewId();
    }

    /// <summary><c>req_</c> and a time-ordered (v7) GUID in hex: one string, no intermediate.</summary>
    private static string NewId() => string.Create(36, Guid.CreateVersion7(), static (chars, guid) =>
    {
        "req_".CopyTo(chars);
        guid.TryFormat(chars[4..], out _, "N");
    });

    /// <summary>The id assigned to this request.</summary>
    public static string Of(HttpContext http) => http.Response.Headers[Header].ToString();

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
