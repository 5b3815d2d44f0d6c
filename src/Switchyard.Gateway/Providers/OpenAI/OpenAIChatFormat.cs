using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Switchyard.Canonical;

namespace Switchyard.Providers.OpenAI;

/// <summary>
/// OpenAI Chat Completions as an inbound format, for the translated path (an OpenAI client routed to a
/// non-OpenAI provider). OpenAI-to-OpenAI traffic never gets here: it takes the passthrough path.
/// </summary>
public sealed class OpenAIChatFormat : IInboundFormat, IEmbeddingsFormat
{
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The format is stateless: one instance serves every request (and every OpenAI-shaped error).</summary>
    public static OpenAIChatFormat Instance { get; } = new();

    /// <inheritdoc />
    public string Name => "openai.chat";

    /// <inheritdoc />
    public string? PassthroughProtocol => OpenAIChatAdapter.ProtocolName;

    /// <inheritdoc />
    public ClientError? ParseHead(ReadOnlySpan<byte> body, HttpContext http, Operation operation, out RequestHead head) =>
        (MediaOperations.IsMedia(operation) ? OpenAIMediaHead.Parse(body, operation, out head) : OpenAIRequestParser.Parse(body, operation, out head)) is { } e
            ? new ClientError(400, ErrorCategory.InvalidRequest, e.Message, e.Param, e.Code)
            : null;

    /// <inheritdoc />
    public ClientError? ReadEmbeddings(ReadOnlySpan<byte> body, HttpContext http, out EmbeddingsRequest request) =>
        OpenAIEmbeddingsWire.Read(body, out request);

    /// <inheritdoc />
    public void WriteEmbeddings(EmbeddingsResult result, EmbeddingsRequest request, string model, long tokens, IBufferWriter<byte> output) =>
        OpenAIEmbeddingsWire.Write(output, result, request, model, tokens);

    /// <inheritdoc />
    public ClientError? Parse(ReadOnlySpan<byte> body, HttpContext http, out ChatRequest request)
    {
        try
        {
            using var doc = JsonDocument.Parse(body.ToArray());
            return OpenAIChatRequestReader.Read(doc.RootElement, out request);
        }
        catch (JsonException)
        {
            request = new ChatRequest { Model = "" };
            return new ClientError(400, ErrorCategory.InvalidRequest, "We could not parse the JSON body of your request.", null, "invalid_json");
        }
    }

    /// <inheritdoc />
    public void WriteResponse(ChatResponse response, string alias, IBufferWriter<byte> output)
    {
        using var w = new Utf8JsonWriter(output, Options);
        OpenAIChatResponses.Write(w, response, alias);
    }

    /// <inheritdoc />
    public IStreamEncoder CreateStreamEncoder(ChatRequest request, string alias, long createdUnixSeconds) =>
        new OpenAIChunkEncoder(alias, createdUnixSeconds, request.StreamUsage);

    /// <inheritdoc />
    public void WriteError(in ClientError error, IBufferWriter<byte> output) =>
        OpenAIErrors.Write(output, error.Message, TypeOf(error.Category), error.Param, error.Code);

    /// <summary>OpenAI's <c>error.type</c> for a category.</summary>
    public static string TypeOf(ErrorCategory category) => category switch
    {
        ErrorCategory.InvalidRequest or ErrorCategory.NotFound or ErrorCategory.RequestTooLarge => "invalid_request_error",
        ErrorCategory.Authentication => "authentication_error",
        ErrorCategory.PermissionDenied => "permission_error",
        ErrorCategory.RateLimited => "rate_limit_error",
        ErrorCategory.QuotaExceeded => "insufficient_quota", // OpenAI's own type for a spent quota
        _ => "server_error",
    };
}
