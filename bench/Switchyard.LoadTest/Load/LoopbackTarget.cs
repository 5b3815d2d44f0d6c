using System.Globalization;
using System.Net;
using Switchyard.LoadTest.Cli;

namespace Switchyard.LoadTest.Load;

/// <summary>
/// A parsed <c>http://</c> URL whose host is a loopback address. The tool generates enough traffic to hurt a
/// real service, so anything that is not 127.0.0.0/8, ::1 or the literal name <c>localhost</c> is refused;
/// <c>localhost</c> maps to 127.0.0.1 without a DNS or hosts-file lookup so it cannot be redirected.
/// </summary>
public sealed record LoopbackTarget(IPEndPoint EndPoint, string HostHeader, string PathAndQuery, string Url)
{
    /// <summary>Parses and checks <paramref name="url"/>; throws <see cref="UsageException"/> when it is not
    /// a plain-HTTP loopback URL.</summary>
    public static LoopbackTarget Parse(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp)
            throw new UsageException($"not an http:// URL: '{url}' (TLS is not supported; loopback only)");
        IPAddress address;
        if (string.Equals(uri.Host, "localhost", StringComparison.OrdinalIgnoreCase))
            address = IPAddress.Loopback;
        else if (!IPAddress.TryParse(uri.Host.Trim('[', ']'), out address!) || !IPAddress.IsLoopback(address))
            throw new UsageException(
                $"refusing non-loopback target '{uri.Host}' (only 127.0.0.0/8, ::1 and localhost are allowed)");
        var hostHeader = uri.IsDefaultPort ? uri.Host : uri.Host + ":" + uri.Port.ToString(CultureInfo.InvariantCulture);
        return new LoopbackTarget(new IPEndPoint(address, uri.Port), hostHeader, uri.PathAndQuery, url);
    }
}
