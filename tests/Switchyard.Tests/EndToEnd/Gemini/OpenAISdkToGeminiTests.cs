using System.ClientModel;
using System.Text;
using System.Text.Json.Nodes;
using OpenAI;
using OpenAI.Chat;
using Switchyard.Tests.TestKit.Gemini;

namespace Switchyard.Tests.EndToEnd.Gemini;

/// <summary>The official OpenAI .NET SDK → the gateway → translated to the fake Gemini upstream and back.</summary>
[Collection(GeminiGatewayCollection.Name)]
public sealed class OpenAISdkToGeminiTests(GeminiGatewayFixture f)
{
    private static readonly ChatTool Weather = ChatTool.CreateFunctionTool("get_weather", "Weather for a city.",
        BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}"""));

    private ChatClient Chat(string alias = "flash") =>
        new(alias, new ApiKeyCredential(GeminiGatewayFixture.ClientKey), new OpenAIClientOptions { Endpoint = f.Url("/v1") });

    [Fact]
    public async Task Text_NonStreaming()
    {
        f.Gemini.Enqueue(GeminiReply.Text("Hello from Gemini", usage: new GeminiUsage(9, 4, Thoughts: 6, Cached: 2)));

        ChatCompletion completion = await Chat().CompleteChatAsync([new SystemChatMessage("Be kind."), new UserChatMessage("hi")]);

        Assert.Equal("Hello from Gemini", Assert.Single(completion.Content).Text);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.Equal(9, completion.Usage.InputTokenCount);
        Assert.Equal(10, completion.Usage.OutputTokenCount);
        Assert.Equal(6, completion.Usage.OutputTokenDetails.ReasoningTokenCount);
        Assert.Equal(2, completion.Usage.InputTokenDetails.CachedTokenCount);

        var sent = f.Gemini.Requests[^1];
        Assert.Equal("/v1beta/models/gemini-2.5-flash:generateContent", sent.Path);
        Assert.Equal(f.Gemini.ApiKey, sent.Header("x-goog-api-key"));
        Assert.Null(sent.Header("Authorization"));
        Assert.Equal("Be kind.", (string?)sent.Json!["systemInstruction"]!["parts"]![0]!["text"]);
        Assert.Equal("hi", (string?)sent.Json["contents"]![0]!["parts"]![0]!["text"]);
    }

    [Fact]
    public async Task Text_Streaming()
    {
        f.Gemini.Enqueue(GeminiReply.Text("Streaming from Gemini, ünïcode 🎉", chunks: 4, usage: new GeminiUsage(7, 8)));

        var text = new StringBuilder();
        ChatTokenUsage? usage = null;
        ChatFinishReason? finish = null;
        await foreach (var update in Chat().CompleteChatStreamingAsync([new UserChatMessage("stream")]))
        {
            update.ContentUpdate.ToList().ForEach(p => text.Append(p.Text));
            usage ??= update.Usage;
            finish ??= update.FinishReason;
        }

        Assert.Equal("Streaming from Gemini, ünïcode 🎉", text.ToString());
        Assert.Equal(ChatFinishReason.Stop, finish);
        Assert.Equal(7, usage!.InputTokenCount);
        Assert.Equal(8, usage.OutputTokenCount);
        var sent = f.Gemini.Requests[^1];
        Assert.Equal("/v1beta/models/gemini-2.5-flash:streamGenerateContent", sent.Path);
        Assert.Equal("?alt=sse", sent.Query);
    }

    [Fact]
    public async Task Tools_CallThenResult_MapsResultBackByName()
    {
        f.Gemini.Enqueue(GeminiReply.FunctionCalls(("get_weather", """{"city":"Paris"}"""), ("get_weather", """{"city":"Rome"}""")));
        var options = new ChatCompletionOptions { Tools = { Weather } };
        List<ChatMessage> history = [new UserChatMessage("Weather in Paris and Rome?")];

        ChatCompletion first = await Chat().CompleteChatAsync(history, options);

        Assert.Equal(ChatFinishReason.ToolCalls, first.FinishReason);
        Assert.Equal(2, first.ToolCalls.Count);
        Assert.Equal("""{"city":"Paris"}""", first.ToolCalls[0].FunctionArguments.ToString());
        Assert.NotEqual(first.ToolCalls[0].Id, first.ToolCalls[1].Id);
        var declared = f.Gemini.Requests[^1].Json!["tools"]![0]!["functionDeclarations"]![0]!;
        Assert.Equal("get_weather", (string?)declared["name"]);
        Assert.Equal("object", (string?)declared["parametersJsonSchema"]!["type"]);

        f.Gemini.Enqueue(GeminiReply.Text("Sunny in Paris, rain in Rome."));
        history.Add(new AssistantChatMessage(first));
        history.Add(new ToolChatMessage(first.ToolCalls[1].Id, "rain"));
        history.Add(new ToolChatMessage(first.ToolCalls[0].Id, """{"sky":"sunny"}"""));
        ChatCompletion second = await Chat().CompleteChatAsync(history, options);

        Assert.Equal("Sunny in Paris, rain in Rome.", second.Content[0].Text);
        var contents = f.Gemini.Requests[^1].Json!["contents"]!.AsArray();
        Assert.Equal("model", (string?)contents[1]!["role"]);
        Assert.Equal("Paris", (string?)contents[1]!["parts"]![0]!["functionCall"]!["args"]!["city"]);
        var responses = contents[2]!["parts"]!.AsArray().Select(p => p!["functionResponse"]!).ToList();
        Assert.All(responses, r => Assert.Equal("get_weather", (string?)r["name"]));
        Assert.Equal("rain", (string?)responses[0]["response"]!["output"]);
        Assert.Equal("sunny", (string?)responses[1]["response"]!["sky"]);
    }

    [Fact]
    public async Task Tools_Streaming()
    {
        f.Gemini.Enqueue(GeminiReply.FunctionCalls(("get_weather", """{"city":"Oslo"}""")));

        var args = new StringBuilder();
        string? name = null, id = null;
        ChatFinishReason? finish = null;
        await foreach (var update in Chat().CompleteChatStreamingAsync([new UserChatMessage("Oslo?")], new ChatCompletionOptions { Tools = { Weather } }))
        {
            foreach (var call in update.ToolCallUpdates)
            {
                name ??= call.FunctionName;
                id ??= call.ToolCallId;
                args.Append(call.FunctionArgumentsUpdate?.ToString());
            }

            finish ??= update.FinishReason;
        }

        Assert.Equal("get_weather", name);
        Assert.StartsWith("call_", id);
        Assert.Equal("""{"city":"Oslo"}""", args.ToString());
        Assert.Equal(ChatFinishReason.ToolCalls, finish);
    }

    [Fact]
    public async Task GeminiStreamCut_EndsWithOpenAIErrorEvent()
    {
        // Two chunks, no finishReason, then the response ends: content was sent, so the stream ends with an error event.
        f.Gemini.Enqueue(GeminiReply.Cut(2, GeminiReply.Text("one two three four", chunks: 4)));

        var events = await RawStreamAsync("count");

        var text = Text(events);
        Assert.True(text.Length > 0 && text.Length < 18 && "one two three four".StartsWith(text, StringComparison.Ordinal), text);
        Assert.Equal("upstream_stream_cut", (string?)events[^1]["error"]!["code"]);
    }

    [Fact]
    public async Task GeminiInStreamError_EndsWithOpenAIErrorEvent()
    {
        f.Gemini.Enqueue(GeminiReply.StreamError(1, GeminiReply.Text("partial answer", chunks: 2)));

        var events = await RawStreamAsync("go");

        Assert.Equal("partial", Text(events));
        var error = events[^1]["error"]!;
        Assert.Equal("INTERNAL", (string?)error["code"]);
        Assert.Contains("An internal error has occurred", (string?)error["message"]);
    }

    /// <summary>Raw SSE (the OpenAI SDK skips error events, so what the stream ends with is read directly).</summary>
    private async Task<List<JsonNode>> RawStreamAsync(string prompt)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, f.Url("/v1/chat/completions"))
        {
            Content = new StringContent($$"""{"model": "flash-strict", "stream": true, "messages": [{"role": "user", "content": "{{prompt}}"}]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new("Bearer", GeminiGatewayFixture.ClientKey);
        using var response = await f.Http.SendAsync(request);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("[DONE]", body, StringComparison.Ordinal);
        return GeminiGatewayFixture.SseData(body);
    }

    private static string Text(List<JsonNode> events) =>
        string.Concat(events.Select(e => (string?)e["choices"]?.AsArray().FirstOrDefault()?["delta"]?["content"]));
}
