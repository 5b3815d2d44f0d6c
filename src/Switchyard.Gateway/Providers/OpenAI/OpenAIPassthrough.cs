using System.Buffers;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Http;
using Switchyard.Canonical;
using Switchyard.Upstream;

namespace Switchyard.Providers.OpenAI;

/// <summary>
/// OpenAI in → OpenAI family out, untranslated: the model token is rewritten (and streams are made to
/// report usage); responses are relayed byte for byte, a usage-only chunk the client did not ask for
/// excepted.
/// </summary>
public sealed class OpenAIPassthrough : IPassthroughProtocol
{
    /// <inheritdoc />
    public string Protocol => OpenAIChatAdapter.ProtocolName;

    /// <inheritdoc />
    public byte[] RewriteBody(ReadOnlySpan<byte> body, in RequestHead head, DeploymentTarget deployment, out int length) =>
        OpenAIBodyRewriter.Rewrite(body, head, deployment.EncodedModel, out length);

    /// <inheritdoc />
    public void ApplyClientHeaders(HttpRequestMessage message, IHeaderDictionary clientHeaders)
    {
        // OpenAI's protocol has no client headers that must reach the upstream.
    }

    /// <inheritdoc />
    public bool InspectBody(ReadOnlySpan<byte> body, ref TokenUsage usage) =>
        OpenAIUsageReader.TryRead(body, ref usage, out var info) && info.IsError;

    /// <inheritdoc />
    public PassthroughEvent InspectEvent(ReadOnlySpan<byte> sseEvent, bool clientWantsUsage, ref TokenUsage usage)
    {
        var result = new PassthroughEvent { Forward = true };
        var payload = SseFraming.Data(sseEvent);
        if (SseFraming.IsDone(payload))
        {
            result.IsTerminal = true;
        }
        else if (MayCarry(payload, "\"usage\""u8) || MayCarry(payload, "\"error\""u8))
        {
            if (OpenAIUsageReader.TryRead(payload, ref usage, out var info))
            {
                result.IsError = info.IsError;
                result.Forward = !(info.HasUsage && info.ChoicesEmpty && !clientWantsUsage);
            }
        }

        return result;
    }

    /// <inheritdoc />
    public UpstreamFailure ClassifyError(int status, byte[]? body, HttpResponseHeaders headers, DeploymentTarget deployment) =>
        OpenAIChatAdapter.Classify(status, body, headers, deployment.Name) with { ClientShaped = body is { Length: > 0 } && OpenAIErrors.IsErrorBody(body) };

    /// <inheritdoc />
    public void WriteStreamError(IBufferWriter<byte> output, string message, string code)
    {
        output.Write("data: "u8);
        OpenAIErrors.Write(output, message, "server_error", null, code);
        output.Write("\n\n"u8);
    }

    /// <summary>
    /// Cheap pre-filter before a JSON parse: the member name is present and followed by an object
    /// (<c>"usage": null</c> on every chunk needs no parse).
    /// </summary>
    private static bool MayCarry(ReadOnlySpan<byte> payload, ReadOnlySpan<byte> member)
    {
        var at = payload.IndexOf(member);
        if (at < 0)
        {
            return false;
        }

        var rest = payload[(at + member.Length)..].TrimStart(" \t:"u8);
        return !rest.IsEmpty && rest[0] == (byte)'{';
    }
}
