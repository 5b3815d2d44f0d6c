using System.Net.Http.Headers;
using System.Text.Json;

namespace Switchyard.Providers.Vertex;

/// <summary>An access token and how long the token endpoint said it lives.</summary>
internal readonly record struct AccessToken(string Value, TimeSpan ExpiresIn);

/// <summary>
/// The token exchange: <c>POST token_uri</c> with the form <c>grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&amp;assertion=JWT</c>,
/// answered by <c>{"access_token":…,"expires_in":3599,"token_type":"Bearer"}</c> or an OAuth error
/// (<c>{"error":"invalid_grant","error_description":"Invalid JWT Signature."}</c>). Failures become
/// <see cref="VertexCredentialsException"/>s that carry the endpoint's error code and description, which Google
/// writes for people and which never echo the assertion.
/// </summary>
internal static class GoogleTokenEndpoint
{
    /// <summary>The JWT bearer grant type (RFC 7523).</summary>
    public const string GrantType = "urn:ietf:params:oauth:grant-type:jwt-bearer";

    /// <summary>Lifetime assumed when the answer gives none (what Google issues).</summary>
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromHours(1);

    // A token answer is well under 4 KB; anything far larger is not a token endpoint.
    private const int MaxBody = 64 * 1024;

    /// <summary>Trades <paramref name="assertion"/> for an access token.</summary>
    public static async Task<AccessToken> ExchangeAsync(HttpMessageInvoker http, Uri endpoint, string assertion, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint)
        {
            Content = new FormUrlEncodedContent([new("grant_type", GrantType), new("assertion", assertion)]),
        };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        using var response = await http.SendAsync(request, ct).ConfigureAwait(false);
        await response.Content.LoadIntoBufferAsync(MaxBody, ct).ConfigureAwait(false);
        var body = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new VertexCredentialsException($"the token endpoint answered HTTP {(int)response.StatusCode}{Describe(body)}");
        }

        return Read(body);
    }

    /// <summary>Reads a successful answer.</summary>
    internal static AccessToken Read(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            using var doc = JsonDocument.ParseValue(ref reader);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("access_token", out var token) || token.ValueKind != JsonValueKind.String
                || token.GetString() is not { Length: > 0 } value)
            {
                throw new VertexCredentialsException("the token endpoint's answer has no access_token");
            }

            if (root.TryGetProperty("token_type", out var type) && type.ValueKind == JsonValueKind.String
                && !string.Equals(type.GetString(), "Bearer", StringComparison.OrdinalIgnoreCase))
            {
                throw new VertexCredentialsException($"the token endpoint issued a '{type.GetString()}' token, not a Bearer token");
            }

            var lifetime = root.TryGetProperty("expires_in", out var e) && e.ValueKind == JsonValueKind.Number
                && e.TryGetInt64(out var seconds) && seconds > 0
                    ? TimeSpan.FromSeconds(seconds)
                    : DefaultLifetime;
            return new AccessToken(value, lifetime);
        }
        catch (JsonException)
        {
            throw new VertexCredentialsException("the token endpoint's answer is not JSON");
        }
    }

    /// <summary><c>: invalid_grant (Invalid JWT Signature.)</c> from an OAuth error body, or nothing.</summary>
    private static string Describe(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            using var doc = JsonDocument.ParseValue(ref reader);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("error", out var error))
            {
                return "";
            }

            // OAuth puts a code in "error"; Google's API envelope ({"error":{"message":…}}) turns up behind proxies.
            var code = error.ValueKind == JsonValueKind.String ? error.GetString()
                : error.ValueKind == JsonValueKind.Object && error.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString()
                : null;
            var text = root.TryGetProperty("error_description", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString()
                : error.ValueKind == JsonValueKind.Object && error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()
                : null;
            if (text is { Length: > 200 })
            {
                text = text[..200] + "…";
            }

            return code is null && text is null ? "" : $": {code}{(text is null ? "" : $" ({text})")}";
        }
        catch (JsonException)
        {
            return "";
        }
    }
}
