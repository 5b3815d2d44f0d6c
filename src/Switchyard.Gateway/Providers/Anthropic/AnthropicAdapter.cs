using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Switchyard.Canonical;

namespace Switchyard.Providers.Anthropic;

/// <summary>
/// The Anthropic Messages protocol as an upstream: <c>POST {base_url}/messages</c> with <c>x-api-key</c>,
/// <c>anthropic-version</c> (provider setting <c>anthropic_version</c>, default
/// <see cref="AnthropicVersionRules.DefaultVersion"/>) and <c>anthropic-beta</c> (setting <c>anthropic_beta</c>).
/// Also the error classifier of the Anthropic passthrough path.
/// </summary>
public sealed class AnthropicAdapter : IProviderAdapter
{
    /// <summary>The protocol name.</summary>
    public const string ProtocolName = "anthropic";

    /// <summary>Set on a request whose <c>anthropic-version</c> came from the provider's settings (it then beats the client's).</summary>
    internal static readonly HttpRequestOptionsKey<bool> VersionFromSettingKey = new("switchyard.anthropic.version-from-setting");

    // Built once per deployment of a route table; weak keys let a replaced table's targets go.
    private static readonly ConditionalWeakTable<DeploymentTarget, Uri> MessagesUris = [];

    /// <inheritdoc />
    public string Protocol => ProtocolName;

    /// <summary><c>{base_url}/messages</c>.</summary>
    public static Uri MessagesUri(DeploymentTarget deployment) =>
        MessagesUris.GetValue(deployment, static d => new Uri(d.Config.Provider.BaseUrl.ToString().TrimEnd('/') + "/messages"));

    /// <summary><c>{base_url}/messages/count_tokens</c>.</summary>
    public static Uri CountTokensUri(DeploymentTarget deployment) => new(MessagesUri(deployment) + "/count_tokens");

    /// <inheritdoc />
    public void PreparePassthrough(HttpRequestMessage message, DeploymentTarget deployment, Operation operation, bool stream)
    {
        message.RequestUri = MessagesUri(deployment);
        ApplyProviderHeaders(message, deployment);
    }

    /// <summary>Authentication, version, betas and the provider's static headers.</summary>
    public static void ApplyProviderHeaders(HttpRequestMessage message, DeploymentTarget deployment)
    {
        var provider = deployment.Config.Provider;
        if (deployment.LeaseKey(message) is { } lease)
        {
            message.Headers.TryAddWithoutValidation("x-api-key", lease.Key);
        }

        var version = provider.Setting("anthropic_version");
        message.Headers.TryAddWithoutValidation("anthropic-version", version ?? AnthropicVersionRules.DefaultVersion);
        message.Options.Set(VersionFromSettingKey, version is not null);
        if (provider.Setting("anthropic_beta") is { Length: > 0 } beta)
        {
            message.Headers.TryAddWithoutValidation("anthropic-beta", beta);
        }

        foreach (var (name, value) in provider.Headers)
        {
            message.Headers.TryAddWithoutValidation(name, value);
        }
    }

    /// <inheritdoc />
    public UpstreamRequest BuildRequest(ChatRequest request, DeploymentTarget deployment, bool allowDrop)
    {
        var dropped = new List<string>();
        var rules = AnthropicVersionRules.For(deployment.Config.Provider.Setting("anthropic_version"));
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(buffer, AnthropicJson.WriterOptions))
        {
            AnthropicRequestWriter.Write(w, request, deployment.Config.UpstreamModel, rules, allowDrop, dropped);
        }

        var message = new HttpRequestMessage(HttpMethod.Post, MessagesUri(deployment))
        {
            Content = new ByteArrayContent(buffer.WrittenSpan.ToArray()),
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrHigher,
        };
        message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        ApplyProviderHeaders(message, deployment);
        return new UpstreamRequest(message, dropped);
    }

    /// <inheritdoc />
    public ChatResponse ParseResponse(ReadOnlySpan<byte> body, DeploymentTarget deployment)
    {
        var reader = new Utf8JsonReader(body);
        using var doc = JsonDocument.ParseValue(ref reader);
        return AnthropicResponses.Read(doc.RootElement);
    }

    /// <inheritdoc />
    public IStreamDecoder CreateStreamDecoder(DeploymentTarget deployment) => new AnthropicStreamDecoder();

    /// <inheritdoc />
    public UpstreamFailure ClassifyError(int status, byte[]? body, HttpResponseHeaders headers, DeploymentTarget deployment) =>
        Classify(status, body, headers, deployment.Name);

    /// <summary>
    /// Status first, refined by Anthropic's <c>error.type</c> and message: <c>overloaded_error</c> (HTTP 529) is a
    /// server failure worth another deployment; "prompt is too long" / "exceed context limit" is a context-window
    /// failure (a larger model may serve it); <c>billing_error</c> is the gateway's account, not the client's fault.
    /// </summary>
    public static UpstreamFailure Classify(int status, byte[]? body, HttpResponseHeaders headers, string deployment)
    {
        var kind = FailureClassifier.FromStatus(status);
        var (type, message) = body is { Length: > 0 } ? AnthropicErrors.Read(body) : (null, null);
        if (type == "overloaded_error" || status == 529)
        {
            kind = FailureKind.ServerError;
        }
        else if (type == "billing_error")
        {
            kind = FailureKind.Auth;
        }
        else if (status is 400 or 413 && message is not null && IsContextWindow(message))
        {
            kind = FailureKind.ContextWindow;
        }

        return new UpstreamFailure(kind, $"deployment '{deployment}' returned HTTP {status}", status,
            RetryAfter.Parse(headers, DateTimeOffset.UtcNow), body);
    }

    private static bool IsContextWindow(string message) =>
        message.Contains("prompt is too long", StringComparison.OrdinalIgnoreCase)
        || message.Contains("exceed context limit", StringComparison.OrdinalIgnoreCase)
        || message.Contains("context window", StringComparison.OrdinalIgnoreCase);
}
