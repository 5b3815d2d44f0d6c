
namespace Switchyard.Providers.Vertex;

/// <summary>Whose model a Vertex deployment serves, which decides the wire format.</summary>
public enum VertexPublisher
{
    /// <summary>Gemini: <c>generateContent</c> with the Gemini API's body.</summary>
    Google,

    /// <summary>Claude: <c>rawPredict</c> with an Anthropic Messages body.</summary>
    Anthropic,
}

/// <summary>
/// A Vertex deployment resolved once per configuration snapshot: publisher, endpoint URIs, and its provider's
/// token source (or why it has none).
/// </summary>
internal sealed class VertexTarget
{
    private VertexTarget(VertexPublisher publisher, Uri call, Uri stream, VertexTokenSource? tokens, string? problem)
    {
        Publisher = publisher;
        CallUri = call;
        StreamUri = stream;
        Tokens = tokens;
        CredentialsProblem = problem;
    }

    /// <summary>Gemini or Claude.</summary>
    public VertexPublisher Publisher { get; }

    /// <summary><c>…:generateContent</c> or <c>…:rawPredict</c>.</summary>
    public Uri CallUri { get; }

    /// <summary><c>…:streamGenerateContent?alt=sse</c> or <c>…:streamRawPredict</c>.</summary>
    public Uri StreamUri { get; }

    /// <summary>The provider's tokens; null when the deployment has a static key or no usable credentials.</summary>
    public VertexTokenSource? Tokens { get; }

    /// <summary>Why there are no <see cref="Tokens"/> (names a variable or file, never a secret).</summary>
    public string? CredentialsProblem { get; }

    /// <summary>Why a request may have gone out without a token: unusable credentials or the last failed mint.</summary>
    public string? AuthProblem => CredentialsProblem ?? Tokens?.LastFailure;

    /// <summary>Resolves <paramref name="deployment"/>; a provider with keys of its own (a key pool) mints nothing.</summary>
    public static VertexTarget Create(DeploymentTarget deployment, VertexTokenSources sources)
    {
        var provider = deployment.Config.Provider;
        var model = deployment.Config.UpstreamModel;
        var publisher = PublisherFor(provider.Setting("publisher"), model);
        var prefix = ModelUrl(provider, model, publisher);
        var (call, stream) = publisher == VertexPublisher.Anthropic
            ? (":rawPredict", ":streamRawPredict")
            : (":generateContent", ":streamGenerateContent?alt=sse");
        var (tokens, problem) = deployment.Keys is null ? sources.For(provider) : (null, null);
        return new VertexTarget(publisher, new Uri(prefix + call), new Uri(prefix + stream), tokens, problem);
    }

    /// <summary>The <c>publisher</c> setting, else inferred: a model whose name starts with <c>claude</c> is Anthropic's.</summary>
    public static VertexPublisher PublisherFor(string? setting, string model) => setting switch
    {
        "anthropic" => VertexPublisher.Anthropic,
        "google" => VertexPublisher.Google,
        _ => model[(model.LastIndexOf('/') + 1)..].StartsWith("claude", StringComparison.OrdinalIgnoreCase)
            ? VertexPublisher.Anthropic
            : VertexPublisher.Google,
    };

    /// <summary>
    /// <c>{base}/v1/projects/{project}/locations/{location}/publishers/{publisher}/models/{model}</c>. A model given
    /// as a resource path is used as one: <c>projects/…</c> whole (another project, a tuned model's endpoint), and
    /// any other path (<c>endpoints/123</c>) under the configured project and location. A base URL that already
    /// ends in an API version (<c>/v1</c>, <c>/v1beta1</c>) keeps it.
    /// </summary>
    public static string ModelUrl(ProviderConfig provider, string model, VertexPublisher publisher)
    {
        var root = provider.BaseUrl.ToString().TrimEnd('/');
        if (!root.EndsWith("/v1", StringComparison.Ordinal) && !root.EndsWith("/v1beta1", StringComparison.Ordinal))
        {
            root += "/v1";
        }

        if (model.StartsWith("projects/", StringComparison.Ordinal))
        {
            return root + "/" + model;
        }

        // The binder requires both; a hand-built configuration without them is a programming error.
        var project = provider.Setting("project") ?? throw new InvalidOperationException($"provider '{provider.Name}' has no settings.project");
        var location = provider.Setting("location") ?? throw new InvalidOperationException($"provider '{provider.Name}' has no settings.location");
        var scope = $"{root}/projects/{Segment(project)}/locations/{Segment(location)}/";
        if (model.Contains('/', StringComparison.Ordinal))
        {
            return scope + model;
        }

        return scope + (publisher == VertexPublisher.Anthropic ? "publishers/anthropic/models/" : "publishers/google/models/") + Segment(model);
    }

    /// <summary>One escaped path segment; '@' stays as is, since Vertex model versions read <c>claude-sonnet-4@20250514</c>.</summary>
    private static string Segment(string value) => Uri.EscapeDataString(value).Replace("%40", "@", StringComparison.Ordinal);
}
