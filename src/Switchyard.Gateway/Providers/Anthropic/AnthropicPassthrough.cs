using System.Buffers;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Switchyard.Canonical;
using Switchyard.Upstream;

namespace Switchyard.Providers.Anthropic;

/// <summary>
/// Anthropic in → Anthropic out, untranslated: only the model token is rewritten; responses are relayed byte
/// for byte while usage is read from <c>message_start</c> and <c>message_delta</c> on the side. Unlike OpenAI,
/// Anthropic streams always report usage, so the body needs no other edit.
/// </summary>
public sealed class AnthropicPassthrough : IPassthroughProtocol
{
    /// <inheritdoc />
    public string Protocol => AnthropicAdapter.ProtocolName;

    /// <inheritdoc />
    public byte[] RewriteBody(ReadOnlySpan<byte> body, in RequestHead head, DeploymentTarget deployment, out int length) =>
        Splice(body, head.ModelStart, head.ModelLength, deployment.EncodedModel, out length);

    /// <summary>The body with bytes [<paramref name="start"/>, +<paramref name="count"/>) replaced, in a pooled buffer the caller returns.</summary>
    public static byte[] Splice(ReadOnlySpan<byte> body, int start, int count, ReadOnlySpan<byte> replacement, out int length)
    {
        length = body.Length - count + replacement.Length;
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        body[..start].CopyTo(buffer);
        replacement.CopyTo(buffer.AsSpan(start));
        body[(start + count)..].CopyTo(buffer.AsSpan(start + replacement.Length));
        return buffer;
    }

    /// <summary>
    /// <c>anthropic-beta</c>: the client's betas are added to the provider's (a client using a beta feature needs
    /// its header). <c>anthropic-version</c>: a version set on the provider wins (the operator pinned it); else
    /// the client's, since its body is written for the version its SDK speaks.
    /// </summary>
    public void ApplyClientHeaders(HttpRequestMessage message, IHeaderDictionary clientHeaders)
    {
        if (clientHeaders.TryGetValue("anthropic-version", out var version) && version.Count == 1 && !string.IsNullOrWhiteSpace(version[0])
            && !(message.Options.TryGetValue(AnthropicAdapter.VersionFromSettingKey, out var pinned) && pinned))
        {
            message.Headers.Remove("anthropic-version");
            message.Headers.TryAddWithoutValidation("anthropic-version", version[0]);
        }

        if (clientHeaders.TryGetValue("anthropic-beta", out var clientBetas) && clientBetas.Count > 0)
        {
            var betas = new List<string>();
            if (message.Headers.TryGetValues("anthropic-beta", out var own))
            {
                betas.AddRange(own.SelectMany(Split));
            }

            betas.AddRange(clientBetas.SelectMany(v => Split(v ?? "")));
            message.Headers.Remove("anthropic-beta");
            message.Headers.TryAddWithoutValidation("anthropic-beta", string.Join(",", betas.Distinct(StringComparer.Ordinal)));
        }
    }

    private static IEnumerable<string> Split(string value) =>
        value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <inheritdoc />
    public bool InspectBody(ReadOnlySpan<byte> body, ref TokenUsage usage)
    {
        if (AnthropicErrors.IsErrorBody(body))
        {
            return true;
        }

        try
        {
            var reader = new Utf8JsonReader(body);
            using var doc = JsonDocument.ParseValue(ref reader);
            if (AnthropicJson.TryGet(doc.RootElement, "usage", JsonValueKind.Object, out var u))
            {
                usage.Merge(AnthropicJson.ReadUsage(u));
            }
        }
        catch (JsonException)
        {
            // Not JSON: relayed as is; there is no usage to read.
        }

        return false;
    }

    /// <inheritdoc />
    public PassthroughEvent InspectEvent(ReadOnlySpan<byte> sseEvent, bool clientWantsUsage, ref TokenUsage usage)
    {
        var result = new PassthroughEvent { Forward = true };
        var payload = SseFraming.Data(sseEvent);
        var type = EventType(payload);
        if (type.SequenceEqual("message_stop"u8))
        {
            result.IsTerminal = true;
        }
        else if (type.SequenceEqual("error"u8))
        {
            result.IsError = true;
        }
        else if (type.SequenceEqual("message_start"u8) || type.SequenceEqual("message_delta"u8))
        {
            // Two events per stream: a full parse is cheap here, and content deltas are never parsed.
            try
            {
                var reader = new Utf8JsonReader(payload);
                using var doc = JsonDocument.ParseValue(ref reader);
                var root = doc.RootElement;
                var holder = AnthropicJson.TryGet(root, "message", JsonValueKind.Object, out var message) ? message : root;
                if (AnthropicJson.TryGet(holder, "usage", JsonValueKind.Object, out var u))
                {
                    usage.Merge(AnthropicJson.ReadUsage(u));
                }
            }
            catch (JsonException)
            {
                // A malformed event is still relayed; the client's SDK will report it.
            }
        }

        return result;
    }

    /// <summary>The data's top-level <c>type</c> (Anthropic writes it first), without materialising the event.</summary>
    private static ReadOnlySpan<byte> EventType(ReadOnlySpan<byte> payload)
    {
        try
        {
            var reader = new Utf8JsonReader(payload);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return default;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isType = reader.ValueTextEquals("type"u8);
                reader.Read();
                if (isType)
                {
                    return reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped ? reader.ValueSpan : default;
                }

                reader.Skip();
            }
        }
        catch (JsonException)
        {
            // Partial or malformed data: treated as an ordinary event.
        }

        return default;
    }

    /// <inheritdoc />
    public UpstreamFailure ClassifyError(int status, byte[]? body, HttpResponseHeaders headers, DeploymentTarget deployment) =>
        AnthropicAdapter.Classify(status, body, headers, deployment.Name) with
        {
            ClientShaped = body is { Length: > 0 } && AnthropicErrors.IsErrorBody(body),
        };

    /// <inheritdoc />
    public void WriteStreamError(IBufferWriter<byte> output, string message, string code) =>
        AnthropicErrors.WriteEvent(output, AnthropicErrors.TypeOfStreamCode(code), message);
}
