using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Switchyard.Canonical;

namespace Switchyard.Providers.Bedrock;

/// <summary>
/// AWS Bedrock through the Converse / ConverseStream API (<c>POST {base}/model/{modelId}/converse[-stream]</c>),
/// signed with SigV4. No client format speaks Converse, so every request takes the translated path. A provider
/// with an API key (<c>api_key_env</c>: a Bedrock API key) sends it as a bearer token instead of signing.
/// </summary>
public sealed class BedrockAdapter : IProviderAdapter
{
    /// <summary>The protocol name (never equal to a client format's passthrough protocol).</summary>
    public const string ProtocolName = "bedrock-converse";

    /// <summary>The SigV4 service name of the Bedrock runtime.</summary>
    public const string SigningService = "bedrock";

    /// <summary>Per-deployment facts, resolved on first use of each configuration snapshot's deployment
    /// (a reload builds new <see cref="DeploymentTarget"/>s, so credentials are re-read then).</summary>
    private readonly ConditionalWeakTable<DeploymentTarget, BedrockTarget> targets = new();

    private readonly TimeProvider time;
    private readonly Func<string, string?> environment;
    private readonly Func<string> newId;
    private readonly ConditionalWeakTable<DeploymentTarget, BedrockTarget>.CreateValueCallback resolve;

    /// <summary>Creates the adapter.</summary>
    /// <param name="time">Clock for request signatures (tests pass a fixed one).</param>
    /// <param name="environment">Variable lookup for credentials (the process environment in production).</param>
    /// <param name="newId">Response ids (Converse returns none); random by default.</param>
    public BedrockAdapter(TimeProvider time, Func<string, string?> environment, Func<string>? newId = null)
    {
        this.time = time;
        this.environment = environment;
        this.newId = newId ?? (() => "bedrock-" + Guid.NewGuid().ToString("N")[..24]);
        resolve = d => BedrockTarget.Create(d, this.environment);
    }

    /// <inheritdoc />
    public string Protocol => ProtocolName;

    /// <inheritdoc />
    public void PreparePassthrough(HttpRequestMessage message, DeploymentTarget deployment, Operation operation, bool stream) =>
        throw new NotSupportedException("No client format speaks Bedrock Converse; Bedrock deployments are always reached through translation.");

    /// <inheritdoc />
    public UpstreamRequest BuildRequest(ChatRequest request, DeploymentTarget deployment, bool allowDrop)
    {
        var target = Target(deployment);
        var dropped = new List<string>();
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(buffer))
        {
            BedrockRequestWriter.Write(w, request, target.Traits, allowDrop, dropped);
        }

        var body = buffer.WrittenSpan.ToArray();
        var message = new HttpRequestMessage(HttpMethod.Post, request.Stream ? target.ConverseStreamUri : target.ConverseUri)
        {
            Content = new ByteArrayContent(body),
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrHigher,
        };
        message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(request.Stream ? "application/vnd.amazon.eventstream" : "application/json"));
        foreach (var (name, value) in deployment.Config.Provider.Headers)
        {
            message.Headers.TryAddWithoutValidation(name, value);
        }

        if (deployment.LeaseBearer(message) is { } bearer)
        {
            message.Headers.Authorization = bearer;
        }
        else if (target.Credentials is { } credentials)
        {
            SigV4Signer.Sign(message, body, credentials, target.Region, SigningService, time.GetUtcNow());
        }

        // Without credentials the request goes out unsigned: Bedrock answers 403, which falls back like any
        // credential failure, and ClassifyError names the unset variable.
        return new UpstreamRequest(message, dropped);
    }

    /// <inheritdoc />
    public ChatResponse ParseResponse(ReadOnlySpan<byte> body, DeploymentTarget deployment)
    {
        using var doc = JsonDocument.Parse(body.ToArray());
        return BedrockResponseReader.Read(doc.RootElement, newId(), deployment.Config.UpstreamModel);
    }

    /// <inheritdoc />
    public IStreamDecoder CreateStreamDecoder(DeploymentTarget deployment) => new BedrockStreamDecoder(newId(), deployment.Config.UpstreamModel);

    /// <inheritdoc />
    public UpstreamFailure ClassifyError(int status, byte[]? body, HttpResponseHeaders headers, DeploymentTarget deployment)
    {
        var target = Target(deployment);
        var missing = deployment.Keys is null ? target.MissingCredentials : null;
        return BedrockErrors.Classify(status, body, headers, deployment.Name, missing, time.GetUtcNow());
    }

    private BedrockTarget Target(DeploymentTarget deployment) => targets.GetValue(deployment, resolve);
}
