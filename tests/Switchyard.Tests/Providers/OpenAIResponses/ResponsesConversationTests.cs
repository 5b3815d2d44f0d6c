using System.Buffers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Switchyard.Canonical;
using Switchyard.Providers.OpenAI.Responses;

namespace Switchyard.Tests.Providers.OpenAIResponses;

/// <summary>
/// The Responses format with a conversation turn bound (what the Conversations stage does): the stored history comes
/// first, references become the stored items, the input to keep gets ids, and the answer the client receives is the
/// one reported to be kept, with the same ids.
/// </summary>
public sealed class ResponsesConversationTests
{
    private const string ResponseId = "resp_0123456789abcdef";

    [Fact]
    public void ReadReferences_ReadsStorePreviousIdAndReferencedIds()
    {
        var format = new OpenAIResponsesFormat();
        var body = """
            {"model":"m","store":false,"previous_response_id":"resp_a","input":[
              {"type":"item_reference","id":"msg_1"},{"role":"user","content":"x"},{"id":"fc_2","type":"item_reference"},{"type":"item_reference","id":"msg_1"}]}
            """;

        Assert.Null(format.ReadReferences(Encoding.UTF8.GetBytes(body), out var refs));

        Assert.False(refs.Store);
        Assert.Equal("resp_a", refs.PreviousResponseId);
        Assert.Equal(["msg_1", "fc_2"], refs.ItemIds);
    }

    [Theory]
    [InlineData("""{"model":"m","input":[{"role":"user","content":"x"},{"type":"item_reference"}]}""", "input[1].id")]
    [InlineData("""{"model":"m","input":"x","previous_response_id":""}""", "previous_response_id")]
    public void ReadReferences_RefusesWhatCannotBeLookedUp(string body, string param)
    {
        var error = new OpenAIResponsesFormat().ReadReferences(Encoding.UTF8.GetBytes(body), out _);

        Assert.NotNull(error);
        Assert.Equal(400, error.Value.Status);
        Assert.Equal(param, error.Value.Param);
    }

    [Fact]
    public void Parse_HistoryFirst_ReferencesResolved_OwnInputKeptWithIds()
    {
        var (format, turn, _) = Bound(
            history: [Item("msg_h0", """{"id":"msg_h0","type":"message","role":"user","content":[{"type":"input_text","text":"first question"}]}"""),
                Item("msg_h1", """{"id":"msg_h1","type":"message","status":"completed","role":"assistant","content":[{"type":"output_text","text":"first answer","annotations":[]}]}""")],
            referenced: [Item("fc_r", """{"id":"fc_r","type":"function_call","status":"completed","call_id":"call_9","name":"lookup","arguments":"{}"}""")]);
        var body = """
            {"model":"m","instructions":"be brief","input":[
              {"type":"item_reference","id":"fc_r"},
              {"type":"function_call_output","call_id":"call_9","output":"42"},
              {"id":"msg_mine","role":"user","content":"and now?"}]}
            """;

        Assert.Null(format.Parse(Encoding.UTF8.GetBytes(body), new DefaultHttpContext(), out var request));

        Assert.Equal("be brief", Assert.IsType<TextPart>(Assert.Single(request.System)).Text);
        Assert.Equal([Role.User, Role.Assistant, Role.User, Role.User], request.Messages.Select(m => m.Role));
        Assert.Equal("first question", Assert.IsType<TextPart>(request.Messages[0].Content[0]).Text);
        Assert.Equal("first answer", Assert.IsType<TextPart>(request.Messages[1].Content[0]).Text);
        Assert.Equal("lookup", Assert.IsType<ToolCallPart>(request.Messages[1].Content[1]).Name); // the referenced call joins the assistant turn
        Assert.Equal("call_9", Assert.IsType<ToolResultPart>(request.Messages[2].Content[0]).ToolCallId);
        Assert.Equal("and now?", Assert.IsType<TextPart>(request.Messages[3].Content[0]).Text);

        // Kept: the referenced item as stored, the output with a gateway id, the message with the client's id.
        Assert.Equal(["fc_r", "fco_0123456789abcdef_in1", "msg_mine"], turn.Input.Select(i => i.Id));
        Assert.Same(turn.Referenced["fc_r"], turn.Input[0]);
        using var kept = JsonDocument.Parse(turn.Input[2].Json);
        Assert.Equal("message", kept.RootElement.GetProperty("type").GetString());
        Assert.Equal("input_text", kept.RootElement.GetProperty("content")[0].GetProperty("type").GetString());
        Assert.Equal("and now?", kept.RootElement.GetProperty("content")[0].GetProperty("text").GetString());
    }

    [Fact]
    public void Parse_StringInput_IsKeptAsAUserMessage()
    {
        var (format, turn, _) = Bound();

        Assert.Null(format.Parse("""{"model":"m","input":"hello"}"""u8, new DefaultHttpContext(), out _));

        var item = Assert.Single(turn.Input);
        Assert.Equal("msg_0123456789abcdef_in0", item.Id);
        Assert.Equal("""{"id":"msg_0123456789abcdef_in0","type":"message","role":"user","content":[{"type":"input_text","text":"hello"}]}""", item.Json);
    }

    [Fact]
    public void WriteResponse_UsesTheTurnsId_AndKeepsExactlyWhatTheClientGot()
    {
        var (format, _, sink) = Bound(previous: "resp_before");
        var answer = new ChatResponse { Id = "chatcmpl-upstream", Model = "m", Created = 7, FinishReason = FinishReason.ToolCalls };
        answer.Content.Add(new TextPart("Let me check."));
        answer.Content.Add(new ToolCallPart("call_1", "lookup", """{"q":1}"""));
        var buffer = new ArrayBufferWriter<byte>();

        format.WriteResponse(answer, "m", buffer);

        using var sent = JsonDocument.Parse(buffer.WrittenMemory);
        var root = sent.RootElement;
        Assert.Equal(ResponseId, root.GetProperty("id").GetString());
        Assert.True(root.GetProperty("store").GetBoolean());
        Assert.Equal("resp_before", root.GetProperty("previous_response_id").GetString());
        var (turn, kept) = Assert.Single(sink.Answers);
        Assert.Equal(ResponseId, turn.ResponseId);
        Assert.Equal("completed", kept.Status);
        Assert.Equal(Encoding.UTF8.GetString(buffer.WrittenSpan), kept.Json);
        Assert.Equal(root.GetProperty("output").EnumerateArray().Select(o => o.GetProperty("id").GetString()), kept.Output.Select(o => o.Id));
        Assert.Equal(root.GetProperty("output")[1].GetRawText(), kept.Output[1].Json);
    }

    [Fact]
    public void WriteResponse_StoreFalse_SaysSoAndKeepsNothing()
    {
        var sink = new RecordingSink();
        var format = new OpenAIResponsesFormat();
        format.Bind(new ConversationTurn(ResponseId, "app", store: false));
        var buffer = new ArrayBufferWriter<byte>();

        format.WriteResponse(new ChatResponse { Id = "x", Model = "m", Created = 1 }, "m", buffer);

        using var sent = JsonDocument.Parse(buffer.WrittenMemory);
        Assert.False(sent.RootElement.GetProperty("store").GetBoolean());
        Assert.Equal(ResponseId, sent.RootElement.GetProperty("id").GetString());
        Assert.Empty(sink.Answers);
    }

    [Fact]
    public void Stream_Complete_KeepsTheStreamedItemsUnderTheStreamedIds()
    {
        var (format, _, sink) = Bound();
        var encoder = format.CreateStreamEncoder(new ChatRequest { Model = "m", Stream = true }, "m", 9);
        var output = new ArrayBufferWriter<byte>();
        foreach (var e in new[] { StreamEvent.Started("chatcmpl-1", "m"), StreamEvent.TextChunk("Hi "), StreamEvent.TextChunk("there"), StreamEvent.Finished(FinishReason.Stop) })
        {
            encoder.Write(e, output);
        }

        encoder.Complete(output);

        var events = ResponsesStreamHarness.Parse(Encoding.UTF8.GetString(output.WrittenSpan));
        var completed = events.Single(e => e.Event == "response.completed").Data.GetProperty("response");
        Assert.Equal(ResponseId, completed.GetProperty("id").GetString());
        var (_, kept) = Assert.Single(sink.Answers);
        Assert.Equal(completed.GetRawText(), kept.Json);
        Assert.Equal(completed.GetProperty("output")[0].GetProperty("id").GetString(), Assert.Single(kept.Output).Id);
        Assert.Contains("Hi there", kept.Output[0].Json, StringComparison.Ordinal);
    }

    [Fact]
    public void Stream_Fail_KeepsNothingAndSaysWhy()
    {
        var (format, _, sink) = Bound();
        var encoder = format.CreateStreamEncoder(new ChatRequest { Model = "m", Stream = true }, "m", 9);
        var output = new ArrayBufferWriter<byte>();
        encoder.Write(StreamEvent.TextChunk("Partial"), output);

        encoder.Fail(new ClientError(502, ErrorCategory.ServerError, "cut", null, "upstream_stream_cut"), output);

        Assert.Empty(sink.Answers);
        Assert.Contains("cut", Assert.Single(sink.Failures).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Bind_Twice_Throws()
    {
        var format = new OpenAIResponsesFormat();
        format.Bind(new ConversationTurn(ResponseId, "a", store: true));

        Assert.Throws<InvalidOperationException>(() => format.Bind(new ConversationTurn("resp_other", "b", store: true)));
    }

    private static StoredItem Item(string id, string json) => new(id, json);

    private static (OpenAIResponsesFormat Format, ConversationTurn Turn, RecordingSink Sink) Bound(
        StoredItem[]? history = null, StoredItem[]? referenced = null, string? previous = null)
    {
        var sink = new RecordingSink();
        var turn = new ConversationTurn(ResponseId, "app", store: true)
        {
            PreviousResponseId = previous,
            History = history ?? [],
            Referenced = (referenced ?? []).ToDictionary(i => i.Id),
            Sink = sink,
        };
        var format = new OpenAIResponsesFormat();
        format.Bind(turn);
        return (format, turn, sink);
    }

    private sealed class RecordingSink : IConversationSink
    {
        public List<(ConversationTurn Turn, StoredAnswer Answer)> Answers { get; } = [];

        public List<(ConversationTurn Turn, string Reason)> Failures { get; } = [];

        public void Answered(ConversationTurn turn, StoredAnswer answer) => Answers.Add((turn, answer));

        public void Failed(ConversationTurn turn, string reason) => Failures.Add((turn, reason));
    }
}
