using System.Net.Http.Headers;

using Switchyard.Canonical;

namespace Switchyard.Core;

/// <summary>What a deployment's model can do; the router never sends a request to one that cannot serve it.</summary>
public sealed record ModelCapabilities(
    bool Tools = true,
    bool Vision = true,
    bool JsonSchema = true,
    bool Thinking = false,
    int? ContextWindow = null,
    int? MaxOutputTokens = null)
{
    public static ModelCapabilities Default { get; } = new();
}

/// <summary>The upstream request an adapter built, plus what it had to drop (reported in <c>x-switchyard-dropped-params</c>).</summary>
public sealed record UpstreamRequest(HttpRequestMessage Message, IReadOnlyList<string> Dropped);

/// <summary>A canonical request the target cannot express: refused with 400 naming <see cref="Field"/>.</summary>
public sealed class UnsupportedFeatureException(string field, string reason) : Exception($"'{field}' is not supported by this deployment: {reason}")
{
    public string Field { get; } = field;
}

/// <summary>
/// One upstream wire protocol (OpenAI Chat, Anthropic Messages, Gemini, Bedrock Converse, ...). Builds
/// requests from the canonical model and maps answers, streams and errors back. Everything about one
/// provider lives in its folder under Providers/; adding one touches that folder and one registration line.
/// </summary>
public interface IProviderAdapter
{
    /// <summary>Protocol name matched against <see cref="IInboundFormat.PassthroughProtocol"/> (e.g. <c>openai</c>, <c>anthropic</c>).</summary>
    string Protocol { get; }

    /// <summary>
    /// Points a passthrough request (body already in this protocol) at the deployment: URL for the operation,
    /// authentication, provider headers. The translated path does the same inside <see cref="BuildRequest"/>.
    /// </summary>
    void PreparePassthrough(HttpRequestMessage message, DeploymentTarget deployment, Operation operation, bool stream);

    /// <summary>Builds the HTTP request. Throws <see cref="UnsupportedFeatureException"/> for what cannot be expressed
    /// unless <paramref name="allowDrop"/>, in which case the field is dropped and listed.</summary>
    UpstreamRequest BuildRequest(ChatRequest request, DeploymentTarget deployment, bool allowDrop);

    /// <summary>Maps a whole 2xx body.</summary>
    ChatResponse ParseResponse(ReadOnlySpan<byte> body, DeploymentTarget deployment);

    /// <summary>A stateful decoder for one streamed body.</summary>
    IStreamDecoder CreateStreamDecoder(DeploymentTarget deployment);

    /// <summary>Classifies a non-2xx answer (context window, content policy, rate limit ...).</summary>
    UpstreamFailure ClassifyError(int status, byte[]? body, HttpResponseHeaders headers, DeploymentTarget deployment);
}

/// <summary>Upstream stream bytes → canonical events (SSE for most, AWS event-stream for Bedrock).</summary>
public interface IStreamDecoder
{
    /// <summary>
    /// Decodes whole frames from <paramref name="data"/> into <paramref name="events"/> and returns the bytes
    /// consumed (a partial frame stays for the next call). Sets <paramref name="done"/> at the stream's
    /// proper end marker, so that an end of bytes without it is known to be a cut.
    /// </summary>
    int Decode(ReadOnlySpan<byte> data, List<StreamEvent> events, out bool done);
}

/// <summary>
/// A provider's native embeddings endpoint, for OpenAI embeddings requests routed to it (Gemini, Bedrock).
/// The OpenAI family and Azure need none of this: they pass embeddings through untranslated.
/// </summary>
public interface IEmbeddingsProvider
{
    /// <summary>Builds the upstream request; throws <see cref="UnsupportedFeatureException"/> for what the model cannot take.</summary>
    HttpRequestMessage BuildEmbeddings(EmbeddingsRequest request, DeploymentTarget deployment);

    /// <summary>Reads the upstream's 2xx body.</summary>
    EmbeddingsResult ParseEmbeddings(ReadOnlySpan<byte> body, EmbeddingsRequest request);
}
