using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Switchyard.Core;

/// <summary>A deployment as the dispatcher sees it: URIs, credentials and encoded model ready to send.</summary>
public sealed class DeploymentTarget
{
    private DeploymentTarget(DeploymentConfig config, KeyPool? keys)
    {
        Config = config;
        var baseUrl = config.Provider.BaseUrl.ToString().TrimEnd('/');
        ChatCompletionsUri = new Uri(baseUrl + "/chat/completions");
        EmbeddingsUri = new Uri(baseUrl + "/embeddings");
        EncodedModel = Encoding.UTF8.GetBytes(JsonSerializerHelpers.Quote(config.UpstreamModel));
        Keys = keys;
    }

    /// <summary>The configured deployment.</summary>
    public DeploymentConfig Config { get; }

    /// <summary>Deployment name (<c>deployments.NAME</c>).</summary>
    public string Name => Config.Name;

    /// <summary><c>{base_url}/chat/completions</c>.</summary>
    public Uri ChatCompletionsUri { get; }

    /// <summary><c>{base_url}/embeddings</c>.</summary>
    public Uri EmbeddingsUri { get; }

    /// <summary><c>{base_url}/{path}</c>, for the endpoints beyond chat (<c>images/generations</c>, <c>audio/speech</c>).</summary>
    public Uri MediaUri(string path) => new(Config.Provider.BaseUrl.ToString().TrimEnd('/') + "/" + path);

    /// <summary>The upstream model as a JSON string token (quotes included), spliced into bodies.</summary>
    public byte[] EncodedModel { get; }

    /// <summary>The provider's key pool, or null for keyless providers (and Bedrock signing with SigV4).</summary>
    public KeyPool? Keys { get; }

    /// <summary>
    /// Picks the key for <paramref name="message"/> (<see cref="KeyPool.Next"/>) and records the lease in its
    /// options (<see cref="KeyPool.LeaseOption"/>), where the attempt reads it back to report a refusal. Adapters
    /// call this where they set authentication; null for keyless providers.
    /// </summary>
    public KeyLease? LeaseKey(HttpRequestMessage message)
    {
        if (Keys is not { } pool)
        {
            return null;
        }

        var lease = pool.Next();
        if (pool.Count > 1)
        {
            // Only a pool with somewhere to rotate to needs the lease back after a failure; a single key skips
            // the per-request options dictionary (its cooldown would change nothing: it is the only key).
            message.Options.Set(KeyPool.LeaseOption, lease);
        }

        return lease;
    }

    /// <summary>The <c>Authorization: Bearer</c> header for <paramref name="message"/>'s key (see <see cref="LeaseKey"/>), or null when keyless.</summary>
    public AuthenticationHeaderValue? LeaseBearer(HttpRequestMessage message) => LeaseKey(message)?.Bearer;

    /// <inheritdoc />
    public override string ToString() => Name;

    /// <summary>Creates the runtime view of <paramref name="config"/> with a key pool of its own (tests, tools).</summary>
    public static DeploymentTarget Create(DeploymentConfig config) => new(config, KeyPool.Standalone(config.Provider));

    /// <summary>Creates the runtime view of <paramref name="config"/> using <paramref name="keys"/> (the provider's pool).</summary>
    public static DeploymentTarget Create(DeploymentConfig config, KeyPool? keys) => new(config, keys);
}

/// <summary>Small JSON helpers that need no serializer (AOT).</summary>
internal static class JsonSerializerHelpers
{
    /// <summary>The JSON string literal for <paramref name="value"/>, quotes included.</summary>
    public static string Quote(string value) => "\"" + JsonEncodedText.Encode(value).ToString() + "\"";
}
