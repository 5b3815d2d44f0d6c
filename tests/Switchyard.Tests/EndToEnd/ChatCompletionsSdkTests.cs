using System.ClientModel;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using OpenAI.Chat;
using Switchyard.Tests.TestKit;

namespace Switchyard.Tests.EndToEnd;

/// <summary>Chat completions through the gateway, driven by the official OpenAI .NET SDK.</summary>
public sealed class ChatCompletionsSdkTests
{
    [Fact]
    public async Task CompleteChat_NonStreamText_ReturnsUpstreamAnswer()
    {
        await using var h = await GatewayHarness.StartAsync();
        h.A.Enqueue(UpstreamBehavior.Text("Bonjour from upstream A", usage: new FakeUsage(12, 7)));

        ClientResult<ChatCompletion> result = await h.Chat("chat").CompleteChatAsync([new UserChatMessage("hi")]);

        ChatCompletion completion = result.Value;
        Assert.Equal("Bonjour from upstream A", Assert.Single(completion.Content).Text);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.Equal(12, completion.Usage.InputTokenCount);
        Assert.Equal(7, completion.Usage.OutputTokenCount);
        var raw = result.GetRawResponse();
        Assert.True(raw.Headers.TryGetValue("x-switchyard-deployment", out var deployment));
        Assert.Equal("dep-a", deployment);
        Assert.True(raw.Headers.TryGetValue("x-switchyard-model", out var model));
        Assert.Equal("upstream-model-a", model);
        Assert.True(raw.Headers.TryGetValue("x-switchyard-attempts", out var attempts));
        Assert.Equal("1", attempts);
        Assert.False(raw.Headers.TryGetValue("x-switchyard-fallback-reason", out _));
        Assert.Equal(1, h.A.RequestCount);
        Assert.Equal(0, h.B.RequestCount);
    }

    [Fact]
    public async Task CompleteChatStreaming_NonAsciiText_ReassemblesExactly()
    {
        const string text = "Grüße aus Zürich — ñandú, 日本語のテキスト, emoji 🎉🚀👩‍💻 and a final ✓.";
        await using var h = await GatewayHarness.StartAsync();
        h.A.Enqueue(UpstreamBehavior.Text(text, chunks: 9, usage: new FakeUsage(21, 13)));

        var assembled = new StringBuilder();
        ChatFinishReason? finish = null;
        ChatTokenUsage? usage = null;
        await foreach (var update in h.Chat("chat").CompleteChatStreamingAsync([new UserChatMessage("greet me")]))
        {
            foreach (var part in update.ContentUpdate)
            {
                assembled.Append(part.Text);
            }

            finish ??= update.FinishReason;
            usage ??= update.Usage;
        }

        Assert.Equal(text, assembled.ToString());
        Assert.Equal(ChatFinishReason.Stop, finish);
        Assert.NotNull(usage); // the SDK asks for usage itself, so it gets the usage chunk
        Assert.Equal(21, usage.InputTokenCount);
        Assert.Equal(13, usage.OutputTokenCount);
        Assert.True(Assert.Single(h.A.Requests).IsStream);
    }

    [Fact]
    public async Task CompleteChatStreaming_EventLargerThanRelayBuffer_ReassemblesExactly()
    {
        // One delta of ~100 KB of multi-byte text: bigger than the relay's 16 KiB read buffer, so it must grow.
        var big = string.Concat(Enumerable.Repeat("äöü-€-🎉-", 6_000));
        await using var h = await GatewayHarness.StartAsync();
        h.A.Enqueue(UpstreamBehavior.TextPieces("start:", big, ":end"));

        var assembled = new StringBuilder();
        await foreach (var update in h.Chat("chat").CompleteChatStreamingAsync([new UserChatMessage("long")]))
        {
            foreach (var part in update.ContentUpdate)
            {
                assembled.Append(part.Text);
            }
        }

        Assert.Equal("start:" + big + ":end", assembled.ToString());
    }

    [Fact]
    public async Task CompleteChat_ParallelToolCalls_ReturnsBothCalls()
    {
        await using var h = await GatewayHarness.StartAsync();
        h.A.Enqueue(UpstreamBehavior.ToolCalls(
            new FakeToolCall("get_weather", """{"city":"Paris","unit":"celsius"}""") { Id = "call_weather" },
            new FakeToolCall("get_time", """{"tz":"Europe/Paris"}""") { Id = "call_time" }));

        var options = new ChatCompletionOptions
        {
            Tools = { WeatherTool(), TimeTool() },
        };
        ChatCompletion completion = await h.Chat("chat").CompleteChatAsync([new UserChatMessage("weather and time in Paris?")], options);

        Assert.Equal(ChatFinishReason.ToolCalls, completion.FinishReason);
        Assert.Equal(2, completion.ToolCalls.Count);
        Assert.Equal("call_weather", completion.ToolCalls[0].Id);
        Assert.Equal("get_weather", completion.ToolCalls[0].FunctionName);
        Assert.Equal("""{"city":"Paris","unit":"celsius"}""", completion.ToolCalls[0].FunctionArguments.ToString());
        Assert.Equal("call_time", completion.ToolCalls[1].Id);
        Assert.Equal("get_time", completion.ToolCalls[1].FunctionName);
        Assert.Equal("""{"tz":"Europe/Paris"}""", completion.ToolCalls[1].FunctionArguments.ToString());

        // The tool definitions reached the upstream untouched.
        var tools = Assert.IsType<JsonArray>(Assert.Single(h.A.Requests).Json!["tools"]);
        Assert.Equal(["get_weather", "get_time"], tools.Select(t => Wire.StringOf(t!["function"]!["name"])));
    }

    [Fact]
    public async Task CompleteChatStreaming_ParallelToolCalls_FragmentsReassembleIntoExactJson()
    {
        await using var h = await GatewayHarness.StartAsync();
        h.A.Enqueue(UpstreamBehavior.ToolCalls(
            FakeToolCall.Fragmented("get_weather", "{\"ci", "ty\":\"Par", "is\",\"unit\"", ":\"celsius\"}"),
            FakeToolCall.Fragmented("get_time", "{", "\"tz\":\"Eu", "rope/Paris\"", "}")));

        var ids = new Dictionary<int, string>();
        var names = new Dictionary<int, string>();
        var arguments = new Dictionary<int, StringBuilder>();
        ChatFinishReason? finish = null;
        var options = new ChatCompletionOptions { Tools = { WeatherTool(), TimeTool() } };
        await foreach (var update in h.Chat("chat").CompleteChatStreamingAsync([new UserChatMessage("weather and time?")], options))
        {
            foreach (var call in update.ToolCallUpdates)
            {
                if (call.ToolCallId is { } id)
                {
                    ids[call.Index] = id;
                }

                if (call.FunctionName is { } name)
                {
                    names[call.Index] = name;
                }

                if (!arguments.TryGetValue(call.Index, out var builder))
                {
                    arguments[call.Index] = builder = new StringBuilder();
                }

                builder.Append(call.FunctionArgumentsUpdate?.ToString());
            }

            finish ??= update.FinishReason;
        }

        Assert.Equal(ChatFinishReason.ToolCalls, finish);
        Assert.Equal([0, 1], ids.Keys.Order());
        Assert.NotEqual(ids[0], ids[1]);
        Assert.Equal("get_weather", names[0]);
        Assert.Equal("get_time", names[1]);
        Assert.Equal("""{"city":"Paris","unit":"celsius"}""", arguments[0].ToString());
        Assert.Equal("""{"tz":"Europe/Paris"}""", arguments[1].ToString());
    }

    [Fact]
    public async Task CompleteChat_UpstreamRequest_HasRewrittenModelProviderKeyAndIntactBody()
    {
        await using var h = await GatewayHarness.StartAsync();

        var options = new ChatCompletionOptions { Temperature = 0.25f, MaxOutputTokenCount = 64, EndUserId = "user-42" };
        await h.Chat("chat").CompleteChatAsync(
            [new SystemChatMessage("You are terse."), new UserChatMessage("Grüß dich 👋")], options);

        var upstream = Assert.Single(h.A.Requests);
        Assert.Equal("/v1/chat/completions", upstream.Path);
        Assert.Equal("upstream-model-a", upstream.Model);
        Assert.Equal(GatewayHarness.ProviderKey, upstream.BearerToken);
        Assert.DoesNotContain(GatewayHarness.ClientKey, upstream.Body);
        Assert.DoesNotContain(upstream.Headers, header => header.Value.Contains(GatewayHarness.ClientKey, StringComparison.Ordinal));
        var json = upstream.Json!;
        Assert.Equal(0.25, json["temperature"]!.GetValue<double>(), precision: 5);
        Assert.Equal("user-42", Wire.StringOf(json["user"]));
        var messages = Assert.IsType<JsonArray>(json["messages"]);
        Assert.Equal(2, messages.Count);
        Assert.Equal("You are terse.", Wire.StringOf(messages[0]!["content"]));
        Assert.Equal("Grüß dich 👋", Wire.StringOf(messages[1]!["content"]));
    }

    [Fact]
    public async Task PostChat_RawBody_ForwardedByteForByteExceptModel()
    {
        await using var h = await GatewayHarness.StartAsync();

        // Odd whitespace, fields the gateway does not read, nested objects, escapes and non-ASCII: only the model
        // token may change. (The fake, like the real API, refuses fields it does not know, so these are real ones.)
        const string body = "{ \"messages\" : [ {\"role\":\"user\",\"content\":\"caf\\u00e9 \\\"quoted\\\" ☕\"} ],\n"
            + "  \"model\":   \"chat\" , \"logit_bias\": {\"50256\": -100, \"42\": 2.50},\n  \"temperature\": 0.7 ,\"metadata\":{\"k\":\"v\"}\n}";
        using var response = await h.PostChatAsync(body);

        Assert.Equal(200, (int)response.StatusCode);
        var upstream = Assert.Single(h.A.Requests);
        Assert.Equal(body.Replace("\"chat\"", "\"upstream-model-a\"", StringComparison.Ordinal), upstream.Body);
    }

    [Fact]
    public async Task PostChatStream_StreamOptionsBeforeModel_SplicesBothEditsCorrectly()
    {
        await using var h = await GatewayHarness.StartAsync();

        const string body = "{\"stream_options\":{\"include_usage\":false},\"stream\":true,\"model\":\"chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"seed\":7}";
        using var response = await h.PostChatAsync(body);
        var events = await Wire.ReadSseAsync(response);

        Assert.True(events[^1].IsDone);
        var upstream = Assert.Single(h.A.Requests);
        Assert.Equal(
            "{\"stream_options\":{\"include_usage\":true},\"stream\":true,\"model\":\"upstream-model-a\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"seed\":7}",
            upstream.Body);
        Assert.DoesNotContain(events, Wire.IsUsageOnlyChunk); // the client said include_usage: false
    }

    [Fact]
    public async Task PostChatStream_CrlfFramedUpstream_RelayedAndMetered()
    {
        await using var h = await GatewayHarness.StartAsync();
        h.A.Enqueue(UpstreamBehavior.Raw(async (http, request) =>
        {
            const string head = "\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\"";
            http.Response.StatusCode = 200;
            http.Response.ContentType = "text/event-stream";
            await http.Response.WriteAsync(
                "data: {" + head + ",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hel\"},\"finish_reason\":null}]}\r\n\r\n"
                + "data: {" + head + ",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo ✓\"},\"finish_reason\":\"stop\"}]}\r\n\r\n");
            await http.Response.Body.FlushAsync();
            await http.Response.WriteAsync(
                "data: {" + head + ",\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2,\"total_tokens\":7}}\r\n\r\n"
                + "data: [DONE]\r\n\r\n");
        }));

        using var response = await h.PostChatAsync(Wire.ChatJson(stream: true));
        var events = await Wire.ReadSseAsync(response);

        Assert.Equal("Hello ✓", Wire.Content(events));
        Assert.True(events[^1].IsDone);
        Assert.DoesNotContain(events, Wire.IsUsageOnlyChunk);
        var record = await h.UsageAsync(Wire.Header(response, "x-request-id")!);
        Assert.Equal(7, record.TotalTokens);
        Assert.Null(record.ErrorKind);
    }

    private static ChatTool WeatherTool() => ChatTool.CreateFunctionTool(
        "get_weather", "Current weather", BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string"},"unit":{"type":"string"}}}"""));

    private static ChatTool TimeTool() => ChatTool.CreateFunctionTool(
        "get_time", "Current time", BinaryData.FromString("""{"type":"object","properties":{"tz":{"type":"string"}}}"""));
}
