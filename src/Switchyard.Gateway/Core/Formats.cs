using System.Buffers;
using Microsoft.AspNetCore.Http;

using Switchyard.Canonical;

namespace Switchyard.Core;

/// <summary>
/// Error categories every public API has, each format spelling them its own way (OpenAI
/// <c>invalid_request_error</c>, Anthropic <c>invalid_request_error</c>/<c>overloaded_error</c>, Google
/// <c>INVALID_ARGUMENT</c>/<c>RESOURCE_EXHAUSTED</c>).
/// </summary>
public enum ErrorCategory
{
    InvalidRequest,
    Authentication,
    PermissionDenied,
    NotFound,
    RequestTooLarge,
    RateLimited,
    ServerError,
    Overloaded,
    Timeout,

    // A spent budget (429 in every format: OpenAI insufficient_quota, Anthropic billing_error, Google RESOURCE_EXHAUSTED).
    QuotaExceeded,
}

/// <summary>An error to send a client: status, category, message, and the field it names.</summary>
public readonly record struct ClientError(int Status, ErrorCategory Category, string Message, string? Param = null, string? Code = null);

/// <summary>What ingress needs before routing: the alias and whether a stream was asked for.</summary>
public readonly record struct InboundHead(string Model, bool Stream);

/// <summary>
/// One public API dialect (OpenAI Chat, OpenAI Responses, Anthropic Messages, Gemini). Owns parsing into
/// the canonical model, rendering canonical answers and streams back, and its error envelope. Pure: no
/// I/O, clock or logging, so golden files test it byte for byte.
/// </summary>
public interface IInboundFormat
{
    /// <summary>Stable name, e.g. <c>openai.chat</c>, <c>anthropic.messages</c>, <c>gemini</c>.</summary>
    string Name { get; }

    /// <summary>The provider wire protocol this format can pass through untranslated, if any.</summary>
    string? PassthroughProtocol { get; }

    /// <summary>
    /// Whether a key may come in the URL (<c>?key=</c>). Only Google's API does this; anywhere else a key in a
    /// URL ends up in proxy and access logs, so it is not taken.
    /// </summary>
    bool AcceptsKeyInQuery => false;

    /// <summary>
    /// Reads just what routing needs (model, stream, and for passthrough the byte offsets of the model),
    /// with type checks on the fields every upstream rejects, so bad input is refused before routing.
    /// </summary>
    ClientError? ParseHead(ReadOnlySpan<byte> body, HttpContext http, Operation operation, out RequestHead head);

    /// <summary>Parses the whole body. <paramref name="http"/> supplies URL facts (Gemini's model is in the path).</summary>
    ClientError? Parse(ReadOnlySpan<byte> body, HttpContext http, out ChatRequest request);

    /// <summary>Renders a whole answer. <paramref name="alias"/> is the model name the client asked for.</summary>
    void WriteResponse(ChatResponse response, string alias, IBufferWriter<byte> output);

    /// <summary>A stateful encoder for one streamed answer to <paramref name="request"/>.</summary>
    IStreamEncoder CreateStreamEncoder(ChatRequest request, string alias, long createdUnixSeconds);

    /// <summary>Writes the format's error envelope (the status is set by the caller).</summary>
    void WriteError(in ClientError error, IBufferWriter<byte> output);
}

/// <summary>
/// A client format that has an embeddings operation (OpenAI's <c>/v1/embeddings</c>, Gemini's <c>:embedContent</c>
/// and <c>:batchEmbedContents</c>): its request read into the canonical form, and the vectors written back.
/// </summary>
public interface IEmbeddingsFormat
{
    /// <summary>Reads the request; the 400 to answer when it cannot be translated (token arrays, wrong shapes).</summary>
    ClientError? ReadEmbeddings(ReadOnlySpan<byte> body, HttpContext http, out EmbeddingsRequest request);

    /// <summary>Writes the vectors in the client's shape (<paramref name="model"/>: the upstream model that made them).</summary>
    void WriteEmbeddings(EmbeddingsResult result, EmbeddingsRequest request, string model, long tokens, IBufferWriter<byte> output);
}

/// <summary>Canonical stream events → one client format's stream bytes. One instance per stream.</summary>
public interface IStreamEncoder
{
    /// <summary>Content type of the stream (text/event-stream for all current formats).</summary>
    string ContentType { get; }

    /// <summary>Encodes one event.</summary>
    void Write(in StreamEvent e, IBufferWriter<byte> output);

    /// <summary>Ends the stream cleanly (OpenAI <c>[DONE]</c>, Anthropic <c>message_stop</c>).</summary>
    void Complete(IBufferWriter<byte> output);

    /// <summary>Ends a broken stream with the format's error event and no clean terminator.</summary>
    void Fail(in ClientError error, IBufferWriter<byte> output);
}
