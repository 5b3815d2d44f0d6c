using System.Buffers;
using System.Text;
using System.Text.Json;
using Switchyard.Canonical;
using Switchyard.Providers.OpenAI.Responses;

namespace Switchyard.Tests.Providers.OpenAIResponses;

/// <summary>Edge cases of the Responses writers the goldens do not reach.</summary>
public sealed class ResponsesEncoderTests
{
    private static readonly OpenAIResponsesFormat Format = new();

    [Fact]
    public void Stream_FailBeforeAnyEvent_StillOpensAndFailsTheResponse()
    {
        var (encoder, output) = Encoder();
        encoder.Fail(new ClientError(504, ErrorCategory.Timeout, "too slow", null, "upstream_timeout"), output);

        var sse = Encoding.UTF8.GetString(output.WrittenSpan);
        ResponsesStreamHarness.AssertWellFormed(sse);
        Assert.Equal(["response.created", "response.in_progress", "error", "response.failed"], ResponsesStreamHarness.Parse(sse).Select(e => e.Event));
    }

    [Fact]
    public void Stream_EmptyAnswer_CompletesWithNoOutput()
    {
        var (encoder, output) = Encoder();
        encoder.Write(StreamEvent.Started("chatcmpl-e", "m"), output);
        encoder.Write(StreamEvent.Finished(FinishReason.Stop), output);
        encoder.Complete(output);

        var events = ResponsesStreamHarness.Parse(Encoding.UTF8.GetString(output.WrittenSpan));
        Assert.Equal(["response.created", "response.in_progress", "response.completed"], events.Select(e => e.Event));
        var response = events[^1].Data.GetProperty("response");
        Assert.Equal("resp_e", response.GetProperty("id").GetString());
        Assert.Equal(0, response.GetProperty("output").GetArrayLength());
        Assert.Equal(JsonValueKind.Null, response.GetProperty("usage").ValueKind);
    }

    [Fact]
    public void Stream_ToolCallWithoutUpstreamId_GetsAStableCallId()
    {
        var (encoder, output) = Encoder();
        encoder.Write(StreamEvent.ToolStart(0, "", "f"), output);
        encoder.Write(StreamEvent.ToolArgs(0, "{}"), output);
        encoder.Complete(output);

        var sse = Encoding.UTF8.GetString(output.WrittenSpan);
        ResponsesStreamHarness.AssertWellFormed(sse);
        var call = ResponsesStreamHarness.Parse(sse)[^1].Data.GetProperty("response").GetProperty("output")[0];
        Assert.Equal("call_switchyard1700000000_0", call.GetProperty("call_id").GetString());
        Assert.Equal("fc_switchyard1700000000_0", call.GetProperty("id").GetString());
    }

    [Fact]
    public void Stream_TextAfterToolCall_OpensANewMessageItem()
    {
        var (encoder, output) = Encoder();
        encoder.Write(StreamEvent.TextChunk("a"), output);
        encoder.Write(StreamEvent.ToolStart(0, "call_1", "f"), output);
        encoder.Write(StreamEvent.TextChunk("b"), output);
        encoder.Complete(output);

        var sse = Encoding.UTF8.GetString(output.WrittenSpan);
        ResponsesStreamHarness.AssertWellFormed(sse);
        var items = ResponsesStreamHarness.Parse(sse)[^1].Data.GetProperty("response").GetProperty("output");
        Assert.Equal(["message", "function_call", "message"], items.EnumerateArray().Select(i => i.GetProperty("type").GetString()));
    }

    [Fact]
    public void Whole_RefusalBecomesARefusalPart()
    {
        var answer = new ChatResponse { Id = "chatcmpl-r", Model = "m", Created = 5, Refusal = "I can't help with that." };
        using var doc = Write(answer);

        var content = doc.RootElement.GetProperty("output")[0].GetProperty("content");
        var part = Assert.Single(content.EnumerateArray());
        Assert.Equal("refusal", part.GetProperty("type").GetString());
        Assert.Equal("I can't help with that.", part.GetProperty("refusal").GetString());
    }

    [Fact]
    public void Whole_ThinkingWithSignature_BecomesReasoningWithEncryptedContent()
    {
        var answer = new ChatResponse { Id = "x", Model = "m", Created = 5 };
        answer.Content.Add(new ThinkingPart("hmm", "sig=="));
        answer.Content.Add(new TextPart("ok"));
        using var doc = Write(answer);

        var output = doc.RootElement.GetProperty("output");
        Assert.Equal("reasoning", output[0].GetProperty("type").GetString());
        Assert.Equal("sig==", output[0].GetProperty("encrypted_content").GetString());
        Assert.Equal("hmm", output[0].GetProperty("content")[0].GetProperty("text").GetString());
        Assert.Equal("msg_x_1", output[1].GetProperty("id").GetString());
    }

    private static (IStreamEncoder Encoder, ArrayBufferWriter<byte> Output) Encoder() =>
        (Format.CreateStreamEncoder(new ChatRequest { Model = "a", Stream = true }, "m", ResponsesStreamHarness.Created), new ArrayBufferWriter<byte>());

    private static JsonDocument Write(ChatResponse answer)
    {
        var buffer = new ArrayBufferWriter<byte>();
        Format.WriteResponse(answer, "m", buffer);
        return JsonDocument.Parse(buffer.WrittenMemory);
    }
}
