using System.Collections.Frozen;
using System.Reflection;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;

namespace Switchyard.WebConsole;

/// <summary>
/// The console's files, embedded in the gateway assembly (<c>WebConsole/assets/**</c>, logical names
/// <c>console/PATH</c>) and read once into memory: ~100 KB, no file system, no reflection-based static file
/// middleware, so the Native AOT binary serves exactly what was built. Each file is served with its content type, a
/// strong ETag (304 on a match), <c>Cache-Control: no-cache</c> (revalidated each time, so an upgrade is seen at the
/// next load, never a stale mix of modules) and the security headers of <see cref="Secure"/>.
/// </summary>
public sealed class ConsoleAssets
{
    /// <summary>
    /// The console's CSP: its own origin only (scripts, styles, fetches), images also as data:/blob: (the playground's
    /// attachment preview), no frames, no inline script or style, no plugins, forms nowhere.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; " +
        "font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private const string Prefix = "console/";

    private readonly FrozenDictionary<string, Asset> assets;

    /// <summary>Reads every embedded console file of <paramref name="assembly"/>.</summary>
    public ConsoleAssets(Assembly assembly)
    {
        var map = new Dictionary<string, Asset>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames())
        {
            if (!name.StartsWith(Prefix, StringComparison.Ordinal))
            {
                continue;
            }

            using var stream = assembly.GetManifestResourceStream(name)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var bytes = copy.ToArray();
            var path = name[Prefix.Length..].Replace('\\', '/');
            map[path] = new Asset(bytes, ContentType(path), "\"" + Convert.ToBase64String(SHA256.HashData(bytes), 0, 18) + "\"");
        }

        assets = map.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>How many files are embedded.</summary>
    public int Count => assets.Count;

    /// <summary>Serves <paramref name="path"/> (relative to <c>/console/</c>; empty is <c>index.html</c>), or a 404.</summary>
    public Task ServeAsync(HttpContext http, string path)
    {
        var response = http.Response;
        Secure(response);
        if (!assets.TryGetValue(path.Length == 0 ? "index.html" : path, out var asset))
        {
            response.StatusCode = 404;
            response.ContentType = "text/plain; charset=utf-8";
            return response.WriteAsync("Not found.");
        }

        response.Headers.ETag = asset.ETag;
        response.Headers.CacheControl = "no-cache";
        if (http.Request.Headers.IfNoneMatch == asset.ETag)
        {
            response.StatusCode = 304;
            return Task.CompletedTask;
        }

        response.ContentType = asset.ContentType;
        response.ContentLength = asset.Bytes.Length;
        return HttpMethods.IsHead(http.Request.Method) ? Task.CompletedTask : response.Body.WriteAsync(asset.Bytes).AsTask();
    }

    /// <summary>The headers every console answer carries: the CSP, no MIME sniffing, no referrer, no framing.</summary>
    public static void Secure(HttpResponse response)
    {
        response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers["Referrer-Policy"] = "no-referrer";
        response.Headers.XFrameOptions = "DENY";
    }

    /// <summary>The content type of a file by its extension (the console ships only these kinds).</summary>
    internal static string ContentType(string path) => Path.GetExtension(path) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".png" => "image/png",
        ".json" => "application/json",
        _ => "application/octet-stream",
    };

    private sealed record Asset(byte[] Bytes, string ContentType, string ETag);
}
