using System.Globalization;
using System.Net.Http.Headers;

namespace Switchyard.Core;

/// <summary>Reads how long an upstream asked us to wait.</summary>
public static class RetryAfter
{
    /// <summary>
    /// <c>retry-after-ms</c> (OpenAI, Azure: milliseconds) first, then <c>Retry-After</c> as delta-seconds or
    /// an HTTP-date (RFC 9110 §10.2.3). Null when absent or unparseable; never negative.
    /// </summary>
    public static TimeSpan? Parse(HttpResponseHeaders headers, DateTimeOffset now)
    {
        if (headers.TryGetValues("retry-after-ms", out var ms)
            && double.TryParse(ms.FirstOrDefault(), NumberStyles.Float, CultureInfo.InvariantCulture, out var millis)
            && millis >= 0)
        {
            return TimeSpan.FromMilliseconds(millis);
        }

        if (headers.RetryAfter is not { } ra)
        {
            return null;
        }

        if (ra.Delta is { } delta)
        {
            return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        }

        if (ra.Date is { } date)
        {
            var wait = date - now;
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }

        return null;
    }
}
