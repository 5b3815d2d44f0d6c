using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Switchyard.Canonical;
using Switchyard.Providers.Anthropic;
using Switchyard.Providers.Gemini;

namespace Switchyard.Providers.Vertex;

/// <summary>
/// Google Vertex AI as an upstream, for both model families it serves:
/// <list type="bullet">
/// <item>Gemini (publisher <c>google</c>): <c>POST {base}/v1/projects/{project}/locations/{location}/publishers/google/models/{model}:generateContent</c>
/// (<c>:streamGenerateContent?alt=sse</c> for streams) with the Gemini API's body, answers and errors, through
/// the Gemini translators.</item>
/// <item>Claude (publisher <c>anthropic</c>): <c>…/publishers/anthropic/models/{model}:rawPredict</c>
/// (<c>:streamRawPredict</c>) with the Anthropic Messages body less <c>model</c> plus
/// <c>"anthropic_version": "vertex-2023-10-16"</c> (<see cref="VertexAnthropicBody"/>); answers and streams are
/// Anthropic's, through the Anthropic translators.</item>
/// </list>
/// The publisher is the provider's <c>publisher</c> setting, else inferred from the model name (<c>claude…</c> →
/// anthropic). Every request carries <c>Authorization: Bearer</c> with an OAuth2 access token minted from a
/// service-account key (<see cref="VertexTokenSources"/>: settings <c>credentials_env</c>, <c>credentials_file_env</c>,
/// <c>token_url</c>). A provider with keys (<c>api_key_env</c>, <c>api_keys</c>) sends them from its key pool as the
/// bearer token instead and mints nothing, for access tokens obtained elsewhere.
/// <para>
/// <b>Tokens and the synchronous <see cref="BuildRequest"/>.</b> Minting is I/O, but BuildRequest cannot await.
/// Each provider's <see cref="VertexTokenSource"/> therefore refreshes its token in the background, five minutes
/// before expiry, and BuildRequest reads the current token without waiting. Only when a provider has no valid
/// token at all (its first request; or after sitting idle past a token's life, since idle providers stop
/// refreshing) does BuildRequest block its thread on the one mint that all concurrent callers share, for at most
/// the deployment's first-byte timeout and never more than 30 s. When no token can be had (unusable credentials,
/// a failed or timed-out mint, or the backoff after one), the request goes out without a token; Vertex answers
/// 401 and <see cref="ClassifyError"/> reports an <see cref="FailureKind.Auth"/> failure naming the cause, so the
/// router falls back as for any credential failure. The alternative, throwing from BuildRequest, would end the
/// client's request with a 500 instead of a fallback.
/// </para>
/// No client format speaks "vertex", so there is no passthrough: Anthropic clients routed here are translated.
/// </summary>
public sealed class VertexAdapter : IProviderAdapter, IDisposable
{
    /// <summary>The protocol name (matches no client format, so every request is translated).</summary>
    public const string ProtocolName = "vertex";

    private readonly ConditionalWeakTable<DeploymentTarget, VertexTarget> targets = new();
    private readonly ConditionalWeakTable<DeploymentTarget, VertexTarget>.CreateValueCallback resolve;
    private readonly Lazy<HttpMessageInvoker> tokenHttp;
    private readonly bool ownsTokenHttp;
    private readonly TimeProvider time;

    /// <summary>Creates the adapter.</summary>
    /// <param name="time">Clock for assertions, token expiry and the refresh timers (tests pass a fake).</param>
    /// <param name="environment">Variable lookup for the credentials (the process environment in production).</param>
    /// <param name="tokenHttp">Client for the token endpoint; by default one of its own, made on first use.</param>
    public VertexAdapter(TimeProvider time, Func<string, string?> environment, HttpMessageInvoker? tokenHttp = null)
    {
        this.time = time;
        ownsTokenHttp = tokenHttp is null;
        this.tokenHttp = tokenHttp is not null ? new Lazy<HttpMessageInvoker>(() => tokenHttp) : new Lazy<HttpMessageInvoker>(CreateTokenHttp);
        var sources = new VertexTokenSources(time, this.tokenHttp, environment);
        resolve = d => VertexTarget.Create(d, sources);
    }

    /// <inheritdoc />
    public string Protocol => ProtocolName;

    /// <inheritdoc />
    public void PreparePassthrough(HttpRequestMessage message, DeploymentTarget deployment, Operation operation, bool stream) =>
        throw new NotSupportedException("Vertex AI has no passthrough path: its Claude body differs from Anthropic's (no model, anthropic_version), so requests are translated.");

    /// <inheritdoc />
    public UpstreamRequest BuildRequest(ChatRequest request, DeploymentTarget deployment, bool allowDrop)
    {
        var target = Target(deployment);
        var dropped = new List<string>();
        byte[] body;
        if (target.Publisher == VertexPublisher.Anthropic)
        {
            body = VertexAnthropicBody.Build(request, deployment.Config.UpstreamModel, allowDrop, dropped);
        }
        else
        {
            var buffer = new ArrayBufferWriter<byte>(1024);
            using (var w = new Utf8JsonWriter(buffer, GeminiJson.WriterOptions))
            {
                GeminiRequestWriter.Write(w, request, dropped, allowDrop);
            }

            body = buffer.WrittenSpan.ToArray();
        }

        var message = new HttpRequestMessage(HttpMethod.Post, request.Stream ? target.StreamUri : target.CallUri)
        {
            Content = new ByteArrayContent(body),
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrHigher,
        };
        message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        foreach (var (name, value) in deployment.Config.Provider.Headers)
        {
            message.Headers.TryAddWithoutValidation(name, value);
        }

        // Last, after translation: a request refused as unsupported never waits for a token.
        message.Headers.Authorization = deployment.LeaseBearer(message) ?? target.Tokens?.Authorization(deployment.Config.Timeouts.FirstByte);
        return new UpstreamRequest(message, dropped);
    }

    /// <inheritdoc />
    public ChatResponse ParseResponse(ReadOnlySpan<byte> body, DeploymentTarget deployment)
    {
        var reader = new Utf8JsonReader(body);
        using var doc = JsonDocument.ParseValue(ref reader);
        return Target(deployment).Publisher == VertexPublisher.Anthropic
            ? AnthropicResponses.Read(doc.RootElement)
            : GeminiResponses.Read(doc.RootElement, deployment.Config.UpstreamModel);
    }

    /// <inheritdoc />
    public IStreamDecoder CreateStreamDecoder(DeploymentTarget deployment) =>
        Target(deployment).Publisher == VertexPublisher.Anthropic
            ? new AnthropicStreamDecoder()
            : new GeminiStreamDecoder(deployment.Config.UpstreamModel);

    /// <summary>
    /// By the error's envelope rather than the publisher: Claude's own errors (overloaded, prompt too long) come in
    /// Anthropic's envelope, while Vertex's (quota, permission, unknown model) come in Google's for both
    /// publishers. A 401/403 while this gateway had no token to send names why, as an Auth failure.
    /// </summary>
    public UpstreamFailure ClassifyError(int status, byte[]? body, HttpResponseHeaders headers, DeploymentTarget deployment)
    {
        var failure = body is { Length: > 0 } && AnthropicErrors.IsErrorBody(body)
            ? AnthropicAdapter.Classify(status, body, headers, deployment.Name)
            : GeminiAdapter.Classify(status, body, headers, deployment.Name, time.GetUtcNow());
        if (status is 401 or 403 && deployment.Keys is null && Target(deployment).AuthProblem is { } problem)
        {
            return failure with { Kind = FailureKind.Auth, Message = $"{failure.Message}; no Vertex access token: {problem}" };
        }

        return failure;
    }

    /// <summary>The resolved view of <paramref name="deployment"/> (tests look at its URIs and token source).</summary>
    internal VertexTarget Target(DeploymentTarget deployment) => targets.GetValue(deployment, resolve);

    /// <inheritdoc />
    public void Dispose()
    {
        if (ownsTokenHttp && tokenHttp.IsValueCreated)
        {
            tokenHttp.Value.Dispose();
        }
    }

    private static HttpMessageInvoker CreateTokenHttp() => new(new SocketsHttpHandler
    {
        UseProxy = false, // like the upstream stack (UpstreamHttp)
        AllowAutoRedirect = false,
        UseCookies = false,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        ConnectTimeout = TimeSpan.FromSeconds(10),
    }, disposeHandler: true);
}
