using System.Text.Json.Nodes;
using Anthropic.Exceptions;
using Anthropic.Models.Messages;
using Switchyard.Tests.TestKit.Anthropic;

namespace Switchyard.Tests.EndToEnd.Anthropic;

/// <summary>(d) Requests the gateway refuses at <c>/v1/messages</c> are answered in Anthropic's error shape, which the SDK types.</summary>
public sealed class AnthropicErrorsEndToEndTests
{
    private static MessageCreateParams Ask(string model) => new() { Model = model, MaxTokens = 10, Messages = [new UserMessageParam("hi")] };

    private static (string Type, string Message) Error(string body)
    {
        var json = JsonNode.Parse(body)!;
        Assert.Equal("error", json["type"]!.GetValue<string>());
        return (json["error"]!["type"]!.GetValue<string>(), json["error"]!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task WrongKey_Is401_AuthenticationError()
    {
        await using var h = await AnthropicGatewayHarness.StartAsync();

        var (status, body, _) = await h.PostAsync("/v1/messages", """{"model":"claude","max_tokens":10,"messages":[]}""", key: "sk-wrong");
        Assert.Equal(401, status);
        Assert.Equal("authentication_error", Error(body).Type);

        var (missing, missingBody, _) = await h.PostAsync("/v1/messages", """{"model":"claude","max_tokens":10,"messages":[]}""", key: null);
        Assert.Equal(401, missing);
        Assert.Equal("authentication_error", Error(missingBody).Type);

        var ex = await Assert.ThrowsAsync<AnthropicUnauthorizedException>(() => h.AnthropicSdk("sk-wrong").Messages.Create(Ask("claude")));
        Assert.Equal("authentication_error", ex.Type?.Raw());
        Assert.Empty(h.Anthropic.Requests);
    }

    [Fact]
    public async Task MissingMaxTokens_Is400_InvalidRequestError()
    {
        await using var h = await AnthropicGatewayHarness.StartAsync();

        var (status, body, _) = await h.PostAsync("/v1/messages", """{"model":"claude","messages":[{"role":"user","content":"hi"}]}""");

        Assert.Equal(400, status);
        Assert.Equal(("invalid_request_error", "max_tokens: Field required"), Error(body));
        Assert.Empty(h.Anthropic.Requests);
    }

    [Theory]
    [InlineData("""{"model":"claude","max_tokens":"ten","messages":[]}""", "max_tokens: Input should be a valid integer")]
    [InlineData("""{"model":"claude","max_tokens":10,"messages":"hi"}""", "messages: Input should be a valid list")]
    [InlineData("""{"max_tokens":10,"messages":[]}""", "model: Field required")]
    [InlineData("""{"model":"claude","max_tokens":10,"messages":[],"stream":"yes"}""", "stream: Input should be a valid boolean")]
    [InlineData("""{"model":"claude","max_tokens":10,"messages":[]""", "The request body is not valid JSON.")]
    public async Task MalformedBodies_Are400(string json, string message)
    {
        await using var h = await AnthropicGatewayHarness.StartAsync();

        var (status, body, _) = await h.PostAsync("/v1/messages", json);

        Assert.Equal(400, status);
        Assert.Equal(("invalid_request_error", message), Error(body));
    }

    [Fact]
    public async Task UnknownModel_Is404_NotFoundError()
    {
        await using var h = await AnthropicGatewayHarness.StartAsync();

        var ex = await Assert.ThrowsAsync<AnthropicNotFoundException>(() => h.AnthropicSdk().Messages.Create(Ask("no-such-model")));
        Assert.Equal("not_found_error", ex.Type?.Raw());

        var (status, body, _) = await h.PostAsync("/v1/messages/count_tokens", """{"model":"no-such-model","messages":[]}""");
        Assert.Equal(404, status);
        Assert.Equal("not_found_error", Error(body).Type);
    }

    [Fact]
    public async Task UntranslatableRequest_Is400_BeforeAnyUpstreamCall()
    {
        await using var h = await AnthropicGatewayHarness.StartAsync();

        var (status, body, _) = await h.PostAsync("/v1/messages",
            """{"model":"gpt","max_tokens":10,"messages":[{"role":"user","content":"hi"}],"tools":[{"type":"web_search_20250305","name":"web_search"}]}""");

        Assert.Equal(400, status);
        Assert.Equal("invalid_request_error", Error(body).Type);
        Assert.Contains("web_search_20250305", Error(body).Message);
        Assert.Equal(0, h.OpenAI.RequestCount);
    }

    [Fact]
    public async Task UpstreamContextWindowError_FromOpenAI_IsAnAnthropicInvalidRequest()
    {
        await using var h = await AnthropicGatewayHarness.StartAsync();
        h.OpenAI.Enqueue(TestKit.UpstreamBehavior.ContextLengthExceeded());

        var (status, body, _) = await h.PostAsync("/v1/messages", """{"model":"gpt","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}""");

        Assert.Equal(400, status);
        var (type, message) = Error(body);
        Assert.Equal("invalid_request_error", type);
        Assert.Contains("maximum context length", message);
    }

    [Fact]
    public async Task UpstreamOverloaded_FromAnthropic_ReachesAnOpenAIClientAs503()
    {
        await using var h = await AnthropicGatewayHarness.StartAsync();
        h.Anthropic.Enqueue(AnthropicBehavior.Overloaded());

        var ex = await Assert.ThrowsAsync<System.ClientModel.ClientResultException>(() =>
            h.OpenAISdk("claude").CompleteChatAsync([new OpenAI.Chat.UserChatMessage("hi")]));

        Assert.Equal(503, ex.Status);
    }
}
