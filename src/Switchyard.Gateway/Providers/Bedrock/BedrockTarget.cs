
namespace Switchyard.Providers.Bedrock;

/// <summary>
/// What a model id says about the Converse fields it takes beyond the common ones. Bedrock model ids come
/// bare (<c>anthropic.claude-…</c>), as cross-region inference profiles (<c>us.anthropic.claude-…</c>) or as
/// ARNs ending in one of those, so the family is found by substring. Application inference profile ARNs
/// name no family: they get the common fields only.
/// </summary>
/// <param name="Anthropic">Claude: thinking budgets, <c>top_k</c>, cache points, tool-result status.</param>
/// <param name="Nova">Amazon Nova: <c>topK</c> under <c>inferenceConfig</c>, cache points.</param>
public readonly record struct BedrockModelTraits(bool Anthropic, bool Nova)
{
    /// <summary>Traits of <paramref name="modelId"/>.</summary>
    public static BedrockModelTraits For(string modelId) => new(
        modelId.Contains("anthropic.", StringComparison.OrdinalIgnoreCase),
        modelId.Contains("amazon.nova", StringComparison.OrdinalIgnoreCase));

    /// <summary>Explicit prompt-cache checkpoints (<c>cachePoint</c> blocks) are accepted.</summary>
    public bool CachePoints => Anthropic || Nova;
}

/// <summary>
/// A Bedrock deployment resolved once per configuration snapshot: endpoint URIs, signing region, credentials
/// and model traits. Credentials are read from the environment variables the provider's settings name
/// (default <c>AWS_ACCESS_KEY_ID</c>, <c>AWS_SECRET_ACCESS_KEY</c>, <c>AWS_SESSION_TOKEN</c>); they are never
/// logged and this type never prints them.
/// </summary>
internal sealed class BedrockTarget
{
    private BedrockTarget(Uri converse, Uri converseStream, string region, AwsCredentials? credentials, string? missing, BedrockModelTraits traits)
    {
        ConverseUri = converse;
        ConverseStreamUri = converseStream;
        Region = region;
        Credentials = credentials;
        MissingCredentials = missing;
        Traits = traits;
    }

    /// <summary><c>{base}/model/{modelId}/converse</c>.</summary>
    public Uri ConverseUri { get; }

    /// <summary><c>{base}/model/{modelId}/converse-stream</c>.</summary>
    public Uri ConverseStreamUri { get; }

    /// <summary>The region in the credential scope.</summary>
    public string Region { get; }

    /// <summary>Signing credentials, or null when the environment lacks them.</summary>
    public AwsCredentials? Credentials { get; }

    /// <summary>When <see cref="Credentials"/> is null: which variable is unset (a name, never a value).</summary>
    public string? MissingCredentials { get; }

    /// <summary>Fields the model takes.</summary>
    public BedrockModelTraits Traits { get; }

    /// <summary>Resolves <paramref name="deployment"/>; <paramref name="environment"/> is the variable lookup.</summary>
    public static BedrockTarget Create(DeploymentTarget deployment, Func<string, string?> environment)
    {
        var provider = deployment.Config.Provider;
        var model = deployment.Config.UpstreamModel;

        // The model id is one path segment: ':' (version suffixes) and '/' (ARNs) must be escaped.
        var prefix = provider.BaseUrl.ToString().TrimEnd('/') + "/model/" + Uri.EscapeDataString(model);
        var region = provider.Setting("region") ?? RegionFromHost(provider.BaseUrl.Host) ?? "us-east-1";

        var idName = provider.Setting("access_key_id_env", "AWS_ACCESS_KEY_ID")!;
        var secretName = provider.Setting("secret_access_key_env", "AWS_SECRET_ACCESS_KEY")!;
        var tokenName = provider.Setting("session_token_env", "AWS_SESSION_TOKEN")!;
        var id = environment(idName);
        var secret = environment(secretName);
        var token = environment(tokenName);
        AwsCredentials? credentials = null;
        string? missing = null;
        if (string.IsNullOrEmpty(id))
        {
            missing = idName;
        }
        else if (string.IsNullOrEmpty(secret))
        {
            missing = secretName;
        }
        else
        {
            credentials = new AwsCredentials(id, secret, string.IsNullOrEmpty(token) ? null : token);
        }

        return new BedrockTarget(new Uri(prefix + "/converse"), new Uri(prefix + "/converse-stream"), region, credentials, missing,
            BedrockModelTraits.For(model));
    }

    /// <summary>The region of an endpoint host (<c>bedrock-runtime[-fips].{region}.amazonaws.com</c>), or null.</summary>
    internal static string? RegionFromHost(string host)
    {
        // Also covers VPC endpoint names (vpce-….bedrock-runtime.{region}.vpce.amazonaws.com).
        var parts = host.Split('.');
        var at = Array.FindIndex(parts, p => p.StartsWith("bedrock-runtime", StringComparison.OrdinalIgnoreCase));
        return at >= 0 && at + 2 < parts.Length ? parts[at + 1] : null;
    }
}
