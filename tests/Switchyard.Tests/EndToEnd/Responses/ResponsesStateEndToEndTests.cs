#pragma warning disable OPENAI001 // the Responses client is marked experimental in the SDK
using System.ClientModel;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using OpenAI.Responses;
using Switchyard.Tests.TestKit.Anthropic;

namespace Switchyard.Tests.EndToEnd.Responses;

/// <summary>
/// What real apps send: multi-turn Responses conversations that rely on the gateway keeping state
/// (<c>item_reference</c> to items it returned, <c>previous_response_id</c>), against an OpenAI-family deployment
/// and a translated Anthropic one, through the official SDK. The upstream must receive the whole conversation
/// every turn.
/// </summary>
public sealed class ResponsesStateEndToEndTests
{
    [Theory]
    [InlineData("gpt")]
    [InlineData("claude")]
    public async Task ItemReference_ThreeTurns_UpstreamGetsTheWholeConversation(string alias)
    {
        await using var h = await ResponsesStateHarness.StartAsync();
        var client = h.Client();

        // As the Vercel AI SDK does with store on: the user's messages by value, the assistant's by reference.
        h.Reply(alias, "Nice to meet you, Ada.");
        var first = (await client.CreateResponseAsync(alias, [ResponseItem.CreateUserMessageItem("My name is Ada.")])).Value;
        h.Reply(alias, "Your name is Ada.");
        var second = (await client.CreateResponseAsync(alias,
            [ResponseItem.CreateUserMessageItem("My name is Ada."), ResponseItem.CreateReferenceItem(first.OutputItems[0].Id),
             ResponseItem.CreateUserMessageItem("What is my name?")])).Value;
        Assert.Equal(["user: My name is Ada.", "assistant: Nice to meet you, Ada.", "user: What is my name?"], h.LastTranscript(alias));

        h.Reply(alias, "A-D-A.");
        var third = (await client.CreateResponseAsync(alias,
            [ResponseItem.CreateUserMessageItem("My name is Ada."), ResponseItem.CreateReferenceItem(first.OutputItems[0].Id),
             ResponseItem.CreateUserMessageItem("What is my name?"), ResponseItem.CreateReferenceItem(second.OutputItems[0].Id),
             ResponseItem.CreateUserMessageItem("Spell it.")])).Value;

        Assert.Equal("A-D-A.", third.GetOutputText());
        Assert.Equal(
            ["user: My name is Ada.", "assistant: Nice to meet you, Ada.", "user: What is my name?", "assistant: Your name is Ada.", "user: Spell it."],
            h.LastTranscript(alias));
        Assert.Equal(3, h.UpstreamCalls(alias));
    }

    [Theory]
    [InlineData("gpt")]
    [InlineData("claude")]
    public async Task PreviousResponseId_ThreeTurns_UpstreamGetsTheWholeConversation(string alias)
    {
        await using var h = await ResponsesStateHarness.StartAsync();
        var client = h.Client();

        h.Reply(alias, "Nice to meet you, Ada.");
        var first = (await client.CreateResponseAsync(alias, "My name is Ada.")).Value;

        // The second turn streams: the answer kept is the one the stream delivered, under the id it carried.
        h.Reply(alias, "Your name is Ada.");
        var options = new CreateResponseOptions(alias, [ResponseItem.CreateUserMessageItem("What is my name?")]) { PreviousResponseId = first.Id, StreamingEnabled = true };
        ResponseResult? second = null;
        await foreach (var update in await client.CreateResponseStreamingAsync(options))
        {
            second ??= (update as StreamingResponseCompletedUpdate)?.Response;
        }

        Assert.NotNull(second);
        Assert.Equal(first.Id, second.PreviousResponseId);
        Assert.Equal(["user: My name is Ada.", "assistant: Nice to meet you, Ada.", "user: What is my name?"], h.LastTranscript(alias));

        h.Reply(alias, "A-D-A.");
        var third = (await client.CreateResponseAsync(alias, "Spell it.", previousResponseId: second.Id)).Value;

        Assert.Equal("A-D-A.", third.GetOutputText());
        Assert.Equal(
            ["user: My name is Ada.", "assistant: Nice to meet you, Ada.", "user: What is my name?", "assistant: Your name is Ada.", "user: Spell it."],
            h.LastTranscript(alias));
        Assert.True(third.Id.StartsWith("resp_", StringComparison.Ordinal) && third.Id.Length == 53, third.Id); // the gateway's id, never the upstream's
    }

    [Fact]
    public async Task PreviousResponseId_ContinuedOnAnotherProvider_KeepsTheHistory()
    {
        // The gateway holds the conversation, not the upstream: one started on OpenAI continues on Anthropic.
        await using var h = await ResponsesStateHarness.StartAsync();
        var client = h.Client();
        h.Reply("gpt", "Nice to meet you, Ada.");
        var first = (await client.CreateResponseAsync("gpt", "My name is Ada.")).Value;

        h.Reply("claude", "Your name is Ada.");
        var second = (await client.CreateResponseAsync("claude", "What is my name?", previousResponseId: first.Id)).Value;

        Assert.Equal("Your name is Ada.", second.GetOutputText());
        Assert.Equal(["user: My name is Ada.", "assistant: Nice to meet you, Ada.", "user: What is my name?"], h.LastTranscript("claude"));
    }

    [Fact]
    public async Task AgentStep_TextThenToolCall_ReferencedBack_ReachesAnthropicAsOneAssistantTurn()
    {
        // The case: the model writes text before it calls a tool; the next step references both items.
        await using var h = await ResponsesStateHarness.StartAsync();
        var client = h.Client();
        h.Anthropic.Enqueue(AnthropicBehavior.ToolUse("Let me look that up.", new AnthropicToolUseBlock("toolu_1", "get_weather", """{"city":"Paris"}""")));
        var options = new CreateResponseOptions("claude", [ResponseItem.CreateUserMessageItem("Weather in Paris?")]);
        options.Tools.Add(ResponseTool.CreateFunctionTool("get_weather", BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string"}}}"""), strictModeEnabled: null));
        var step = (await client.CreateResponseAsync(options)).Value;
        var call = Assert.IsType<FunctionCallResponseItem>(step.OutputItems[1]);

        h.Anthropic.Enqueue(AnthropicBehavior.Text("It is 18C in Paris."));
        var next = new CreateResponseOptions("claude",
            [ResponseItem.CreateUserMessageItem("Weather in Paris?"), ResponseItem.CreateReferenceItem(step.OutputItems[0].Id),
             ResponseItem.CreateReferenceItem(call.Id), ResponseItem.CreateFunctionCallOutputItem(call.CallId, "18C")]);
        next.Tools.Add(options.Tools[0]);
        var answer = (await client.CreateResponseAsync(next)).Value;

        Assert.Equal("It is 18C in Paris.", answer.GetOutputText());
        Assert.Equal(["user: Weather in Paris?", "assistant: Let me look that up. [call get_weather]", "user: [result of toolu_1: 18C]"], h.LastTranscript("claude"));
    }

    [Fact]
    public async Task AnotherKeysResponse_IsNotFound_ForEveryUse_AndStaysIntact()
    {
        await using var h = await ResponsesStateHarness.StartAsync();
        h.Reply("gpt", "Secret answer.");
        var mine = (await h.Client().CreateResponseAsync("gpt", "A secret question.")).Value;
        var calls = h.UpstreamCalls("gpt");

        var get = await h.SendAsync(HttpMethod.Get, $"/v1/responses/{mine.Id}", key: GatewayHarness.OperatorKey);
        var items = await h.SendAsync(HttpMethod.Get, $"/v1/responses/{mine.Id}/input_items", key: GatewayHarness.OperatorKey);
        var delete = await h.SendAsync(HttpMethod.Delete, $"/v1/responses/{mine.Id}", key: GatewayHarness.OperatorKey);
        var unknown = await h.SendAsync(HttpMethod.Get, "/v1/responses/resp_unknown", key: GatewayHarness.OperatorKey);
        var previous = await h.SendAsync(HttpMethod.Post, "/v1/responses",
            $$"""{"model":"gpt","input":"continue","previous_response_id":"{{mine.Id}}"}""", GatewayHarness.OperatorKey);
        var reference = await h.SendAsync(HttpMethod.Post, "/v1/responses",
            $$"""{"model":"gpt","input":[{"type":"item_reference","id":"{{mine.OutputItems[0].Id}}"}]}""", GatewayHarness.OperatorKey);

        foreach (var (status, body) in new[] { get, items, delete })
        {
            Assert.Equal(404, status);
            Assert.Equal($"Response with id '{mine.Id}' not found.", body.GetProperty("error").GetProperty("message").GetString());
        }

        Assert.Equal((404, "Response with id 'resp_unknown' not found."), (unknown.Status, unknown.Body.GetProperty("error").GetProperty("message").GetString()));
        AssertError(previous, 400, $"Previous response with id '{mine.Id}' not found.", "previous_response_id", "previous_response_not_found");
        AssertError(reference, 404, $"Item with id '{mine.OutputItems[0].Id}' not found.", "input", "item_not_found");
        Assert.Equal(calls, h.UpstreamCalls("gpt")); // nothing refused reached the model

        var still = (await h.Client().GetResponseAsync(mine.Id)).Value;
        Assert.Equal("Secret answer.", still.GetOutputText());
    }

    [Fact]
    public async Task StoreFalse_NothingIsKept()
    {
        await using var h = await ResponsesStateHarness.StartAsync();
        h.Reply("gpt", "Forget me.");

        var (status, body) = await h.SendAsync(HttpMethod.Post, "/v1/responses", """{"model":"gpt","input":"hi","store":false}""");
        Assert.Equal(200, status);
        Assert.False(body.GetProperty("store").GetBoolean());
        var id = body.GetProperty("id").GetString()!;
        await h.State.FlushAsync();

        Assert.Equal(404, (await h.SendAsync(HttpMethod.Get, $"/v1/responses/{id}")).Status);
        Assert.Null(h.State.Store.Response("app", id, 0));
        var previous = await h.SendAsync(HttpMethod.Post, "/v1/responses", $$"""{"model":"gpt","input":"again","previous_response_id":"{{id}}"}""");
        Assert.Equal(400, previous.Status);
    }

    [Fact]
    public async Task Retention_ExpiredResponsesAreNeverServed_ThenPurged()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var h = await ResponsesStateHarness.StartAsync("{ retention: 1h }", time);
        h.Reply("gpt", "Short-lived.");
        var kept = (await h.Client().CreateResponseAsync("gpt", "hello")).Value;
        Assert.Equal(200, (await h.SendAsync(HttpMethod.Get, $"/v1/responses/{kept.Id}")).Status);

        time.Advance(TimeSpan.FromMinutes(61));

        Assert.Equal(404, (await h.SendAsync(HttpMethod.Get, $"/v1/responses/{kept.Id}")).Status);
        Assert.Equal(404, (await h.SendAsync(HttpMethod.Get, $"/v1/responses/{kept.Id}/input_items")).Status);
        var previous = await h.SendAsync(HttpMethod.Post, "/v1/responses", $$"""{"model":"gpt","input":"more","previous_response_id":"{{kept.Id}}"}""");
        AssertError(previous, 400, $"Previous response with id '{kept.Id}' not found.", "previous_response_id", "previous_response_not_found");

        // The purge runs on the gateway's clock: once an interval has gone by, the rows are gone too.
        var deadline = DateTime.UtcNow + GatewayHarness.Bound;
        while (h.State.Store.Response("app", kept.Id, 0) is not null)
        {
            Assert.True(DateTime.UtcNow < deadline, "the expired response was not purged");
            time.Advance(TimeSpan.FromMinutes(10));
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task GetInputItemsDelete_InOpenAIsShapes()
    {
        await using var h = await ResponsesStateHarness.StartAsync();
        var client = h.Client();
        h.Reply("gpt", "One.");
        var first = (await client.CreateResponseAsync("gpt", [ResponseItem.CreateUserMessageItem("a"), ResponseItem.CreateUserMessageItem("b")])).Value;
        h.Reply("gpt", "Two.");
        var second = (await client.CreateResponseAsync("gpt", "c", previousResponseId: first.Id)).Value;

        var got = (await client.GetResponseAsync(second.Id)).Value;
        Assert.Equal((second.Id, "Two.", first.Id, ResponseStatus.Completed), (got.Id, got.GetOutputText(), got.PreviousResponseId, got.Status));
        Assert.Equal(second.OutputItems[0].Id, got.OutputItems[0].Id);

        // input_items: everything the model was given (the continued conversation, then this request's input).
        var all = new List<ResponseItem>();
        await foreach (var item in client.GetResponseInputItemsAsync(new ResponseItemCollectionOptions(second.Id)
                       { PageSizeLimit = 2, Order = ResponseItemCollectionOrder.Ascending }))
        {
            all.Add(item);
        }

        Assert.Equal(4, all.Count);
        Assert.Equal(first.OutputItems[0].Id, all[2].Id);
        Assert.Equal(["a", "b", "One.", "c"], all.Select(i => Assert.IsAssignableFrom<MessageResponseItem>(i).Content[0].Text));

        var (status, page) = await h.SendAsync(HttpMethod.Get, $"/v1/responses/{second.Id}/input_items?limit=3");
        Assert.Equal(200, status);
        Assert.Equal("list", page.GetProperty("object").GetString());
        Assert.True(page.GetProperty("has_more").GetBoolean());
        var ids = page.GetProperty("data").EnumerateArray().Select(i => i.GetProperty("id").GetString()).ToList();
        Assert.Equal([all[3].Id, all[2].Id, all[1].Id], ids); // newest first by default
        Assert.Equal((ids[0], ids[^1]), (page.GetProperty("first_id").GetString(), page.GetProperty("last_id").GetString()));
        var rest = await h.SendAsync(HttpMethod.Get, $"/v1/responses/{second.Id}/input_items?limit=3&after={ids[^1]}");
        Assert.Equal([all[0].Id], rest.Body.GetProperty("data").EnumerateArray().Select(i => i.GetProperty("id").GetString()));
        Assert.False(rest.Body.GetProperty("has_more").GetBoolean());
        Assert.Equal(400, (await h.SendAsync(HttpMethod.Get, $"/v1/responses/{second.Id}/input_items?limit=101")).Status);

        var deleted = (await client.DeleteResponseAsync(first.Id)).Value;
        Assert.Equal((first.Id, "response", true), (deleted.ResponseId, deleted.Object, deleted.Deleted));
        var gone = await Assert.ThrowsAsync<ClientResultException>(() => client.GetResponseAsync(first.Id));
        Assert.Equal(404, gone.Status);
        Assert.Equal("Two.", (await client.GetResponseAsync(second.Id)).Value.GetOutputText()); // a later response keeps its own history
    }

    [Fact]
    public async Task CutStream_IsNotKept_AndALaterReferenceSaysWhy()
    {
        await using var h = await ResponsesStateHarness.StartAsync();
        h.Anthropic.Enqueue(AnthropicBehavior.Cut(eventsBefore: 4));

        using var response = await h.Gateway.SendAsync(h.Gateway.Post("/v1/responses", """{"model":"claude","input":"count","stream":true}"""));
        var sse = await response.Content.ReadAsStringAsync();
        var events = Switchyard.Tests.Providers.OpenAIResponses.ResponsesStreamHarness.Parse(sse);
        Assert.Equal("response.failed", events[^1].Event);
        var id = events[0].Data.GetProperty("response").GetProperty("id").GetString()!;

        var previous = await h.SendAsync(HttpMethod.Post, "/v1/responses", $$"""{"model":"claude","input":"go on","previous_response_id":"{{id}}"}""");
        AssertError(previous, 400, null, "previous_response_id", "previous_response_not_found");
        Assert.Contains("answered but not kept: its stream failed", previous.Body.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task StoreOffInConfig_ReferencesAreRefused_AnswersSayNotStored()
    {
        await using var h = await ResponsesStateHarness.StartAsync("{ store: false }");
        h.Reply("gpt", "Not kept.");

        var answer = await h.SendAsync(HttpMethod.Post, "/v1/responses", """{"model":"gpt","input":"hi"}""");
        Assert.False(answer.Body.GetProperty("store").GetBoolean());
        var previous = await h.SendAsync(HttpMethod.Post, "/v1/responses", """{"model":"gpt","input":"hi","previous_response_id":"resp_x"}""");

        AssertError(previous, 400, null, "previous_response_id", "unsupported_parameter");
        Assert.Equal(404, (await h.SendAsync(HttpMethod.Get, "/v1/responses/" + answer.Body.GetProperty("id").GetString())).Status);
    }

    [Fact]
    public async Task Explain_RefusesAnUnknownPreviousResponse_AsTheRealPathDoes()
    {
        await using var h = await ResponsesStateHarness.StartAsync();

        var explained = await h.SendAsync(HttpMethod.Post, "/v1/route/explain/v1/responses",
            """{"model":"gpt","input":"hi","previous_response_id":"resp_nope"}""", GatewayHarness.OperatorKey);

        AssertError(explained, 400, "Previous response with id 'resp_nope' not found.", "previous_response_id", "previous_response_not_found");
    }

    private static void AssertError((int Status, JsonElement Body) response, int status, string? message, string param, string code)
    {
        Assert.Equal(status, response.Status);
        var error = response.Body.GetProperty("error");
        if (message is not null)
        {
            Assert.Equal(message, error.GetProperty("message").GetString());
        }

        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Equal(code, error.GetProperty("code").GetString());
    }
}
