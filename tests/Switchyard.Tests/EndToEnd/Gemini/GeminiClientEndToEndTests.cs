using System.Net;
using System.Text.Json.Nodes;
using Switchyard.Tests.TestKit;

namespace Switchyard.Tests.EndToEnd.Gemini;

/// <summary>
/// Gemini-shaped clients (raw HTTP, as the Google GenAI SDKs send it) → the gateway's <c>/v1beta</c> routes →
/// translated to the fake OpenAI upstream and back.
/// </summary>
[Collection(GeminiGatewayCollection.Name)]
public sealed class GeminiClientEndToEndTests(GeminiGatewayFixture f)
{
    private const string Generate = "/v1beta/models/gpt-via-gemini-api:generateContent";
    private const string Stream = "/v1beta/models/gpt-via-gemini-api:streamGenerateContent?alt=sse";

    private const string WeatherTool = """
        "tools": [{"functionDeclarations": [{"name": "get_weather", "description": "Weather for a city.",
          "parameters": {"type": "OBJECT", "properties": {"city": {"type": "STRING"}}, "required": ["city"]}}]}]
        """;

    [Fact]
    public async Task GenerateContent_TranslatesToOpenAIAndBack()
    {
        f.OpenAI.Enqueue(UpstreamBehavior.Text("Bonjour !", usage: new FakeUsage(12, 3) { CachedTokens = 4 }));

        using var response = await f.PostAsync(Generate, """
            {"systemInstruction": {"parts": [{"text": "Be brief."}]},
             "contents": [{"role": "user", "parts": [{"text": "Hello in French?"}]}],
             "generationConfig": {"temperature": 0.3, "maxOutputTokens": 50}}
            """);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("Bonjour !", (string?)body["candidates"]![0]!["content"]!["parts"]![0]!["text"]);
        Assert.Equal("model", (string?)body["candidates"]![0]!["content"]!["role"]);
        Assert.Equal("STOP", (string?)body["candidates"]![0]!["finishReason"]);
        Assert.Equal(12, (int)body["usageMetadata"]!["promptTokenCount"]!);
        Assert.Equal(3, (int)body["usageMetadata"]!["candidatesTokenCount"]!);
        Assert.Equal(4, (int)body["usageMetadata"]!["cachedContentTokenCount"]!);

        var sent = f.OpenAI.LastRequest!;
        Assert.Equal("/v1/chat/completions", sent.Path);
        Assert.Equal("gpt-4o-mini", sent.Model);
        Assert.Equal("Bearer sk-fake-openai", sent.Authorization);
        Assert.Equal("system", (string?)sent.Json!["messages"]![0]!["role"]);
        Assert.Equal("Hello in French?", (string?)sent.Json["messages"]![1]!["content"]);
        Assert.Equal(50, (int)sent.Json["max_completion_tokens"]!);
    }

    [Fact]
    public async Task StreamGenerateContent_Sse_WithKeyInQuery()
    {
        f.OpenAI.Enqueue(UpstreamBehavior.Text("Streaming, ünïcode too 🎉", chunks: 4));

        using var response = await f.PostAsync(Stream + "&key=" + GeminiGatewayFixture.ClientKey,
            """{"contents": [{"parts": [{"text": "Stream please"}]}]}""", key: null, stream: true);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        var chunks = GeminiGatewayFixture.SseData(await response.Content.ReadAsStringAsync());
        var text = string.Concat(chunks.Select(c => (string?)c["candidates"]![0]!["content"]!["parts"]![0]!["text"]));
        Assert.Equal("Streaming, ünïcode too 🎉", text);
        var last = chunks[^1];
        Assert.Equal("STOP", (string?)last["candidates"]![0]!["finishReason"]);
        Assert.Equal(10, (int)last["usageMetadata"]!["promptTokenCount"]!);
        Assert.True(chunks.Take(chunks.Count - 1).All(c => c["candidates"]![0]!["finishReason"] is null));
        Assert.True(f.OpenAI.LastRequest!.IsStream);
    }

    [Fact]
    public async Task Tools_FunctionCallThenFunctionResponse_RoundTrip()
    {
        f.OpenAI.Enqueue(UpstreamBehavior.ToolCall("get_weather", """{"city":"Paris"}"""));
        using var first = await f.PostAsync(Generate, """
            {"contents": [{"role": "user", "parts": [{"text": "Weather in Paris?"}]}], TOOLS,
             "toolConfig": {"functionCallingConfig": {"mode": "ANY"}}}
            """.Replace("TOOLS", WeatherTool, StringComparison.Ordinal));
        var body = JsonNode.Parse(await first.Content.ReadAsStringAsync())!;
        var call = body["candidates"]![0]!["content"]!["parts"]![0]!["functionCall"]!;
        Assert.Equal("get_weather", (string?)call["name"]);
        Assert.Equal("Paris", (string?)call["args"]!["city"]);
        var sentTools = f.OpenAI.LastRequest!.Json!;
        Assert.Equal("object", (string?)sentTools["tools"]![0]!["function"]!["parameters"]!["type"]);
        Assert.Equal("required", (string?)sentTools["tool_choice"]);

        // Second turn, as an SDK sends it: the model's call (id-less, as older Gemini clients send it) and the response.
        f.OpenAI.Enqueue(UpstreamBehavior.Text("It is sunny in Paris."));
        using var second = await f.PostAsync(Generate, """
            {"contents": [
               {"role": "user", "parts": [{"text": "Weather in Paris?"}]},
               {"role": "model", "parts": [{"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}}]},
               {"role": "user", "parts": [{"functionResponse": {"name": "get_weather", "response": {"sky": "sunny"}}}]}],
             TOOLS}
            """.Replace("TOOLS", WeatherTool, StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        var messages = f.OpenAI.LastRequest!.Json!["messages"]!.AsArray();
        var callId = (string?)messages[1]!["tool_calls"]![0]!["id"];
        Assert.Equal("tool", (string?)messages[2]!["role"]);
        Assert.Equal(callId, (string?)messages[2]!["tool_call_id"]);
        Assert.Equal("""{"sky":"sunny"}""", (string?)messages[2]!["content"]);
    }

    [Fact]
    public async Task Tools_Streamed_ArgumentFragmentsBecomeOneWholeCall()
    {
        f.OpenAI.Enqueue(UpstreamBehavior.ToolCalls(
            FakeToolCall.Fragmented("get_weather", """{"ci""", """ty":"Pa""", """ris"}"""),
            FakeToolCall.Fragmented("get_weather", """{"city":""", "\"Rome\"}")));

        using var response = await f.PostAsync(Stream, """{"contents": [{"parts": [{"text": "Paris and Rome?"}]}], TOOLS}""".Replace("TOOLS", WeatherTool, StringComparison.Ordinal), stream: true);

        var chunks = GeminiGatewayFixture.SseData(await response.Content.ReadAsStringAsync());
        var calls = chunks.SelectMany(c => c["candidates"]![0]!["content"]!["parts"]!.AsArray())
            .Where(p => p!["functionCall"] is not null).Select(p => p!["functionCall"]!).ToList();
        Assert.Equal(2, calls.Count);
        Assert.Equal("Paris", (string?)calls[0]["args"]!["city"]);
        Assert.Equal("Rome", (string?)calls[1]["args"]!["city"]);
        Assert.NotEqual((string?)calls[0]["id"], (string?)calls[1]["id"]);
        Assert.Equal("STOP", (string?)chunks[^1]["candidates"]![0]!["finishReason"]);
    }

    [Fact]
    public async Task CutAfterContent_EndsWithGoogleErrorEvent()
    {
        // Cut after the role chunk and two content chunks: content was sent, so the stream ends honestly.
        f.OpenAI.Enqueue(UpstreamBehavior.Cut(3, UpstreamBehavior.Text("one two three four", chunks: 4)));

        using var response = await f.PostAsync(Stream, """{"contents": [{"parts": [{"text": "Count"}]}]}""", stream: true);

        var chunks = GeminiGatewayFixture.SseData(await response.Content.ReadAsStringAsync());
        var error = chunks[^1]["error"]!;
        Assert.Equal(502, (int)error["code"]!);
        Assert.Equal("INTERNAL", (string?)error["status"]);
        Assert.Equal("UPSTREAM_STREAM_CUT", (string?)error["details"]![0]!["reason"]);
        Assert.Contains(chunks, c => c["candidates"] is not null);
    }
}
