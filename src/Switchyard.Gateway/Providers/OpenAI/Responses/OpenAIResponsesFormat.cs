using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Switchyard.Canonical;

namespace Switchyard.Providers.OpenAI.Responses;

/// <summary>
/// The OpenAI Responses API (<c>POST /v1/responses</c>) as an inbound format. Always translated: no upstream
/// is relayed untranslated, so even OpenAI-family deployments are called through Chat Completions.
/// <para>
/// State: the gateway keeps responses itself (the Conversations stage and <see cref="IResponseStore"/>), so
/// <c>previous_response_id</c> and <c>item_reference</c> work against every provider. The stage resolves them
/// before routing and binds the result to this request's instance (<see cref="Bind"/>): <see cref="Parse"/> puts
/// the stored conversation before the new input and notes the input to keep, and the writers give the answer the
/// turn's id and report it, complete, to be stored. An unbound instance is stateless (what golden files test):
/// it answers with ids made from the upstream's and says <c>"store": false</c>. Conversation objects, prompt
/// templates and <c>background</c> are refused (<see cref="ResponsesHeadParser"/>).
/// </para>
/// </summary>
public sealed class OpenAIResponsesFormat : IInboundFormat, IConversationFormat
{
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private ConversationTurn? turn;

    /// <inheritdoc />
    public string Name => "openai.responses";

    /// <inheritdoc />
    public string? PassthroughProtocol => null;

    /// <inheritdoc />
    public ClientError? ParseHead(ReadOnlySpan<byte> body, HttpContext http, Operation operation, out RequestHead head) =>
        ResponsesHeadParser.Parse(body, out head);

    /// <inheritdoc />
    public ClientError? ReadReferences(ReadOnlySpan<byte> body, out ConversationReferences references) =>
        ResponsesReferences.Read(body, out references);

    /// <inheritdoc />
    public void Bind(ConversationTurn turn)
    {
        if (Interlocked.CompareExchange(ref this.turn, turn, null) is not null)
        {
            throw new InvalidOperationException("This Responses format instance already serves a request: create one per request to bind a conversation.");
        }
    }

    /// <inheritdoc />
    public ClientError? Parse(ReadOnlySpan<byte> body, HttpContext http, out ChatRequest request)
    {
        try
        {
            using var doc = JsonDocument.Parse(body.ToArray());
            return ResponsesRequestReader.Read(doc.RootElement, out request, turn);
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
        var header = new ResponseHeader(turn?.ResponseId ?? ResponsesObjectWriter.ResponseId(response.Id, response.Created), response.Created, alias, turn);
        var outcome = ResponseOutcome.From(response.FinishReason);
        var items = ResponsesObjectWriter.Items(response, header.Id);
        if (outcome.IncompleteReason is not null && items.Count > 0)
        {
            items[^1].Status = "incomplete"; // the item the cap or filter cut short, as OpenAI marks it
        }

        using (var w = new Utf8JsonWriter(output, Options))
        {
            ResponsesObjectWriter.WriteResponse(w, header, outcome, items, response.Usage);
        }

        Keep(turn, header, outcome, items, response.Usage);
    }

    /// <inheritdoc />
    public IStreamEncoder CreateStreamEncoder(ChatRequest request, string alias, long createdUnixSeconds) =>
        new ResponsesStreamEncoder(alias, createdUnixSeconds, turn);

    /// <inheritdoc />
    public void WriteError(in ClientError error, IBufferWriter<byte> output) =>
        ResponsesObjectWriter.WriteError(output, error);

    /// <summary>Reports a finished answer to its turn, to be kept: completed or incomplete, never failed.</summary>
    internal static void Keep(ConversationTurn? turn, in ResponseHeader header, in ResponseOutcome outcome, IReadOnlyList<OutputItem> items, TokenUsage? usage)
    {
        if (turn is not { Store: true })
        {
            return;
        }

        if (outcome.Status == "failed")
        {
            turn.Fail("the upstream model ended it with an error");
            return;
        }

        turn.Complete(ResponsesStoredItems.Answer(header, outcome, items, usage));
    }
}
