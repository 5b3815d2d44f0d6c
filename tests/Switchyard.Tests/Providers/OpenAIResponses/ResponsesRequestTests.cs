using System.Text;
using Microsoft.AspNetCore.Http;
using Switchyard.Canonical;
using Switchyard.Ingress;
using Switchyard.Providers.OpenAI.Responses;

namespace Switchyard.Tests.Providers.OpenAIResponses;

/// <summary>What <c>POST /v1/responses</c> accepts, refuses (with the field named), and how it lands in the canonical model.</summary>
public sealed class ResponsesRequestTests
{
    private static readonly OpenAIResponsesFormat Format = new();

    [Fact]
    public void ParseHead_AcceptsPreviousResponseId_TheStoreResolvesIt()
    {
        Assert.Null(Head("""{"model":"m","input":"hi","previous_response_id":"resp_1"}""", out _));
    }

    [Fact]
    public void Parse_ItemReferenceWithoutTheGatewaysStore_IsNotFound()
    {
        // Only a format used on its own gets here: in the gateway the Conversations stage resolves references first.
        var error = Parse("""{"model":"m","input":[{"role":"user","content":"a"},{"type":"item_reference","id":"msg_1"}]}""", out _);
        Assert.NotNull(error);
        Assert.Equal(404, error.Value.Status);
        Assert.Equal("input", error.Value.Param);
        Assert.Equal("Item with id 'msg_1' not found.", error.Value.Message);
    }

    [Fact]
    public void ParseHead_ReadsModelAndStream()
    {
        Assert.Null(Head("""{"model":"fast","input":"hi","stream":true,"store":true,"background":false,"previous_response_id":null}""", out var head));
        Assert.Equal("fast", head.Model);
        Assert.True(head.Stream);
    }

    [Theory]
    [InlineData("""{"model":"m","input":"hi","previous_response_id":7}""", "previous_response_id", "invalid_type")]
    [InlineData("""{"model":"m","input":"hi","conversation":"conv_1"}""", "conversation", "unsupported_parameter")]
    [InlineData("""{"model":"m","input":"hi","prompt":{"id":"pmpt_1"}}""", "prompt", "unsupported_parameter")]
    [InlineData("""{"model":"m","input":"hi","background":true}""", "background", "unsupported_parameter")]
    [InlineData("""{"input":"hi"}""", "model", "missing_required_parameter")]
    [InlineData("""{"model":"m"}""", "input", "missing_required_parameter")]
    [InlineData("""{"model":"","input":"hi"}""", "model", "invalid_value")]
    [InlineData("""{"model":7,"input":"hi"}""", "model", "invalid_type")]
    [InlineData("""{"model":"m","input":{"role":"user"}}""", "input", "invalid_type")]
    [InlineData("""{"model":"m","input":"hi","instructions":["a"]}""", "instructions", "invalid_type")]
    [InlineData("""{"model":"m","input":"hi","tools":{}}""", "tools", "invalid_type")]
    [InlineData("""{"model":"m","input":"hi","stream":"yes"}""", "stream", "invalid_type")]
    [InlineData("""{"model":"m","input":"hi","max_output_tokens":0}""", "max_output_tokens", "invalid_type")]
    [InlineData("""{"model":"m","input":"hi","temperature":"hot"}""", "temperature", "invalid_type")]
    [InlineData("""{"model":"m","input":"hi","text":"json"}""", "text", "invalid_type")]
    [InlineData("""{"model":"m","input":"hi"}{}""", null, "invalid_json")]
    [InlineData("""{"model":"m",""", null, "invalid_json")]
    [InlineData("""[]""", null, "invalid_request_body")]
    public void ParseHead_Refuses(string body, string? param, string code)
    {
        var error = Head(body, out _);
        Assert.NotNull(error);
        Assert.Equal(400, error.Value.Status);
        Assert.Equal(param, error.Value.Param);
        Assert.Equal(code, error.Value.Code);
        if (param is not null)
        {
            Assert.Contains(param, error.Value.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("""{"model":"m","input":"x","tools":[{"type":"function","name":"f"},{"type":"web_search"}]}""", "tools[1].type")]
    [InlineData("""{"model":"m","input":"x","tools":[{"type":"function"}]}""", "tools[0].name")]
    [InlineData("""{"model":"m","input":[{"role":"user","content":[{"type":"input_text","text":"a"},{"type":"input_image","file_id":"file_1"}]}]}""", "input[0].content[1].file_id")]
    [InlineData("""{"model":"m","input":[{"role":"user","content":[{"type":"input_file","file_id":"file_1"}]}]}""", "input[0].content[0].file_id")]
    [InlineData("""{"model":"m","input":[{"role":"user","content":[{"type":"input_audio"}]}]}""", "input[0].content[0].type")]
    [InlineData("""{"model":"m","input":["hi"]}""", "input[0]")]
    [InlineData("""{"model":"m","input":[{"type":"web_search_call","id":"ws_1"}]}""", "input[0].type")]
    [InlineData("""{"model":"m","input":[{"role":"tool","content":"a"}]}""", "input[0].role")]
    [InlineData("""{"model":"m","input":[{"role":"user","content":5}]}""", "input[0].content")]
    [InlineData("""{"model":"m","input":[{"type":"function_call","name":"f","arguments":"{}"}]}""", "input[0].call_id")]
    [InlineData("""{"model":"m","input":[{"type":"function_call_output","output":"x"}]}""", "input[0].call_id")]
    [InlineData("""{"model":"m","input":"x","tool_choice":{"type":"web_search"}}""", "tool_choice")]
    [InlineData("""{"model":"m","input":"x","tool_choice":"sometimes"}""", "tool_choice")]
    [InlineData("""{"model":"m","input":"x","text":{"format":{"type":"xml"}}}""", "text.format.type")]
    [InlineData("""{"model":"m","input":"x","text":{"format":{"type":"json_schema","name":"n"}}}""", "text.format.schema")]
    public void Parse_RefusesWhatNoRouteCanHonour(string body, string param)
    {
        var error = Parse(body, out _);
        Assert.NotNull(error);
        Assert.Equal(400, error.Value.Status);
        Assert.Equal(param, error.Value.Param);
    }

    [Fact]
    public void Parse_AssistantTurnCollectsTextReasoningAndParallelCalls()
    {
        Assert.Null(Parse("""
            {"model":"m","input":[
              {"role":"system","content":"sys"},
              {"role":"user","content":"q"},
              {"type":"reasoning","id":"rs_1","summary":[],"content":[{"type":"reasoning_text","text":"think"}],"encrypted_content":"sig"},
              {"type":"message","role":"assistant","content":[{"type":"output_text","text":"Let me look."}]},
              {"type":"function_call","call_id":"c1","name":"f","arguments":"{\"a\":1}"},
              {"type":"function_call","call_id":"c2","name":"g","arguments":"{}"},
              {"type":"function_call_output","call_id":"c1","output":"one"},
              {"type":"function_call_output","call_id":"c2","output":"two"},
              {"role":"assistant","content":"Both done."},
              {"role":"developer","content":"late rule"}
            ]}
            """, out var r));

        Assert.Equal(["sys", "late rule"], r.System.Cast<TextPart>().Select(t => t.Text));
        Assert.Equal([Role.User, Role.Assistant, Role.User, Role.Assistant], r.Messages.Select(m => m.Role));
        var turn = r.Messages[1].Content;
        Assert.Equal(new ThinkingPart("think", "sig"), turn[0]);
        Assert.Equal(new TextPart("Let me look."), turn[1]);
        Assert.Equal([new ToolCallPart("c1", "f", """{"a":1}"""), new ToolCallPart("c2", "g", "{}")], turn.Skip(2).Cast<ToolCallPart>());
        Assert.Equal(["c1", "c2"], r.Messages[2].Content.Cast<ToolResultPart>().Select(t => t.ToolCallId));
        Assert.Equal(new TextPart("Both done."), Assert.Single(r.Messages[3].Content));
    }

    [Fact]
    public void Parse_MapsOptions()
    {
        Assert.Null(Parse("""
            {"model":"m","input":"x","instructions":"be brief","stream":true,"max_output_tokens":99,"temperature":0.5,"top_p":0.8,
             "parallel_tool_calls":false,"tool_choice":{"type":"function","name":"f"},"text":{"format":{"type":"json_object"}},
             "reasoning":{"effort":"high"},"safety_identifier":"u1"}
            """, out var r));

        Assert.Equal(new TextPart("be brief"), Assert.Single(r.System));
        Assert.True(r.Stream);
        Assert.True(r.StreamUsage); // response.completed needs usage
        Assert.Equal(99, r.MaxTokens);
        Assert.Equal(0.5, r.Temperature);
        Assert.Equal(0.8, r.TopP);
        Assert.False(r.ParallelToolCalls);
        Assert.Equal(new ToolChoice(ToolChoiceKind.Function, "f"), r.ToolChoice);
        Assert.Equal(ResponseFormatKind.JsonObject, r.ResponseFormat!.Kind);
        Assert.Equal("high", r.Reasoning!.Effort);
        Assert.Equal("u1", r.User);
    }

    [Fact]
    public void Parse_ReasoningSummaryWithoutEffort_SetsNoReasoning()
    {
        // A made-up effort would reach non-reasoning upstreams as reasoning_effort, which they reject.
        Assert.Null(Parse("""{"model":"m","input":"x","reasoning":{"summary":"auto"}}""", out var r));
        Assert.Null(r.Reasoning);
    }

    [Fact]
    public void Parse_InputFileAndImages()
    {
        Assert.Null(Parse("""
            {"model":"m","input":[{"role":"user","content":[
              {"type":"input_image","image_url":"data:image/jpeg;base64,AAA=","detail":"low"},
              {"type":"input_file","file_url":"https://example.com/a.pdf"},
              {"type":"input_file","filename":"b.pdf","file_data":"JVBE"}
            ]}]}
            """, out var r));

        var parts = r.Messages[0].Content;
        Assert.Equal(new ImagePart(null, "image/jpeg", "AAA=", "low"), parts[0]);
        Assert.Equal(new DocumentPart("https://example.com/a.pdf", null, null, null), parts[1]);
        Assert.Equal(new DocumentPart(null, "application/pdf", "JVBE", "b.pdf"), parts[2]);
    }

    [Fact]
    public void WriteError_UsesOpenAIShape()
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        Format.WriteError(new ClientError(429, ErrorCategory.RateLimited, "slow down", null, "rate_limit_exceeded"), buffer);
        Assert.Equal("""{"error":{"message":"slow down","type":"rate_limit_error","param":null,"code":"rate_limit_exceeded"}}""",
            Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    private static ClientError? Head(string body, out RequestHead head) =>
        Format.ParseHead(Encoding.UTF8.GetBytes(body), new DefaultHttpContext(), Operation.ChatCompletions, out head);

    private static ClientError? Parse(string body, out ChatRequest request) =>
        Format.Parse(Encoding.UTF8.GetBytes(body), new DefaultHttpContext(), out request);
}
