using System.Buffers;
using System.Net.Http.Headers;

using Switchyard.Canonical;

namespace Switchyard.Core;

/// <summary>What a relayed stream event turned out to be.</summary>
public struct PassthroughEvent
{
    /// <summary>Send it to the client (false only for a usage chunk the client did not ask for).</summary>
    public bool Forward;

    /// <summary>An error event from the upstream inside a 2xx stream.</summary>
    public bool IsError;

    /// <summary>The protocol's proper end of stream (OpenAI <c>[DONE]</c>, Anthropic <c>message_stop</c>).</summary>
    public bool IsTerminal;
}

/// <summary>
/// A protocol that can be relayed untranslated when client and upstream speak it both (OpenAI in → OpenAI
/// family out; Anthropic in → Anthropic out). The body is forwarded with only the model rewritten; the
/// response bytes are relayed as they come while usage is read on the side. Implementations are pure.
/// </summary>
public interface IPassthroughProtocol
{
    /// <summary>Protocol name, equal to its adapter's <see cref="IProviderAdapter.Protocol"/>.</summary>
    string Protocol { get; }

    /// <summary>Rewrites the client's body for <paramref name="deployment"/> into a pooled buffer (caller returns it).</summary>
    byte[] RewriteBody(ReadOnlySpan<byte> body, in RequestHead head, DeploymentTarget deployment, out int length);

    /// <summary>Adds protocol headers forwarded from the client where relevant (e.g. <c>anthropic-beta</c>).
    /// URL and authentication come from the deployment's adapter (<see cref="IProviderAdapter.PreparePassthrough"/>).</summary>
    void ApplyClientHeaders(HttpRequestMessage message, Microsoft.AspNetCore.Http.IHeaderDictionary clientHeaders);

    /// <summary>Reads usage from a whole response body; true when the body is an error object despite a 2xx status.</summary>
    bool InspectBody(ReadOnlySpan<byte> body, ref TokenUsage usage);

    /// <summary>Inspects one complete SSE event of a relayed stream (reads usage, spots errors and the end).</summary>
    PassthroughEvent InspectEvent(ReadOnlySpan<byte> sseEvent, bool clientWantsUsage, ref TokenUsage usage);

    /// <summary>Classifies a non-2xx answer.</summary>
    UpstreamFailure ClassifyError(int status, byte[]? body, HttpResponseHeaders headers, DeploymentTarget deployment);

    /// <summary>Writes the protocol's in-stream error event that ends a broken stream.</summary>
    void WriteStreamError(IBufferWriter<byte> output, string message, string code);
}
