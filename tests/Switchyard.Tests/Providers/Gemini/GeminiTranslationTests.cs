using System.Buffers;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Switchyard.Canonical;
using Switchyard.Configuration;
using Switchyard.Dispatch;
using Switchyard.Ingress;
using Switchyard.Providers.Gemini;

namespace Switchyard.Tests.Providers.Gemini;

/// <summary>Focused checks of the Gemini translators beyond the golden cases: round trips, refusals, edge inputs.</summary>
public sealed class GeminiTranslationTests
{
    private static readonly DeploymentTarget Deployment = GoldenHarness.Deployment("google", GeminiProvider.KindName,
        "https://generativelanguage.googleapis.com/v1beta/", "AIza-k", "gemini-2.5-pro");

    private static HttpContext Http(string pathAndQuery)
    {
        var http = new DefaultHttpContext();
        var q = pathAndQuery.IndexOf('?', StringComparison.Ordinal);
        http.Request.Path = q < 0 ? pathAndQuery : pathAndQuery[..q];
        http.Request.QueryString = q < 0 ? QueryString.Empty : new QueryString(pathAndQuery[q..]);
        return http;
    }

    private static ChatRequest ParseGemini(string body, string path = "/v1beta/models/alias:generateContent")
    {
        var error = new GeminiFormat().Parse(Encoding.UTF8.GetBytes(body), Http(path), out var request);
        Assert.True(error is null, error?.Message);
        return request;
    }

    private static JsonElement BuildGemini(ChatRequest request, bool allowDrop, out IReadOnlyList<string> dropped)
    {
        var built = new GeminiAdapter().BuildRequest(request, Deployment, allowDrop);
        dropped = built.Dropped;
        using var doc = JsonDocument.Parse(built.Message.Content!.ReadAsStream());
        return doc.RootElement.Clone();
    }

    [Theory]
    [InlineData("/v1beta/models/gemini-x:generateContent", "gemini-x", false)]
    [InlineData("/v1beta/models/openai/gpt-4o:streamGenerateContent?alt=sse", "openai/gpt-4o", true)]
    [InlineData("/v1beta/models/a:b:generateContent", "a:b", false)]
    public void Route_ReadsModelAndStreamFromThePath(string path, string model, bool stream)
    {
        Assert.Null(GeminiRoute.Parse(Http(path).Request, out var call));
        Assert.Equal(new GeminiCall(model, stream), call);
    }

    [Theory]
    [InlineData("/v1beta/models/x:countTokens", 404)]
    [InlineData("/v1beta/models/:generateContent", 404)]
    [InlineData("/v1beta/models/x", 404)]
    [InlineData("/v1beta/models/x:streamGenerateContent", 400)]
    [InlineData("/v1beta/models/x:streamGenerateContent?alt=json", 400)]
    public void Route_RefusesWhatIsNotServed(string path, int status) =>
        Assert.Equal(status, GeminiRoute.Parse(Http(path).Request, out _)!.Value.Status);

    [Fact]
    public void GeminiToGemini_RoundTripKeepsSignaturesResponsesAndThinkingBudget()
    {
        var request = ParseGemini("""
            {"contents": [
              {"role": "user", "parts": [{"text": "hi"}]},
              {"role": "model", "parts": [{"text": "plan", "thought": true, "thoughtSignature": "S1"},
                                          {"functionCall": {"name": "f", "args": {"a": 1}}, "thoughtSignature": "S2"}]},
              {"role": "user", "parts": [{"functionResponse": {"name": "f", "response": {"output": "done"}}},
                                         {"functionResponse": {"name": "f", "response": {"error": "boom"}}}]}],
             "generationConfig": {"thinkingConfig": {"thinkingBudget": 0}}}
            """);
        var sent = BuildGemini(request, allowDrop: false, out var dropped);

        Assert.Empty(dropped);
        var model = sent.GetProperty("contents")[1].GetProperty("parts");
        Assert.Equal("""{"text":"plan","thought":true,"thoughtSignature":"S1"}""", model[0].GetRawText());
        Assert.Equal("""{"functionCall":{"name":"f","args":{"a":1}},"thoughtSignature":"S2"}""", model[1].GetRawText());
        var results = sent.GetProperty("contents")[2].GetProperty("parts");
        Assert.Equal("""{"functionResponse":{"name":"f","response":{"output":"done"}}}""", results[0].GetRawText());
        Assert.Equal("""{"functionResponse":{"name":"f","response":{"error":"boom"}}}""", results[1].GetRawText());
        Assert.Equal(0, sent.GetProperty("generationConfig").GetProperty("thinkingConfig").GetProperty("thinkingBudget").GetInt32());
    }

    [Fact]
    public void FunctionResponses_PairWithCallsByIdThenByName()
    {
        var request = ParseGemini("""
            {"contents": [
              {"role": "model", "parts": [{"functionCall": {"name": "f", "args": {}}}, {"functionCall": {"id": "x9", "name": "g", "args": {}}},
                                          {"functionCall": {"name": "f", "args": {}}}]},
              {"role": "user", "parts": [{"functionResponse": {"id": "x9", "name": "g", "response": {}}},
                                         {"functionResponse": {"name": "f", "response": {}}}, {"functionResponse": {"name": "f", "response": {}}}]}]}
            """);
        var calls = request.Messages[0].Content.OfType<ToolCallPart>().Select(c => c.Id).ToList();
        var results = request.Messages[1].Content.OfType<ToolResultPart>().Select(r => r.ToolCallId).ToList();
        Assert.Equal(["call_0", "x9", "call_2"], calls);
        Assert.Equal(["x9", "call_0", "call_2"], results);
    }

    [Theory]
    [InlineData("""{"contents": [{"parts": [{"text": "x"}]}], "cachedContent": "cachedContents/abc"}""", "cachedContent")]
    [InlineData("""{"contents": [{"parts": [{"text": "x"}]}], "tools": [{"googleSearch": {}}]}""", "tools[0].googleSearch")]
    [InlineData("""{"contents": [{"role": "system", "parts": [{"text": "x"}]}]}""", "contents[0].role")]
    [InlineData("""{"contents": [{"parts": [{"executableCode": {"code": "1"}}]}]}""", "contents[0].parts[0]")]
    [InlineData("""{"contents": [{"parts": [{"text": "x"}]}], "generationConfig": {"responseMimeType": "text/x.enum"}}""", "generationConfig.responseMimeType")]
    public void UntranslatableInput_IsRefusedNamingTheField(string body, string param)
    {
        var error = new GeminiFormat().Parse(Encoding.UTF8.GetBytes(body), Http("/v1beta/models/a:generateContent"), out _);
        Assert.Equal(400, error!.Value.Status);
        Assert.Equal(param, error.Value.Param);
    }

    [Fact]
    public void HttpImageUrl_IsRefusedOrDroppedAndNamed()
    {
        var request = new ChatRequest { Model = "m", N = 2 };
        var user = new Message(Role.User);
        user.Content.Add(new TextPart("look"));
        user.Content.Add(ImagePart.FromUrl("https://example.com/a.png"));
        request.Messages.Add(user);

        var refused = Assert.Throws<UnsupportedFeatureException>(() => BuildGemini(request, allowDrop: false, out _));
        Assert.Equal("image_url", refused.Field);

        var sent = BuildGemini(request, allowDrop: true, out var dropped);
        Assert.Equal(["image_url", "n"], dropped);
        Assert.Equal(1, sent.GetProperty("contents")[0].GetProperty("parts").GetArrayLength());
    }

    [Fact]
    public void ToolResultWithoutItsCall_IsRefused()
    {
        var request = new ChatRequest { Model = "m" };
        var user = new Message(Role.User);
        user.Content.Add(new ToolResultPart("call_unknown", [new TextPart("42")]));
        request.Messages.Add(user);

        Assert.Equal("tool_call_id", Assert.Throws<UnsupportedFeatureException>(() => BuildGemini(request, false, out _)).Field);
    }

    [Fact]
    public void Endpoint_UsesResourceNamesAsGiven()
    {
        var tuned = GoldenHarness.Deployment("g", GeminiProvider.KindName, "https://example.test/v1beta", "k", "tunedModels/mine");
        Assert.Equal("https://example.test/v1beta/tunedModels/mine:streamGenerateContent?alt=sse", GeminiAdapter.EndpointFor(tuned, true).ToString());
        Assert.Equal("https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-pro:generateContent", GeminiAdapter.EndpointFor(Deployment, false).ToString());
    }

    [Theory]
    [InlineData("17s", 17.0)]
    [InlineData("0.250s", 0.25)]
    [InlineData("17", null)]
    [InlineData("-1s", null)]
    public void RetryDelay_IsAProtobufDuration(string text, double? seconds) =>
        Assert.Equal(seconds is { } s ? TimeSpan.FromSeconds(s) : null, GeminiAdapter.Duration(text));

    [Fact]
    public void RateLimit_WithoutRetryInfo_FallsBackToRetryAfterHeader()
    {
        using var response = new HttpResponseMessage();
        response.Headers.RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromSeconds(4));
        var failure = GeminiAdapter.Classify(429, """{"error":{"code":429,"message":"slow down","status":"RESOURCE_EXHAUSTED"}}"""u8.ToArray(),
            response.Headers, "d", DateTimeOffset.UnixEpoch);
        Assert.Equal(FailureKind.RateLimited, failure.Kind);
        Assert.Equal(TimeSpan.FromSeconds(4), failure.RetryAfter);
    }

    [Fact]
    public void Decoder_IsDoneOnlyAfterAFinishReason()
    {
        var decoder = new GeminiStreamDecoder("m");
        var events = new List<StreamEvent>();
        var text = "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\"}]}}]}\r\n\r\n"u8;
        Assert.Equal(text.Length, decoder.Decode(text, events, out var done));
        Assert.False(done);

        var partial = "data: {\"candidates\":[{\"finishReason\":\"MAX_TOKENS\"}]}\r\n"u8;
        Assert.Equal(0, decoder.Decode(partial, events, out done));
        Assert.False(done);

        var final = "data: {\"candidates\":[{\"finishReason\":\"MAX_TOKENS\"}]}\r\n\r\n"u8;
        decoder.Decode(final, events, out done);
        Assert.True(done);
        Assert.Equal(FinishReason.Length, events[^1].Finish);
    }

    [Fact]
    public void Encoder_PutsASignatureOnTheNextPartAndCallsInOneChunk()
    {
        var encoder = new GeminiStreamEncoder("alias");
        var output = new ArrayBufferWriter<byte>();
        encoder.Write(StreamEvent.Started("r1", "m"), output);
        encoder.Write(StreamEvent.Thinking("hmm"), output);
        encoder.Write(StreamEvent.Signature("SIG"), output);
        encoder.Write(StreamEvent.ToolStart(0, "c0", "f"), output);
        encoder.Write(StreamEvent.ToolArgs(0, "{\"a\":"), output);
        encoder.Write(StreamEvent.ToolArgs(0, "1}"), output);
        encoder.Write(StreamEvent.Finished(FinishReason.ToolCalls), output);
        encoder.Complete(output);

        Assert.Equal(
            """
            data: {"candidates":[{"content":{"parts":[{"text":"hmm","thought":true}],"role":"model"},"index":0}],"modelVersion":"alias","responseId":"r1"}

            data: {"candidates":[{"content":{"parts":[{"functionCall":{"id":"c0","name":"f","args":{"a":1}},"thoughtSignature":"SIG"}],"role":"model"},"finishReason":"STOP","index":0}],"modelVersion":"alias","responseId":"r1"}


            """.ReplaceLineEndings("\n"),
            Encoding.UTF8.GetString(output.WrittenSpan));
    }

    [Fact]
    public void ParseHead_TakesModelAndStreamFromTheUrl()
    {
        Assert.Null(new GeminiFormat().ParseHead("""{"contents":[{"parts":[{"text":"x"}]}]}"""u8,
            Http("/v1beta/models/my-alias:streamGenerateContent?alt=sse"), Operation.ChatCompletions, out var head));
        Assert.Equal("my-alias", head.Model);
        Assert.True(head.Stream);
    }
}
