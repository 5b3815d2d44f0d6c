using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Switchyard.Canonical;

namespace Switchyard.Providers.OpenAI.Responses;

/// <summary>
/// The OpenAI Responses API (<c>POST /v1/responses</c>) as an inbound format. Always translated: no upstream
/// is relayed untranslated, so even OpenAI-family deployments are called through Chat Completions. The
/// gateway keeps no state, so what needs stored responses (<c>previous_response_id</c>, <c>conversation</c>,
/// <c>background</c>) is refused with 400; <c>store</c> is accepted and ignored, and answers say
/// <c>"store": false</c>.
/// </summary>
public sealed class OpenAIResponsesFormat : IInboundFormat
{
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <inheritdoc />
    public string Name => "openai.responses";

    /// <inheritdoc />
    public string? PassthroughProtocol => null;

    /// <inheritdoc />
    public ClientError? ParseHead(ReadOnlySpan<byte> body, HttpContext http, Operation operation, out RequestHead head) =>
        ResponsesHeadParser.Parse(body, out head);

    /// <inheritdoc />
    public ClientError? Parse(ReadOnlySpan<byte> body, HttpContext http, out ChatRequest request)
    {
        try
        {
            using var doc = JsonDocument.Parse(body.ToArray());
            return ResponsesRequestReader.Read(doc.RootElement, out request);
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
        var id = ResponsesObjectWriter.ResponseId(response.Id, response.Created);
        var outcome = ResponseOutcome.From(response.FinishReason);
        var items = ResponsesObjectWriter.Items(response, id);
        if (outcome.IncompleteReason is not null && items.Count > 0)
        {
            items[^1].Status = "incomplete"; // the item the cap or filter cut short, as OpenAI marks it
        }

        using var w = new Utf8JsonWriter(output, Options);
        ResponsesObjectWriter.WriteResponse(w, id, response.Created, alias, outcome, items, response.Usage);
    }

    /// <inheritdoc />
    public IStreamEncoder CreateStreamEncoder(ChatRequest request, string alias, long createdUnixSeconds) =>
        new ResponsesStreamEncoder(alias, createdUnixSeconds);

    /// <inheritdoc />
    public void WriteError(in ClientError error, IBufferWriter<byte> output) =>
        ResponsesObjectWriter.WriteError(output, error);
}
