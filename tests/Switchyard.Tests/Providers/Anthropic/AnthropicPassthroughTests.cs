using System.Buffers;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Http;
using Switchyard.Canonical;
using Switchyard.Configuration;
using Switchyard.Dispatch;
using Switchyard.Providers.Anthropic;
using Switchyard.Routing;

namespace Switchyard.Tests.Providers.Anthropic;

/// <summary>The Anthropic passthrough: body splice, headers, usage and error reading on relayed bytes.</summary>
public sealed class AnthropicPassthroughTests
{
    private static readonly AnthropicPassthrough Passthrough = new();

    private static DeploymentTarget Deployment(Dictionary<string, string>? settings = null, string model = "claude-upstream") =>
        DeploymentTarget.Create(new DeploymentConfig("d",
            new ProviderConfig("p", AnthropicProvider.KindName, "anthropic", new Uri("https://api.anthropic.com/v1/"), "sk-ant", [new("x-extra", "1")], Timeouts.Default)
            {
                Settings = settings ?? [],
            }, model, Timeouts.Default));

    [Fact]
    public void RewriteBody_ReplacesOnlyTheModelToken()
    {
        var body = """{ "max_tokens": 5, "model" : "claude" ,"messages":[{"role":"user","content":"model"}], "x": {"model":"keep"} }"""u8;
        Assert.Null(AnthropicRequestParser.Parse(body, requireMaxTokens: true, out var head));

        var buffer = Passthrough.RewriteBody(body, head, Deployment(model: "claude-\"quoted\""), out var length);
        var text = Encoding.UTF8.GetString(buffer, 0, length);
        ArrayPool<byte>.Shared.Return(buffer);

        Assert.Equal("""{ "max_tokens": 5, "model" : "claude-\u0022quoted\u0022" ,"messages":[{"role":"user","content":"model"}], "x": {"model":"keep"} }""", text);
    }

    [Fact]
    public void PreparePassthrough_SetsUrlKeyVersionAndProviderHeaders()
    {
        using var message = new HttpRequestMessage();
        new AnthropicAdapter().PreparePassthrough(message, Deployment(), Operation.ChatCompletions, stream: false);

        Assert.Equal("https://api.anthropic.com/v1/messages", message.RequestUri!.AbsoluteUri);
        Assert.Equal("sk-ant", message.Headers.GetValues("x-api-key").Single());
        Assert.Equal("2023-06-01", message.Headers.GetValues("anthropic-version").Single());
        Assert.Equal("1", message.Headers.GetValues("x-extra").Single());
        Assert.Null(message.Headers.Authorization);
    }

    [Theory]
    [InlineData(null, "2026-10-21", "2026-10-21")] // no pinned version: the client's SDK version wins over the default
    [InlineData("2023-06-01", "2026-10-21", "2023-06-01")] // pinned on the provider: the operator wins
    [InlineData(null, null, "2023-06-01")]
    public void ApplyClientHeaders_Version(string? pinned, string? client, string expected)
    {
        using var message = new HttpRequestMessage();
        new AnthropicAdapter().PreparePassthrough(message,
            Deployment(pinned is null ? null : new Dictionary<string, string> { ["anthropic_version"] = pinned }), Operation.ChatCompletions, false);
        var headers = new HeaderDictionary();
        if (client is not null)
        {
            headers["anthropic-version"] = client;
        }

        Passthrough.ApplyClientHeaders(message, headers);

        Assert.Equal(expected, message.Headers.GetValues("anthropic-version").Single());
    }

    [Fact]
    public void ApplyClientHeaders_MergesBetas()
    {
        using var message = new HttpRequestMessage();
        new AnthropicAdapter().PreparePassthrough(message, Deployment(new() { ["anthropic_beta"] = "a,b" }), Operation.ChatCompletions, false);

        Passthrough.ApplyClientHeaders(message, new HeaderDictionary { ["anthropic-beta"] = "b, c" });

        Assert.Equal("a,b,c", message.Headers.GetValues("anthropic-beta").Single());
    }

    [Fact]
    public void InspectEvent_ReadsUsageFromStartAndDelta_AndSpotsTheEnd()
    {
        var usage = default(TokenUsage);
        var start = Passthrough.InspectEvent(Encoding.UTF8.GetBytes(
            "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"usage\":{\"input_tokens\":25,\"cache_creation_input_tokens\":3,\"cache_read_input_tokens\":100,\"output_tokens\":1}}}\n\n"), false, ref usage);
        var delta = Passthrough.InspectEvent(Encoding.UTF8.GetBytes(
            "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"\\\"usage\\\": message_stop\"}}\n\n"), false, ref usage);
        var end = Passthrough.InspectEvent(Encoding.UTF8.GetBytes(
            "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":15}}\n\n"), false, ref usage);
        var stop = Passthrough.InspectEvent(Encoding.UTF8.GetBytes("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"), false, ref usage);
        var error = Passthrough.InspectEvent(Encoding.UTF8.GetBytes(
            "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n"), false, ref usage);

        Assert.True(start.Forward && delta.Forward && end.Forward && stop.Forward && error.Forward);
        Assert.False(start.IsTerminal || delta.IsTerminal || end.IsTerminal || start.IsError || delta.IsError);
        Assert.True(stop.IsTerminal);
        Assert.True(error.IsError);
        Assert.Equal(128, usage.InputTokens);
        Assert.Equal(100, usage.CacheReadTokens);
        Assert.Equal(3, usage.CacheWriteTokens);
        Assert.Equal(15, usage.OutputTokens);
    }

    [Fact]
    public void InspectBody_ReadsUsage_AndFlagsErrorObjects()
    {
        var usage = default(TokenUsage);
        Assert.False(Passthrough.InspectBody("""{"id":"msg_1","type":"message","usage":{"input_tokens":7,"output_tokens":2}}"""u8, ref usage));
        Assert.Equal(7, usage.InputTokens);
        Assert.Equal(2, usage.OutputTokens);
        Assert.True(Passthrough.InspectBody("""{"type":"error","error":{"type":"api_error","message":"boom"}}"""u8, ref usage));
    }

    [Theory]
    [InlineData(429, """{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}""", FailureKind.RateLimited)]
    [InlineData(529, """{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}""", FailureKind.ServerError)]
    [InlineData(400, """{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 215337 tokens > 200000 maximum"}}""", FailureKind.ContextWindow)]
    [InlineData(400, """{"type":"error","error":{"type":"invalid_request_error","message":"input length and `max_tokens` exceed context limit: 197000 + 8192 > 200000"}}""", FailureKind.ContextWindow)]
    [InlineData(400, """{"type":"error","error":{"type":"invalid_request_error","message":"messages: roles must alternate"}}""", FailureKind.ClientError)]
    [InlineData(401, """{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}""", FailureKind.Auth)]
    [InlineData(403, """{"type":"error","error":{"type":"permission_error","message":"no"}}""", FailureKind.Auth)]
    [InlineData(402, """{"type":"error","error":{"type":"billing_error","message":"credit balance too low"}}""", FailureKind.Auth)]
    [InlineData(500, """{"type":"error","error":{"type":"api_error","message":"Internal server error"}}""", FailureKind.ServerError)]
    [InlineData(502, "<html>bad gateway</html>", FailureKind.ServerError)]
    public void ClassifyError(int status, string body, FailureKind kind)
    {
        using var response = new HttpResponseMessage((System.Net.HttpStatusCode)status);
        response.Headers.TryAddWithoutValidation("retry-after", "9");

        var failure = Passthrough.ClassifyError(status, Encoding.UTF8.GetBytes(body), response.Headers, Deployment());

        Assert.Equal(kind, failure.Kind);
        Assert.Equal(status, failure.Status);
        Assert.Equal(TimeSpan.FromSeconds(9), failure.RetryAfter);
        Assert.Equal(body.StartsWith('{'), failure.ClientShaped);
    }

    [Fact]
    public void WriteStreamError_IsAnAnthropicErrorEvent()
    {
        var output = new ArrayBufferWriter<byte>();
        Passthrough.WriteStreamError(output, "cut \"here\"", "upstream_timeout");

        Assert.Equal("event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"timeout_error\",\"message\":\"cut \\\"here\\\"\"}}\n\n",
            Encoding.UTF8.GetString(output.WrittenSpan));
    }
}
