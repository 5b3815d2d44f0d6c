#pragma warning disable OPENAI001 // the Responses client is marked experimental in the SDK
using System.ClientModel;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using OpenAI.Responses;
using Switchyard.Tests.Providers.OpenAIResponses;
using Switchyard.Tests.TestKit;

namespace Switchyard.Tests.EndToEnd.Responses;

/// <summary>
/// <c>POST /v1/responses</c> through a real gateway, driven by the official OpenAI .NET SDK's Responses client:
/// against the built-in echo model (no upstream) and against a fake OpenAI upstream reached through Chat Completions.
/// </summary>
public sealed class ResponsesEndToEndTests
{
    private static readonly BinaryData WeatherSchema = BinaryData.FromString(
        """{"type":"object","properties":{"city":{"type":"string"}},"required":["city"],"additionalProperties":false}""");

    [Fact]
    public async Task Echo_NonStreaming_AnswersWithTheUserText()
    {
        await using var gw = await ResponsesGateway.StartAsync();

        ResponseResult response = await gw.Client.CreateResponseAsync("switchyard/echo", "Hello through the gateway");

        Assert.Equal("Hello through the gateway", response.GetOutputText());
        Assert.Equal(ResponseStatus.Completed, response.Status);
        Assert.StartsWith("resp_", response.Id, StringComparison.Ordinal);
        var message = Assert.IsAssignableFrom<MessageResponseItem>(Assert.Single(response.OutputItems));
        Assert.Equal(MessageStatus.Completed, message.Status);
        Assert.True(response.Usage.InputTokenCount > 0);
        Assert.Equal(response.Usage.InputTokenCount + response.Usage.OutputTokenCount, response.Usage.TotalTokenCount);
    }

    [Fact]
    public async Task Echo_Streaming_DeltasConcatenateAndCompletedCarriesUsage()
    {
        await using var gw = await ResponsesGateway.StartAsync();

        var text = new StringBuilder();
        var sequence = new List<int>();
        ResponseResult? completed = null;
        await foreach (var update in await gw.Client.CreateResponseStreamingAsync("switchyard/echo", "stream me back please"))
        {
            sequence.Add(update.SequenceNumber);
            switch (update)
            {
                case StreamingResponseOutputTextDeltaUpdate delta:
                    text.Append(delta.Delta);
                    break;
                case StreamingResponseCompletedUpdate done:
                    completed = done.Response;
                    break;
            }
        }

        Assert.Equal("stream me back please", text.ToString());
        Assert.Equal(Enumerable.Range(0, sequence.Count), sequence);
        Assert.NotNull(completed);
        Assert.Equal(ResponseStatus.Completed, completed.Status);
        Assert.Equal("stream me back please", completed.GetOutputText());
        Assert.True(completed.Usage.OutputTokenCount > 0);
    }

    [Fact]
    public async Task FakeUpstream_FunctionTool_NonStreaming()
    {
        await using var gw = await ResponsesGateway.StartAsync();
        gw.Fake.Enqueue(UpstreamBehavior.ToolCalls(new FakeToolCall("get_weather", """{"city":"Paris"}""") { Id = "call_paris" }) with { Usage = new FakeUsage(31, 7) });

        var options = new CreateResponseOptions(ResponsesGateway.FakeAlias, [ResponseItem.CreateUserMessageItem("Weather in Paris?")])
        {
            Instructions = "Use tools when useful.",
            ToolChoice = ResponseToolChoice.CreateRequiredChoice(),
            MaxOutputTokenCount = 200,
        };
        options.Tools.Add(ResponseTool.CreateFunctionTool("get_weather", WeatherSchema, strictModeEnabled: true, functionDescription: "Weather for a city."));
        ResponseResult response = await gw.Client.CreateResponseAsync(options);

        var call = Assert.IsType<FunctionCallResponseItem>(Assert.Single(response.OutputItems));
        Assert.Equal("get_weather", call.FunctionName);
        Assert.Equal("""{"city":"Paris"}""", call.FunctionArguments.ToString());
        Assert.Equal("call_paris", call.CallId); // the client's call id is the upstream's, so results route back
        Assert.Equal(ResponseStatus.Completed, response.Status);
        Assert.Equal(31, response.Usage.InputTokenCount);
        Assert.Equal(7, response.Usage.OutputTokenCount);

        // The upstream got a proper Chat Completions request.
        var upstream = Assert.Single(gw.Fake.Requests);
        Assert.Equal("/v1/chat/completions", upstream.Path);
        Assert.Equal(ResponsesGateway.FakeKey, upstream.BearerToken);
        var body = upstream.Json!.AsObject();
        Assert.Equal(ResponsesGateway.FakeUpstreamModel, (string?)body["model"]);
        Assert.False(body.ContainsKey("input"));
        Assert.False(body.ContainsKey("instructions"));
        var messages = body["messages"]!.AsArray();
        Assert.Equal("system", (string?)messages[0]!["role"]);
        Assert.Equal("Use tools when useful.", (string?)messages[0]!["content"]);
        Assert.Equal("user", (string?)messages[1]!["role"]);
        Assert.Equal("Weather in Paris?", UserText(messages[1]!));
        var tool = Assert.Single(body["tools"]!.AsArray())!;
        Assert.Equal("function", (string?)tool["type"]);
        Assert.Equal("get_weather", (string?)tool["function"]!["name"]);
        Assert.Equal("Weather for a city.", (string?)tool["function"]!["description"]);
        Assert.True((bool?)tool["function"]!["strict"]);
        Assert.Equal("object", (string?)tool["function"]!["parameters"]!["type"]);
        Assert.Equal("required", (string?)body["tool_choice"]);
        Assert.Equal(200, (int?)body["max_completion_tokens"]);
        Assert.False(upstream.IsStream);
    }

    [Fact]
    public async Task FakeUpstream_FunctionTool_Streaming()
    {
        await using var gw = await ResponsesGateway.StartAsync();
        gw.Fake.Enqueue(UpstreamBehavior.ToolCalls(
            FakeToolCall.Fragmented("get_weather", """{"city":""", "\"Oslo\"}") with { Id = "call_oslo" },
            new FakeToolCall("get_weather", """{"city":"Bergen"}""") { Id = "call_bergen" }));

        var options = new CreateResponseOptions(ResponsesGateway.FakeAlias, [ResponseItem.CreateUserMessageItem("Oslo and Bergen?")]) { StreamingEnabled = true };
        options.Tools.Add(ResponseTool.CreateFunctionTool("get_weather", WeatherSchema, strictModeEnabled: false));

        var arguments = new Dictionary<string, StringBuilder>();
        var done = new List<FunctionCallResponseItem>();
        ResponseResult? completed = null;
        await foreach (var update in await gw.Client.CreateResponseStreamingAsync(options))
        {
            switch (update)
            {
                case StreamingResponseFunctionCallArgumentsDeltaUpdate delta:
                    (arguments.TryGetValue(delta.ItemId, out var sb) ? sb : arguments[delta.ItemId] = new StringBuilder()).Append(delta.Delta.ToString());
                    break;
                case StreamingResponseOutputItemDoneUpdate { Item: FunctionCallResponseItem call }:
                    done.Add(call);
                    break;
                case StreamingResponseCompletedUpdate c:
                    completed = c.Response;
                    break;
            }
        }

        Assert.Equal(["call_oslo", "call_bergen"], done.Select(c => c.CallId));
        Assert.Equal(["""{"city":"Oslo"}""", """{"city":"Bergen"}"""], done.Select(c => c.FunctionArguments.ToString()));
        Assert.Equal(done.Select(c => c.FunctionArguments.ToString()), done.Select(c => arguments[c.Id].ToString()));
        Assert.NotNull(completed);
        Assert.Equal(2, completed.OutputItems.OfType<FunctionCallResponseItem>().Count());
        Assert.True(completed.Usage.TotalTokenCount > 0);

        var upstream = Assert.Single(gw.Fake.Requests);
        Assert.True(upstream.IsStream);
        Assert.True(upstream.IncludeUsage); // response.completed needs usage, so the gateway always asks for it
        Assert.Equal("get_weather", (string?)upstream.Json!["tools"]![0]!["function"]!["name"]);
    }

    [Fact]
    public async Task FakeUpstream_ToolResultsRoundTrip_AsAssistantToolCallsAndToolMessages()
    {
        await using var gw = await ResponsesGateway.StartAsync();
        gw.Fake.Enqueue(UpstreamBehavior.Text("It is 18C in Paris."));

        ResponseItem[] input =
        [
            ResponseItem.CreateUserMessageItem("Weather in Paris?"),
            ResponseItem.CreateFunctionCallItem("call_1", "get_weather", BinaryData.FromString("""{"city":"Paris"}""")),
            ResponseItem.CreateFunctionCallOutputItem("call_1", "18C"),
        ];
        var options = new CreateResponseOptions(ResponsesGateway.FakeAlias, input);
        options.Tools.Add(ResponseTool.CreateFunctionTool("get_weather", WeatherSchema, strictModeEnabled: null));
        ResponseResult response = await gw.Client.CreateResponseAsync(options);

        Assert.Equal("It is 18C in Paris.", response.GetOutputText());
        var messages = gw.Fake.LastRequest!.Json!["messages"]!.AsArray();
        Assert.Equal(3, messages.Count);
        Assert.Equal("assistant", (string?)messages[1]!["role"]);
        var call = Assert.Single(messages[1]!["tool_calls"]!.AsArray())!;
        Assert.Equal("call_1", (string?)call["id"]);
        Assert.Equal("get_weather", (string?)call["function"]!["name"]);
        Assert.Equal("""{"city":"Paris"}""", (string?)call["function"]!["arguments"]);
        Assert.Equal("tool", (string?)messages[2]!["role"]);
        Assert.Equal("call_1", (string?)messages[2]!["tool_call_id"]);
        Assert.Equal("18C", (string?)messages[2]!["content"]);
    }

    [Fact]
    public async Task PreviousResponseId_Unknown_Is400PreviousResponseNotFound()
    {
        await using var gw = await ResponsesGateway.StartAsync();

        var ex = await Assert.ThrowsAsync<ClientResultException>(() =>
            gw.Client.CreateResponseAsync("switchyard/echo", "continue", previousResponseId: "resp_earlier"));
        Assert.Equal(400, ex.Status);
        Assert.Contains("Previous response with id 'resp_earlier' not found.", ex.Message, StringComparison.Ordinal);

        using var raw = await gw.Http.PostAsync("/v1/responses", Json("""{"model":"fake/mini","input":"hi","previous_response_id":"resp_1"}"""));
        Assert.Equal(HttpStatusCode.BadRequest, raw.StatusCode);
        using var doc = JsonDocument.Parse(await raw.Content.ReadAsStringAsync());
        var error = doc.RootElement.GetProperty("error");
        Assert.Equal("previous_response_id", error.GetProperty("param").GetString());
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Equal("previous_response_not_found", error.GetProperty("code").GetString());
        Assert.Equal(0, gw.Fake.RequestCount);
    }

    [Fact]
    public async Task StoreTrue_TheResponseIsKept_AndCanBeFetched()
    {
        await using var gw = await ResponsesGateway.StartAsync();

        using var raw = await gw.Http.PostAsync("/v1/responses", Json("""{"model":"switchyard/echo","input":"keep me","store":true}"""));

        Assert.Equal(HttpStatusCode.OK, raw.StatusCode);
        using var doc = JsonDocument.Parse(await raw.Content.ReadAsStringAsync());
        Assert.True(doc.RootElement.GetProperty("store").GetBoolean());
        ResponseResult kept = await gw.Client.GetResponseAsync(doc.RootElement.GetProperty("id").GetString()!);
        Assert.Equal("keep me", kept.GetOutputText());
    }

    [Fact]
    public async Task FakeUpstream_StreamCut_EndsWithErrorThenResponseFailed()
    {
        await using var gw = await ResponsesGateway.StartAsync();
        gw.Fake.Enqueue(BreakAfterContent(http =>
        {
            http.Abort(); // the connection drops after the first content was relayed
            return Task.CompletedTask;
        }));

        using var raw = await gw.Http.PostAsync("/v1/responses", Json($$"""{"model":"{{ResponsesGateway.FakeAlias}}","input":"count","stream":true}"""));
        var sse = await raw.Content.ReadAsStringAsync();

        Assert.Equal("text/event-stream", raw.Content.Headers.ContentType?.MediaType);
        ResponsesStreamHarness.AssertWellFormed(sse);
        var events = ResponsesStreamHarness.Parse(sse);
        Assert.Equal(["error", "response.failed"], events.TakeLast(2).Select(e => e.Event));
        Assert.Equal("upstream_stream_cut", events[^2].Data.GetProperty("code").GetString());
        Assert.DoesNotContain(events, e => e.Event == "response.completed");
        Assert.DoesNotContain("[DONE]", sse, StringComparison.Ordinal);
        Assert.Equal(1, gw.Fake.RequestCount); // committed: no retry after content reached the client
    }

    [Fact]
    public async Task FakeUpstream_InStreamError_SdkSeesErrorAndFailedResponse()
    {
        await using var gw = await ResponsesGateway.StartAsync();
        gw.Fake.Enqueue(BreakAfterContent(http => http.Response.WriteAsync(
            "data: {\"error\":{\"message\":\"model overloaded mid-answer\",\"type\":\"server_error\",\"param\":null,\"code\":null}}\n\n")));

        var kinds = new List<string>();
        StreamingResponseErrorUpdate? error = null;
        ResponseResult? failed = null;
        await foreach (var update in await gw.Client.CreateResponseStreamingAsync(ResponsesGateway.FakeAlias, "go"))
        {
            kinds.Add(update.GetType().Name);
            error ??= update as StreamingResponseErrorUpdate;
            failed ??= (update as StreamingResponseFailedUpdate)?.Response;
        }

        Assert.True(error is not null, string.Join(",", kinds));
        Assert.Contains("model overloaded mid-answer", error.Message, StringComparison.Ordinal);
        Assert.NotNull(failed);
        Assert.Equal(ResponseStatus.Failed, failed.Status);
        Assert.DoesNotContain(nameof(StreamingResponseCompletedUpdate), kinds);
        Assert.Equal(1, gw.Fake.RequestCount);
    }

    /// <summary>
    /// Streams one content chunk, waits until the gateway has surely committed it to the client, then breaks the
    /// stream with <paramref name="breakStream"/>. (Within one upstream read an error would still be before the
    /// commit point, where the gateway correctly retries instead.)
    /// </summary>
    private static RawBehavior BreakAfterContent(Func<HttpContext, Task> breakStream) => UpstreamBehavior.Raw(async (http, _) =>
    {
        http.Response.ContentType = "text/event-stream";
        await http.Response.WriteAsync(
            "data: {\"id\":\"chatcmpl-brk\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"gpt-4o-mini\","
            + "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Partial\"},\"finish_reason\":null}]}\n\n");
        await http.Response.Body.FlushAsync();
        await Task.Delay(300);
        await breakStream(http);
    });

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static string UserText(JsonNode message) => message["content"] switch
    {
        JsonValue v => (string)v!,
        JsonArray parts => string.Concat(parts.Select(p => (string?)p!["text"])),
        _ => "",
    };
}
