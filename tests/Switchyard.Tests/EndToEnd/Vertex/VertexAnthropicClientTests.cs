using System.Text;
using Anthropic;
using Anthropic.Core;
using Anthropic.Models.Messages;
using Switchyard.Tests.TestKit.Anthropic;

namespace Switchyard.Tests.EndToEnd.Vertex;

/// <summary>
/// The official Anthropic .NET SDK → the gateway → Claude on Vertex. The client and the upstream both speak
/// Anthropic Messages, but Vertex's body differs (no <c>model</c>, <c>anthropic_version</c> in the body), so the
/// request is translated rather than passed through.
/// </summary>
[Collection(VertexGatewayCollection.Name)]
public sealed class VertexAnthropicClientTests(VertexGatewayFixture f)
{
    private AnthropicClient Sdk() => new(new ClientOptions
    {
        BaseUrl = f.Gateway.BaseAddress.AbsoluteUri.TrimEnd('/'),
        ApiKey = VertexGatewayFixture.ClientKey,
        MaxRetries = 0,
    });

    [Fact]
    public async Task AnthropicSdk_ToClaudeOnVertex_Whole()
    {
        f.Vertex.EnqueueClaude(AnthropicBehavior.Text("Claude via Vertex, for an Anthropic client") with { Usage = new AnthropicUsage(14, 7) });

        var message = await Sdk().Messages.Create(new MessageCreateParams
        {
            Model = "vx-claude",
            MaxTokens = 200,
            System = "Be brief.",
            Messages = [new UserMessageParam("hi")],
        });

        Assert.True(Assert.Single(message.Content).TryPickText(out var text));
        Assert.Equal("Claude via Vertex, for an Anthropic client", text.Text);
        Assert.Equal("end_turn", message.StopReason!.Raw());
        Assert.Equal(14, message.Usage.InputTokens);
        var sent = f.Vertex.Requests[^1];
        Assert.EndsWith("/publishers/anthropic/models/claude-sonnet-4@20250514:rawPredict", sent.Path, StringComparison.Ordinal);
        Assert.Null(sent.Json!["model"]);
        Assert.Equal("vertex-2023-10-16", (string?)sent.Json["anthropic_version"]);
        Assert.Equal(200, (int)sent.Json["max_tokens"]!);
        Assert.Null(sent.Header("anthropic-version"));
        Assert.True(f.Tokens.IsValid(sent.Bearer));
    }

    [Fact]
    public async Task AnthropicSdk_ToClaudeOnVertex_Streamed()
    {
        f.Vertex.EnqueueClaude(AnthropicBehavior.Text("streamed through Vertex", chunks: 3));

        var text = new StringBuilder();
        string? stop = null;
        await foreach (var ev in Sdk().Messages.CreateStreaming(new MessageCreateParams
        {
            Model = "vx-claude",
            MaxTokens = 100,
            Messages = [new UserMessageParam("stream")],
        }))
        {
            if (ev.TryPickContentBlockDelta(out var delta) && delta.Delta.TryPickText(out var piece))
            {
                text.Append(piece.Text);
            }
            else if (ev.TryPickDelta(out var md))
            {
                stop = md.Delta.StopReason?.Raw();
            }
        }

        Assert.Equal("streamed through Vertex", text.ToString());
        Assert.Equal("end_turn", stop);
        Assert.EndsWith(":streamRawPredict", f.Vertex.Requests[^1].Path, StringComparison.Ordinal);
    }
}
