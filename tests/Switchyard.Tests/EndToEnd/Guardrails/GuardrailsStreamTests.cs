using System.Text;
using System.Text.Json.Nodes;
using OpenAI.Chat;
using Switchyard.Tests.TestKit;

namespace Switchyard.Tests.EndToEnd.Guardrails;

/// <summary>
/// Output guardrails on streams, end to end: an email and a phone number split across the upstream's SSE chunks are
/// caught in every inbound format (the official OpenAI and Anthropic SDKs, the OpenAI Responses SDK, Gemini's SSE), a
/// block ends the stream with an error event in the client's format, and a schema failure is reported the same way.
/// </summary>
public sealed class GuardrailsStreamTests
{
    [Fact]
    public async Task OpenAIChat_Sdk_PiiSplitAcrossChunks_Redacted()
    {
        await using var h = await GuardrailsHarness.StartAsync();
        h.A.Enqueue(UpstreamBehavior.TextPieces(GuardrailsHarness.SplitEmail));

        var text = new StringBuilder();
        await foreach (var update in h.Chat("redact-out").CompleteChatStreamingAsync([new UserChatMessage("Who do I write to?")]))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }
        }

        Assert.Equal(GuardrailsHarness.SplitEmailRedacted, text.ToString());
        var record = await h.SingleUsageAsync();
        Assert.Equal("out:out-redact/pii:redact", record.Guardrails);
        Assert.Null(record.ErrorKind);
        Assert.True(h.A.LastRequest!.IsStream);
    }

    [Fact]
    public async Task AnthropicMessages_Sdk_PiiSplitAcrossChunks_Redacted()
    {
        await using var h = await GuardrailsHarness.StartAsync();
        h.A.Enqueue(UpstreamBehavior.TextPieces(GuardrailsHarness.SplitEmail));

        var text = await GuardrailsHarness.AnthropicStreamAsync(h, "redact-out", "Who do I write to?");

        Assert.Equal(GuardrailsHarness.SplitEmailRedacted, text);
        Assert.Equal("anthropic.messages", (await h.SingleUsageAsync()).Format);
    }

    [Fact]
    public async Task OpenAIResponses_Sdk_PiiSplitAcrossChunks_Redacted()
    {
        await using var h = await GuardrailsHarness.StartAsync();
        h.A.Enqueue(UpstreamBehavior.TextPieces(GuardrailsHarness.SplitEmail));

        var text = await GuardrailsHarness.ResponsesStreamAsync(h, "redact-out", "Who do I write to?");

        Assert.Equal(GuardrailsHarness.SplitEmailRedacted, text);
        Assert.Equal(("openai.responses", "out:out-redact/pii:redact"), ((await h.SingleUsageAsync()).Format, (await h.SingleUsageAsync()).Guardrails));
    }

    [Fact]
    public async Task Gemini_StreamGenerateContent_PiiSplitAcrossChunks_Redacted()
    {
        await using var h = await GuardrailsHarness.StartAsync();
        h.A.Enqueue(UpstreamBehavior.TextPieces(GuardrailsHarness.SplitEmail));
        var request = h.Post("/v1beta/models/redact-out:streamGenerateContent?alt=sse", """{"contents": [{"role": "user", "parts": [{"text": "Who?"}]}]}""", key: null);
        request.Headers.Add("x-goog-api-key", GatewayHarness.ClientKey);

        using var response = await h.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();

        var chunks = Gemini.GeminiGatewayFixture.SseData(body);
        var text = string.Concat(chunks.Select(c => (string?)c["candidates"]?[0]?["content"]?["parts"]?[0]?["text"]));
        Assert.Equal(GuardrailsHarness.SplitEmailRedacted, text);
        Assert.DoesNotContain("jane", body);
        Assert.Equal("gemini", (await h.SingleUsageAsync()).Format);
    }

    [Fact]
    public async Task OutputBlock_SplitEmail_EndsTheStreamWithAnErrorEvent_NeverTheEmail()
    {
        await using var h = await GuardrailsHarness.StartAsync();
        h.A.Enqueue(UpstreamBehavior.TextPieces("Sure. ", "Reach jane.d", "oe@example.com any time."));

        using var response = await h.PostChatAsync(Wire.ChatJson("block-out", stream: true));
        var events = await Wire.ReadSseAsync(response);

        var error = Assert.Single(events, e => e.IsError).Json!["error"]!;
        Assert.Equal("guardrail_blocked", (string?)error["code"]);
        Assert.Contains("out-block/pii", (string?)error["message"]);
        Assert.DoesNotContain(events, e => e.IsDone); // never a clean end
        Assert.DoesNotContain("jane", string.Concat(events.Select(e => e.Data)));
        var record = await h.SingleUsageAsync();
        Assert.Equal(("out:out-block/pii:block", "content_policy"), (record.Guardrails, record.ErrorKind));
    }

    [Fact]
    public async Task AnthropicClient_OutputBlock_ErrorEventInAnthropicShape()
    {
        await using var h = await GuardrailsHarness.StartAsync();
        h.A.Enqueue(UpstreamBehavior.TextPieces("Mail ", "jane@example.com", " now"));
        var json = """{"model":"block-out","max_tokens":50,"stream":true,"messages":[{"role":"user","content":"mail?"}]}""";

        using var response = await h.SendAsync(h.Post("/v1/messages", json));
        var body = await response.Content.ReadAsStringAsync();

        Assert.Contains("event: error", body);
        Assert.Contains("\"type\":\"error\"", body);
        Assert.Contains("out-block/pii", body);
        Assert.DoesNotContain("message_stop", body);
        Assert.DoesNotContain("jane", body);
    }

    [Fact]
    public async Task JsonSchema_StreamedAnswerThatFails_EndsWithAnErrorEvent()
    {
        await using var h = await GuardrailsHarness.StartAsync();
        h.A.Enqueue(UpstreamBehavior.TextPieces("{\"n\": ", "\"three\"}"));

        using var response = await h.PostChatAsync(SchemaJson("schema-block", stream: true));
        var events = await Wire.ReadSseAsync(response);

        var error = Assert.Single(events, e => e.IsError).Json!["error"]!;
        Assert.Equal("guardrail_output_schema", (string?)error["code"]);
        Assert.DoesNotContain(events, e => e.IsDone);
        Assert.Equal("out:schema-block/json_schema:block", (await h.SingleUsageAsync()).Guardrails);
    }

    /// <summary>A chat body asking for <c>{"n": integer}</c> through <c>response_format: json_schema</c>.</summary>
    internal static string SchemaJson(string model, bool stream) => new JsonObject
    {
        ["model"] = model,
        ["stream"] = stream,
        ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "Give me n." }),
        ["response_format"] = new JsonObject
        {
            ["type"] = "json_schema",
            ["json_schema"] = new JsonObject
            {
                ["name"] = "numbered",
                ["strict"] = true,
                ["schema"] = JsonNode.Parse("""{"type":"object","properties":{"n":{"type":"integer"}},"required":["n"],"additionalProperties":false}"""),
            },
        },
    }.ToJsonString();
}
