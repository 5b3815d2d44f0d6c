using Microsoft.AspNetCore.Http;

namespace Switchyard.Cache;

/// <summary>
/// What the client asks of the cache for one request: <c>x-switchyard-cache: no-cache</c> (do not answer from the
/// cache; the fresh answer is still stored), <c>no-store</c> (do not store this answer; a stored one may answer), both
/// comma-separated; <c>x-switchyard-cache-ttl</c> (keep this answer for less than the alias's TTL: the alias's TTL is
/// the operator's ceiling), and <c>x-switchyard-cache-namespace</c> (a partition of the caller's own entries). A value
/// the gateway does not understand is refused with a 400 naming the header, never ignored.
/// </summary>
/// <param name="Read">Look the request up.</param>
/// <param name="Store">Store its answer.</param>
/// <param name="Ttl">How long the answer is kept.</param>
/// <param name="Namespace">The client's partition, or null.</param>
public readonly record struct CacheDirectives(bool Read, bool Store, TimeSpan Ttl, string? Namespace)
{
    /// <summary>Request and response header: the directives in, <c>hit</c> or <c>miss</c> out.</summary>
    public const string Header = "x-switchyard-cache";

    /// <summary>The client's TTL for this answer (<c>30s</c>, <c>5m</c>; a bare number is seconds).</summary>
    public const string TtlHeader = "x-switchyard-cache-ttl";

    /// <summary>The client's partition of its own entries.</summary>
    public const string NamespaceHeader = "x-switchyard-cache-namespace";

    /// <summary>Longest namespace taken: it is a label, not data.</summary>
    public const int MaxNamespaceLength = 128;

    /// <summary>Reads the headers against <paramref name="policy"/>; the 400 to answer when one is malformed.</summary>
    public static ClientError? Parse(IHeaderDictionary headers, CachePolicy policy, out CacheDirectives directives)
    {
        directives = new CacheDirectives(true, true, policy.Ttl, null);
        if (headers[Header] is { Count: > 0 } values && Flags(values.ToString(), ref directives) is { } flagError)
        {
            return flagError;
        }

        if (headers[TtlHeader] is { Count: > 0 } ttlValue)
        {
            if (!ValueParsers.TryParseDuration(ttlValue.ToString().Trim(), out var ttl, out var why))
            {
                return Invalid(TtlHeader, $"Invalid {TtlHeader}: {why}.");
            }

            directives = directives with { Ttl = ttl < policy.Ttl ? ttl : policy.Ttl, Store = directives.Store && ttl > TimeSpan.Zero };
        }

        if (headers[NamespaceHeader] is { Count: > 0 } ns)
        {
            var text = ns.ToString().Trim();
            if (text.Length is 0 or > MaxNamespaceLength)
            {
                return Invalid(NamespaceHeader, $"{NamespaceHeader} must be 1 to {MaxNamespaceLength} characters.");
            }

            directives = directives with { Namespace = text };
        }

        return null;
    }

    private static ClientError? Flags(string value, ref CacheDirectives directives)
    {
        foreach (var token in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            switch (token.ToLowerInvariant())
            {
                case "no-cache":
                    directives = directives with { Read = false };
                    break;
                case "no-store":
                    directives = directives with { Store = false };
                    break;
                default:
                    return Invalid(Header, $"Unknown {Header} directive '{token}'; valid: no-cache, no-store.");
            }
        }

        return null;
    }

    private static ClientError Invalid(string header, string message) =>
        new(400, ErrorCategory.InvalidRequest, message, header, "invalid_cache_header");
}
