using System.Text;
using Anthropic.Models.Messages;
using Switchyard.Tests.TestKit.Anthropic;

namespace Switchyard.Tests.EndToEnd.Cache;

/// <summary>
/// The exact cache on Anthropic's passthrough path (Anthropic client, Anthropic upstream): the relayed bytes are decoded
/// by the Anthropic adapter when stored, only once the stream reached <c>message_stop</c>, and replayed to the official
/// Anthropic SDK as a stream or a whole message, thinking and its signature included.
/// </summary>
public sealed class AnthropicPassthroughCacheTests : IAsyncLifetime
{
    private FakeAnthropicUpstream anthropic = null!;
    private GatewayHarness h = null!;

    public async Task InitializeAsync()
    {
        anthropic = await FakeAnthropicUpstream.StartAsync();
        var yaml = GatewayHarness.Preamble + $$"""
              anth:
                kind: anthropic
                base_url: {{anthropic.BaseUrl}}
                api_key: ${UP_KEY}
            deployments:
              claude-d: { provider: anth, model: claude-upstream-1 }
            models:
              claude-cached:
                deployments: [claude-d]
                max_attempts: 1
                cache: { ttl: 10m }
            """;
        h = await GatewayHarness.StartAsync(yaml, fakes: 2);
    }

    public async Task DisposeAsync()
    {
        await h.DisposeAsync();
        await anthropic.DisposeAsync();
    }

    private static MessageCreateParams Ask(string text) => new() { Model = "claude-cached", MaxTokens = 256, Messages = [new UserMessageParam(text)] };

    [Fact]
    public async Task StreamStored_ReplayedAsStreamAndWhole_ThinkingSignatureKept()
    {
        anthropic.Enqueue(AnthropicBehavior.ThinkingThenText("first, think", "sig-123", "Bonjour, cached 🎉"));

        var first = await StreamAsync(Ask("bonjour?"));
        await CacheHarness.SettledAsync(h, 1);
        var second = await StreamAsync(Ask("bonjour?"));
        var whole = await CacheHarness.AnthropicSdk(h).Messages.Create(Ask("bonjour?"));

        Assert.Equal(("Bonjour, cached 🎉", "end_turn"), first);
        Assert.Equal(("Bonjour, cached 🎉", "end_turn"), second);
        Assert.Equal(2, whole.Content.Count);
        Assert.True(whole.Content[0].TryPickThinking(out var thinking));
        Assert.Equal(("first, think", "sig-123"), (thinking.Thinking, thinking.Signature));
        Assert.True(whole.Content[1].TryPickText(out var text));
        Assert.Equal("Bonjour, cached 🎉", text.Text);
        Assert.Single(anthropic.Requests);
    }

    [Fact]
    public async Task CutStream_NeverStored()
    {
        anthropic.Enqueue(AnthropicBehavior.Cut(eventsBefore: 4));

        await Assert.ThrowsAnyAsync<Exception>(() => StreamAsync(Ask("cut me")));
        await CacheHarness.SettledAsync(h, 1);
        var fresh = await StreamAsync(Ask("cut me"));

        Assert.Equal("end_turn", fresh.Stop);
        Assert.Equal(2, anthropic.Requests.Count);
    }

    private async Task<(string Text, string? Stop)> StreamAsync(MessageCreateParams ask)
    {
        var text = new StringBuilder();
        string? stop = null;
        await foreach (var ev in CacheHarness.AnthropicSdk(h).Messages.CreateStreaming(ask))
        {
            if (ev.TryPickContentBlockDelta(out var delta) && delta.Delta.TryPickText(out var t))
            {
                text.Append(t.Text);
            }
            else if (ev.TryPickDelta(out var md))
            {
                stop = md.Delta.StopReason?.Raw() ?? stop;
            }
        }

        return (text.ToString(), stop);
    }
}
