using System.Security.Cryptography;
using System.Text;

namespace Switchyard.Providers.Vertex;

/// <summary>
/// The token source of each Vertex provider, by provider name. Every deployment of a provider shares it, and a
/// configuration reload keeps it (and its cached token) as long as the credentials and token endpoint are
/// unchanged; changed credentials get a new source. A replaced source is not disposed, since requests of the
/// previous configuration may still be using it; its refresh timer stops by itself once nobody does.
/// </summary>
internal sealed class VertexTokenSources(TimeProvider time, Lazy<HttpMessageInvoker> http, Func<string, string?> environment)
{
    /// <summary>The variable naming the key file when <c>credentials_file_env</c> is not set (Google's ADC convention).</summary>
    public const string DefaultCredentialsFileEnv = "GOOGLE_APPLICATION_CREDENTIALS";

    private readonly Dictionary<string, Entry> byProvider = new(StringComparer.Ordinal);
    private readonly Lock gate = new();

    /// <summary>The token source for <paramref name="provider"/>, or why there is none (safe to show).</summary>
    public (VertexTokenSource? Source, string? Problem) For(ProviderConfig provider)
    {
        byte[] json;
        try
        {
            json = Load(provider);
        }
        catch (VertexCredentialsException ex)
        {
            return (null, ex.Message);
        }

        var tokenUrl = provider.Setting("token_url");
        var fingerprint = Fingerprint(json, tokenUrl);
        lock (gate)
        {
            if (!byProvider.TryGetValue(provider.Name, out var entry) || entry.Fingerprint != fingerprint)
            {
                entry = Create(json, tokenUrl, fingerprint);
                byProvider[provider.Name] = entry;
            }

            return (entry.Source, entry.Problem);
        }
    }

    /// <summary>
    /// The key's JSON: the value of the variable named by <c>credentials_env</c> when that is set, else the file
    /// named by the variable <c>credentials_file_env</c> (default <see cref="DefaultCredentialsFileEnv"/>).
    /// </summary>
    internal byte[] Load(ProviderConfig provider)
    {
        if (provider.Setting("credentials_env") is { Length: > 0 } jsonVariable)
        {
            return environment(jsonVariable) is { Length: > 0 } value
                ? Encoding.UTF8.GetBytes(value)
                : throw new VertexCredentialsException($"environment variable {jsonVariable} (settings.credentials_env) is not set");
        }

        var fileVariable = provider.Setting("credentials_file_env") is { Length: > 0 } name ? name : DefaultCredentialsFileEnv;
        if (environment(fileVariable) is not { Length: > 0 } path)
        {
            throw new VertexCredentialsException(
                $"environment variable {fileVariable} is not set: it should name a service-account key file (or set settings.credentials_env)");
        }

        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            // The exception's type says enough; a path is not a secret, but messages of some exceptions carry more.
            var why = ex switch
            {
                FileNotFoundException or DirectoryNotFoundException => "it does not exist",
                UnauthorizedAccessException => "permission denied",
                _ => ex.GetType().Name,
            };
            throw new VertexCredentialsException($"cannot read the service-account key file '{path}' named by {fileVariable}: {why}");
        }
    }

    private Entry Create(byte[] json, string? tokenUrl, string fingerprint)
    {
        try
        {
            var key = ServiceAccountKey.Parse(json);
            var target = tokenUrl ?? key.TokenUri;
            if (!Uri.TryCreate(target, UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("https" or "http"))
            {
                key.Dispose();
                throw new VertexCredentialsException(tokenUrl is null
                    ? "token_uri of the service-account key is not an absolute http(s) URL"
                    : "settings.token_url is not an absolute http(s) URL");
            }

            return new Entry(fingerprint, new VertexTokenSource(key, endpoint, http.Value, time), null);
        }
        catch (VertexCredentialsException ex)
        {
            return new Entry(fingerprint, null, ex.Message);
        }
    }

    /// <summary>A hash, so that the dictionary never holds key material as a string.</summary>
    private static string Fingerprint(byte[] json, string? tokenUrl)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(json);
        hash.AppendData([0]);
        hash.AppendData(Encoding.UTF8.GetBytes(tokenUrl ?? ""));
        return Convert.ToHexString(hash.GetHashAndReset());
    }

    private sealed record Entry(string Fingerprint, VertexTokenSource? Source, string? Problem);
}
