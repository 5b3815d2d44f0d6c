using System.Security.Cryptography;
using System.Text.Json;

namespace Switchyard.Providers.Vertex;

/// <summary>
/// Credentials that cannot be used (unset variable, unreadable file, not a service-account key, a token
/// endpoint that said no). The message is safe to log and to show: it names variables, files, fields and the
/// token endpoint's error code, never a key, an assertion or a token.
/// </summary>
public sealed class VertexCredentialsException(string message) : Exception(message);

/// <summary>
/// A Google service-account key (the JSON file IAM hands out): the fields that minting an access token needs.
/// Only <c>"type": "service_account"</c> is accepted; user credentials (<c>authorized_user</c>, from
/// <c>gcloud auth application-default login</c>) and workload-identity configurations mint differently and are
/// refused with a message saying so. Owns the imported RSA key: dispose it with its token source.
/// </summary>
internal sealed class ServiceAccountKey : IDisposable
{
    /// <summary>Google's OAuth2 token endpoint, used when the key names none.</summary>
    public const string DefaultTokenUri = "https://oauth2.googleapis.com/token";

    private ServiceAccountKey(string clientEmail, string? privateKeyId, string tokenUri, RSA key)
    {
        ClientEmail = clientEmail;
        PrivateKeyId = privateKeyId;
        TokenUri = tokenUri;
        Key = key;
    }

    /// <summary><c>client_email</c>: the JWT issuer.</summary>
    public string ClientEmail { get; }

    /// <summary><c>private_key_id</c>: the JWT header's <c>kid</c>, so Google picks the right public key; optional.</summary>
    public string? PrivateKeyId { get; }

    /// <summary><c>token_uri</c> exactly as written (default <see cref="DefaultTokenUri"/>): the JWT audience.</summary>
    public string TokenUri { get; }

    /// <summary>The signing key from <c>private_key</c>.</summary>
    public RSA Key { get; }

    /// <summary>Reads a key from its JSON. Throws <see cref="VertexCredentialsException"/> with a safe message.</summary>
    public static ServiceAccountKey Parse(ReadOnlySpan<byte> json)
    {
        JsonDocument doc;
        try
        {
            var reader = new Utf8JsonReader(json);
            doc = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException ex)
        {
            // The exception's own message can quote the offending bytes: report only where it broke.
            throw new VertexCredentialsException($"the service-account key is not valid JSON (line {ex.LineNumber + 1})");
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new VertexCredentialsException("the service-account key is not a JSON object");
            }

            var type = Str(root, "type");
            if (type is not null && type != "service_account")
            {
                throw new VertexCredentialsException(
                    $"credentials of type '{type}' are not supported: use a service-account key (\"type\": \"service_account\")");
            }

            var email = Str(root, "client_email") is { Length: > 0 } e ? e : throw Missing("client_email");
            var pem = Str(root, "private_key") is { Length: > 0 } p ? p : throw Missing("private_key");
            var tokenUri = Str(root, "token_uri") is { Length: > 0 } t ? t : DefaultTokenUri;
            return new ServiceAccountKey(email, Str(root, "private_key_id"), tokenUri, ImportKey(pem));
        }
    }

    /// <inheritdoc />
    public void Dispose() => Key.Dispose();

    private static RSA ImportKey(string pem)
    {
        var rsa = RSA.Create();
        try
        {
            // Google issues PKCS#8 ("BEGIN PRIVATE KEY"); ImportFromPem also takes PKCS#1 ("BEGIN RSA PRIVATE KEY").
            rsa.ImportFromPem(pem);
            return rsa;
        }
        catch (Exception ex) when (ex is ArgumentException or CryptographicException)
        {
            rsa.Dispose();
            throw new VertexCredentialsException("private_key of the service-account key is not a PEM-encoded RSA private key");
        }
    }

    private static VertexCredentialsException Missing(string field) =>
        new($"the service-account key has no '{field}' (is this a service-account key file?)");

    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
