using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Switchyard.Canonical;

namespace Switchyard.Providers.Anthropic;

/// <summary>
/// Anthropic Messages (<c>POST /v1/messages</c>) as an inbound format: the Anthropic SDKs and Claude Code talk
/// to the gateway as if it were Anthropic. Anthropic-to-Anthropic traffic takes the passthrough path
/// (<see cref="AnthropicPassthrough"/>); this class serves the translated one and every refusal.
/// </summary>
public sealed class AnthropicMessagesFormat : IInboundFormat
{
    /// <inheritdoc />
    public string Name => "anthropic.messages";

    /// <inheritdoc />
    public string? PassthroughProtocol => AnthropicAdapter.ProtocolName;

    /// <inheritdoc />
    public ClientError? ParseHead(ReadOnlySpan<byte> body, HttpContext http, Operation operation, out RequestHead head) =>
        AnthropicRequestParser.Parse(body, requireMaxTokens: true, out head);

    /// <inheritdoc />
    public ClientError? Parse(ReadOnlySpan<byte> body, HttpContext http, out ChatRequest request)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            using var doc = JsonDocument.ParseValue(ref reader);
            return AnthropicRequestReader.Read(doc.RootElement, out request);
        }
        catch (JsonException)
        {
            request = new ChatRequest { Model = "" };
            return new ClientError(400, ErrorCategory.InvalidRequest, "The request body is not valid JSON.", null, "invalid_json");
        }
    }

    /// <inheritdoc />
    public void WriteResponse(ChatResponse response, string alias, IBufferWriter<byte> output)
    {
        using var w = new Utf8JsonWriter(output, AnthropicJson.WriterOptions);
        AnthropicResponses.Write(w, response, alias);
    }

    /// <inheritdoc />
    public IStreamEncoder CreateStreamEncoder(ChatRequest request, string alias, long createdUnixSeconds) => new AnthropicStreamEncoder(alias);

    /// <inheritdoc />
    public void WriteError(in ClientError error, IBufferWriter<byte> output) =>
        AnthropicErrors.Write(output, AnthropicErrors.TypeOf(error.Category), error.Message);
}
