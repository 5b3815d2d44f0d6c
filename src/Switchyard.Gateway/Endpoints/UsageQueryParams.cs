using System.Buffers.Text;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;
using Switchyard.Auth;

namespace Switchyard.Endpoints;

/// <summary>
/// The query string of the usage endpoints (<c>/v1/admin/spend</c>, <c>/v1/admin/requests</c>, <c>/v1/admin/stats</c>):
/// the time range (<c>from</c>, <c>to</c>: ISO 8601, a date meaning midnight UTC, or Unix milliseconds), the filters,
/// <c>limit</c> and the opaque <c>cursor</c> of the previous page. Every range is bounded, so no request can make the
/// database read its whole history in one go.
/// </summary>
internal static class UsageQueryParams
{
    /// <summary>The filters every usage endpoint takes, by query parameter name.</summary>
    public static readonly string[] FilterNames = ["key", "team", "customer", "model", "route", "deployment", "status", "fallback_reason"];

    /// <summary>Reads the range and the filters; <paramref name="defaultRange"/> back from <c>to</c> when <c>from</c> is absent.</summary>
    public static ClientError? Filter(HttpRequest request, DateTimeOffset now, TimeSpan defaultRange, TimeSpan maxRange, out UsageFilter filter)
    {
        filter = null!;
        if (Time(request, "to", out var to) is { } toError)
        {
            return toError;
        }

        if (Time(request, "from", out var from) is { } fromError)
        {
            return fromError;
        }

        var end = to ?? now.ToUnixTimeMilliseconds() + 1; // "now" included
        var start = from ?? end - (long)defaultRange.TotalMilliseconds;
        if (start >= end)
        {
            return AdminErrors.Invalid("from", "must be before 'to'");
        }

        if (end - start > (long)maxRange.TotalMilliseconds)
        {
            return AdminErrors.Invalid("from", $"the range may span at most {maxRange.TotalDays:0.##} days");
        }

        if (Status(request, out var status) is { } statusError)
        {
            return statusError;
        }

        filter = new UsageFilter(start, end)
        {
            Key = AdminHttp.Query(request, "key"), Team = AdminHttp.Query(request, "team"),
            Customer = AdminHttp.Query(request, "customer"), Model = AdminHttp.Query(request, "model"),
            Route = AdminHttp.Query(request, "route"), Deployment = AdminHttp.Query(request, "deployment"),
            FallbackReason = AdminHttp.Query(request, "fallback_reason"), Status = status,
        };
        return null;
    }

    /// <summary>The first error of parameters that were all read (so every <c>out</c> is assigned), or null.</summary>
    public static ClientError? First(params ClientError?[] errors) => Array.Find(errors, e => e is not null);

    /// <summary><c>limit</c>: 1 to <paramref name="max"/>, <paramref name="fallback"/> when absent.</summary>
    public static ClientError? Limit(HttpRequest request, int fallback, int max, out int limit)
    {
        limit = fallback;
        if (request.Query["limit"] is { Count: > 0 } l && (!int.TryParse(l[0], NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit < 1 || limit > max))
        {
            return AdminErrors.Invalid("limit", $"must be an integer from 1 to {max}");
        }

        return null;
    }

    /// <summary>
    /// <c>cursor</c>: the previous page's <c>next_cursor</c>, two parts (a number, then text) base64url-encoded; null
    /// parts when absent.
    /// </summary>
    public static ClientError? Cursor(HttpRequest request, out (long Number, string Text)? cursor)
    {
        cursor = null;
        if (AdminHttp.Query(request, "cursor") is not { } raw)
        {
            return null;
        }

        try
        {
            var text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(raw));
            var colon = text.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && long.TryParse(text.AsSpan(0, colon), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
            {
                cursor = (number, text[(colon + 1)..]);
                return null;
            }
        }
        catch (FormatException)
        {
        }

        return AdminErrors.Invalid("cursor", "is not a cursor this endpoint returned");
    }

    /// <summary>The opaque cursor of a next page.</summary>
    public static string EncodeCursor(long number, string text) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes(number.ToString(CultureInfo.InvariantCulture) + ":" + text));

    private static ClientError? Time(HttpRequest request, string name, out long? ms)
    {
        ms = null;
        if (AdminHttp.Query(request, name) is not { } value)
        {
            return null;
        }

        if (long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var unix))
        {
            ms = unix;
            return null;
        }

        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time))
        {
            ms = time.ToUnixTimeMilliseconds();
            return null;
        }

        return AdminErrors.Invalid(name, "must be an ISO 8601 time (2026-05-01, 2026-05-01T12:00:00Z) or Unix milliseconds");
    }

    /// <summary><c>status</c>: a code (<c>429</c>), a class (<c>4xx</c>, <c>5xx</c>), <c>error</c> (≥ 400) or <c>ok</c> (&lt; 400).</summary>
    private static ClientError? Status(HttpRequest request, out (int, int)? status)
    {
        status = null;
        var value = AdminHttp.Query(request, "status");
        if (value is null)
        {
            return null;
        }

        status = value switch
        {
            "error" => (400, 599),
            "ok" => (100, 399),
            [var d and >= '1' and <= '5', 'x' or 'X', 'x' or 'X'] => ((d - '0') * 100, ((d - '0') * 100) + 99),
            _ when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var code) && code is >= 100 and <= 599 => (code, code),
            _ => null,
        };
        return status is null ? AdminErrors.Invalid("status", "must be a status code, 2xx/4xx/5xx, error or ok") : null;
    }
}
