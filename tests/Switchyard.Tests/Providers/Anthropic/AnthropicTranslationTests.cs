using System.Buffers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Switchyard.Canonical;
using Switchyard.Providers.Anthropic;

namespace Switchyard.Tests.Providers.Anthropic;

/// <summary>Rules of the Anthropic translators that the golden files do not pin down one by one.</summary>
public sealed class AnthropicTranslationTests
{
    private static readonly AnthropicMessagesFormat Format = new();

    private static ChatRequest Read(string json)
    {
        var error = Format.Parse(Encoding.UTF8.GetBytes(json), new DefaultHttpContext(), out var request);
        Assert.True(error is null, error?.Message);
        return request;
    }

    private static ClientError ReadError(string json)
    {
        var error = Format.Parse(Encoding.UTF8.GetBytes(json), new DefaultHttpContext(), out _);
        Assert.NotNull(error);
        return error.Value;
    }

    private static JsonElement Write(ChatRequest request, string version = "2023-06-01", bool allowDrop = false, List<string>? dropped = null)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            AnthropicRequestWriter.Write(w, request, "claude-x", AnthropicVersionRules.For(version), allowDrop, dropped ?? []);
        }

        return JsonDocument.Parse(buffer.WrittenMemory).RootElement;
    }

    private static ChatRequest User(string text, Action<ChatRequest>? configure = null)
    {
        var request = new ChatRequest { Model = "m" };
        var message = new Message(Role.User);
        message.Content.Add(new TextPart(text));
        request.Messages.Add(message);
        configure?.Invoke(request);
        return request;
    }

    [Fact]
    public void ParseHead_FindsTheModelToken_AndStream()
    {
        var body = """{"max_tokens":1,"stream":true,"model":"claude","messages":[]} """u8;
        Assert.Null(AnthropicRequestParser.Parse(body, requireMaxTokens: true, out var head));
        Assert.Equal("claude", head.Model);
        Assert.Equal("\"claude\"", Encoding.UTF8.GetString(body.Slice(head.ModelStart, head.ModelLength)));
        Assert.True(head.Stream);
        Assert.Equal(body.Length - 2, head.RootEnd);
    }

    [Theory]
    [InlineData("""{"model":"c","max_tokens":-1,"messages":[]}""", "max_tokens: Input should be greater than or equal to 0")]
    [InlineData("""{"model":"c","max_tokens":1.5,"messages":[]}""", "max_tokens: Input should be a valid integer")]
    [InlineData("""{"model":"c","max_tokens":1,"messages":[],"system":5}""", "system: Input should be a valid string or a list of text blocks")]
    [InlineData("""{"model":"c","max_tokens":1,"messages":[],"temperature":"hot"}""", "temperature: Input should be a valid number")]
    [InlineData("""{"model":"c","max_tokens":1,"messages":[],"top_k":0.5}""", "top_k: Input should be a valid integer")]
    [InlineData("""{"model":"c","max_tokens":1,"messages":[],"tool_choice":"auto"}""", "tool_choice: Input should be a valid dictionary")]
    [InlineData("""{"model":"","max_tokens":1,"messages":[]}""", "model: String should have at least 1 character")]
    [InlineData("""{"model":"c","max_tokens":1,"messages":[]}{}""", "The request body is not valid JSON.")]
    [InlineData("""[]""", "Request body must be a JSON object.")]
    public void ParseHead_Refusals(string json, string message)
    {
        var error = AnthropicRequestParser.Parse(Encoding.UTF8.GetBytes(json), requireMaxTokens: true, out _);
        Assert.Equal(message, error?.Message);
        Assert.Equal(ErrorCategory.InvalidRequest, error?.Category);
    }

    [Fact]
    public void ParseHead_CountTokensNeedsNoMaxTokens() =>
        Assert.Null(AnthropicRequestParser.Parse("""{"model":"c","messages":[]}"""u8, requireMaxTokens: false, out _));

    [Theory]
    [InlineData("""{"model":"m","max_tokens":5,"messages":[],"mcp_servers":[{"url":"x"}]}""", "mcp_servers")]
    [InlineData("""{"model":"m","max_tokens":5,"messages":[],"tools":[{"type":"bash_20250124","name":"bash"}]}""", "tools.0.type")]
    [InlineData("""{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"search_result","source":"x"}]}]}""", "messages.0.content.0.type")]
    [InlineData("""{"model":"m","max_tokens":5,"messages":[{"role":"assistant","content":[{"type":"tool_result","tool_use_id":"t"}]}]}""", "messages.0.content.0.type")]
    [InlineData("""{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":[{"type":"weird"}]}]}]}""", "messages.0.content.0.content.0.type")]
    [InlineData("""{"model":"m","max_tokens":5,"messages":[{"role":"robot","content":"x"}]}""", "messages.0.role")]
    [InlineData("""{"model":"m","max_tokens":0,"messages":[]}""", "max_tokens")]
    public void Reader_RefusesWhatItCannotCarry(string json, string param) => Assert.Equal(param, ReadError(json).Param);

    [Fact]
    public void Reader_MapsToolsChoiceThinkingCacheAndSystemTurns()
    {
        var request = Read("""
            {"model":"m","max_tokens":5000,"metadata":{"user_id":"u1"},
             "system":[{"type":"text","text":"S","cache_control":{"type":"ephemeral","ttl":"1h"}}],
             "thinking":{"type":"enabled","budget_tokens":2000},
             "tools":[{"name":"t","input_schema":{"type":"object"},"cache_control":{"type":"ephemeral"}}],
             "tool_choice":{"type":"tool","name":"t","disable_parallel_tool_use":true},
             "messages":[{"role":"system","content":"Later system"},
                         {"role":"user","content":[{"type":"tool_result","tool_use_id":"x","content":[{"type":"text","text":"r"}],"is_error":true}]}]}
            """);

        Assert.Equal("u1", request.User);
        Assert.Equal(new CacheControl("ephemeral", "1h"), request.System[0].Cache);
        Assert.Equal("Later system", Assert.IsType<TextPart>(request.System[1]).Text);
        Assert.Equal(2000, request.Reasoning!.BudgetTokens);
        Assert.Equal(new ToolChoice(ToolChoiceKind.Function, "t"), request.ToolChoice);
        Assert.False(request.ParallelToolCalls);
        Assert.NotNull(request.Tools[0].Cache);
        var result = Assert.IsType<ToolResultPart>(Assert.Single(Assert.Single(request.Messages).Content));
        Assert.True(result.IsError);
        Assert.Equal("r", Assert.IsType<TextPart>(Assert.Single(result.Content)).Text);
    }

    [Fact]
    public void Reader_AdaptiveThinking_TakesTheEffort()
    {
        var request = Read("""{"model":"m","max_tokens":5,"thinking":{"type":"adaptive"},"output_config":{"effort":"high"},"messages":[]}""");
        Assert.Equal(new ReasoningConfig("high", null), request.Reasoning);
    }

    [Theory]
    [InlineData("2023-06-01", true, false)]
    [InlineData("2024-01-01", true, false)]
    [InlineData("2026-10-21", false, true)]
    [InlineData("2027-01-01", false, true)]
    [InlineData("2020-01-01", true, false)]
    public void VersionRules(string version, bool sampling, bool effort)
    {
        var rules = AnthropicVersionRules.For(version);
        Assert.Equal(sampling, rules.SamplingParameters);
        Assert.Equal(effort, rules.EffortControl);
    }

    [Fact]
    public void Writer_Thinking_RefusesTemperatureAndForcedTools_ClampsTheBudget()
    {
        var hot = User("q", r => { r.Reasoning = new ReasoningConfig("high", null); r.Temperature = 0.5; });
        Assert.Equal("temperature", Assert.Throws<UnsupportedFeatureException>(() => Write(hot)).Field);

        var dropped = new List<string>();
        var body = Write(hot, allowDrop: true, dropped: dropped);
        Assert.Equal(["temperature"], dropped);
        Assert.False(body.TryGetProperty("temperature", out _));
        Assert.Equal(24576, body.GetProperty("thinking").GetProperty("budget_tokens").GetInt32());
        Assert.Equal(24576 + AnthropicRequestWriter.DefaultMaxTokens, body.GetProperty("max_tokens").GetInt32());

        var capped = User("q", r => { r.Reasoning = new ReasoningConfig("high", null); r.MaxTokens = 3000; });
        Assert.Equal(2999, Write(capped).GetProperty("thinking").GetProperty("budget_tokens").GetInt32());

        var tiny = User("q", r => { r.Reasoning = new ReasoningConfig("low", null); r.MaxTokens = 500; });
        Assert.Equal("reasoning_effort", Assert.Throws<UnsupportedFeatureException>(() => Write(tiny)).Field);

        var forced = User("q", r =>
        {
            r.Reasoning = new ReasoningConfig(null, 2048);
            r.Tools.Add(new ToolDefinition("t", null, null));
            r.ToolChoice = new ToolChoice(ToolChoiceKind.Required);
        });
        Assert.Equal("tool_choice", Assert.Throws<UnsupportedFeatureException>(() => Write(forced)).Field);
    }

    [Fact]
    public void Writer_NIsRefusedEvenWhenDroppingIsAllowed() =>
        Assert.Equal("n", Assert.Throws<UnsupportedFeatureException>(() => Write(User("q", r => r.N = 2), allowDrop: true)).Field);

    [Fact]
    public void Writer_ToolArgumentsMustBeAnObject()
    {
        var request = User("q");
        var assistant = new Message(Role.Assistant);
        assistant.Content.Add(new ToolCallPart("c1", "t", "not json"));
        request.Messages.Add(assistant);
        Assert.Equal("messages", Assert.Throws<UnsupportedFeatureException>(() => Write(request)).Field);
    }

    [Fact]
    public void Writer_MergesTurns_PutsToolResultsFirst_DropsUnsignedThinkingAndEmptyText()
    {
        var request = new ChatRequest { Model = "m" };
        var a1 = new Message(Role.Assistant);
        a1.Content.AddRange([new ThinkingPart("unsigned"), new TextPart(""), new ToolCallPart("c1", "t", "")]);
        var u1 = new Message(Role.User);
        u1.Content.Add(new TextPart("note"));
        var u2 = new Message(Role.User);
        u2.Content.Add(new ToolResultPart("c1", [new TextPart("ok")]));
        request.Messages.AddRange([a1, u1, u2]);
        var dropped = new List<string>();

        var messages = Write(request, dropped: dropped).GetProperty("messages");

        Assert.Equal(["thinking"], dropped);
        Assert.Equal(2, messages.GetArrayLength());
        Assert.Equal("""{"type":"tool_use","id":"c1","name":"t","input":{}}""", messages[0].GetProperty("content")[0].GetRawText());
        Assert.Equal(["tool_result", "text"], messages[1].GetProperty("content").EnumerateArray().Select(b => b.GetProperty("type").GetString()));
    }

    [Fact]
    public void Encoder_OrdersBlocks_AndSendsLateToolFragmentsUnderTheirOwnIndex()
    {
        var encoder = new AnthropicStreamEncoder("alias");
        var output = new ArrayBufferWriter<byte>();
        foreach (var e in new[]
                 {
                     StreamEvent.Started("id1", "m"), StreamEvent.Thinking("hmm"), StreamEvent.Signature("sig"), StreamEvent.TextChunk("hi"),
                     StreamEvent.ToolStart(0, "c0", "a"), StreamEvent.ToolStart(1, "c1", "b"), StreamEvent.ToolArgs(0, "{}"),
                     StreamEvent.Finished(FinishReason.ToolCalls),
                 })
        {
            encoder.Write(e, output);
        }

        encoder.Complete(output);
        var events = TestKit.SseReader.Parse(Encoding.UTF8.GetString(output.WrittenSpan));

        Assert.Equal(
            ["message_start", "ping", "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",
             "content_block_start", "content_block_delta", "content_block_stop", "content_block_start", "content_block_stop",
             "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop"],
            events.Select(e => e.Event));
        Assert.Equal("msg_id1", events[0].Json!["message"]!["id"]!.GetValue<string>());
        Assert.Equal(2, events[12].Json!["index"]!.GetValue<int>()); // the fragment of call 0 keeps block index 2
        Assert.Equal("tool_use", events[14].Json!["delta"]!["stop_reason"]!.GetValue<string>());
    }

    [Fact]
    public void Encoder_Fail_KeepsAnAnthropicErrorCode()
    {
        var output = new ArrayBufferWriter<byte>();
        new AnthropicStreamEncoder("a").Fail(new ClientError(502, ErrorCategory.ServerError, "busy", null, "overloaded_error"), output);
        Assert.Contains("\"type\":\"overloaded_error\"", Encoding.UTF8.GetString(output.WrittenSpan));
    }

    [Fact]
    public void Decoder_IgnoresPingAndUnknownEvents_AndWaitsForWholeFrames()
    {
        var decoder = new AnthropicStreamDecoder();
        var events = new List<StreamEvent>();
        var stream = Encoding.UTF8.GetBytes(
            "event: ping\ndata: {\"type\": \"ping\"}\n\n" +
            "event: future_event\ndata: {\"type\":\"future_event\"}\n\n" +
            "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"n\",\"input\":{}}}\n\n" +
            "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n" +
            "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");

        var consumed = decoder.Decode(stream.AsSpan(0, 60), events, out var done);
        Assert.False(done);
        consumed += decoder.Decode(stream.AsSpan(consumed), events, out done);

        Assert.True(done);
        Assert.Equal(stream.Length, consumed);
        Assert.Equal([StreamEventKind.ToolCallStart, StreamEventKind.ToolCallDelta], events.Select(e => e.Kind));
        Assert.Equal("{}", events[1].Text); // a call without arguments still gets an object
    }

    [Fact]
    public void CountTokensEstimate_IsCharactersOverFour()
    {
        var request = Read("""
            {"model":"m","system":"12345678","tools":[{"name":"ab","description":"cd","input_schema":{"a":1}}],
             "messages":[{"role":"user","content":[{"type":"text","text":"1234"},{"type":"document","source":{"type":"text","media_type":"text/plain","data":"123"}}]}]}
            """);

        // 8 + (2 + 2 + 7) + 4 + 3 = 26 characters → ceil(26 / 4) = 7
        Assert.Equal(7, AnthropicCountTokens.Estimate(request));
    }
}
