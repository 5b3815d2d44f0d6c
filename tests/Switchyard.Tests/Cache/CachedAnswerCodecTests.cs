using Switchyard.Cache;
using Switchyard.Canonical;

namespace Switchyard.Tests.Cache;

/// <summary>The shared store's entry format: every event field survives; a foreign version, a gone deployment or cut bytes read as a miss.</summary>
public sealed class CachedAnswerCodecTests
{
    private static readonly DeploymentTarget Deployment = CacheTestKit.Deployment();

    private static CachedAnswer Sample() => new(
    [
        StreamEvent.Started("chatcmpl-1", "upstream-model"),
        StreamEvent.Thinking("Let me think… ✓"),
        StreamEvent.Signature("sig=="),
        StreamEvent.TextChunk("Grüße 🎉"),
        StreamEvent.ToolStart(0, "call_1", "get_weather"),
        StreamEvent.ToolArgs(0, """{"city":"Paris"}"""),
        StreamEvent.UsageUpdate(new TokenUsage { InputTokens = 300_000, OutputTokens = 12, CacheReadTokens = 5, CacheWriteTokens = 6, CacheWrite1hTokens = 7, ReasoningTokens = 8 }),
        StreamEvent.Finished(FinishReason.ToolCalls),
    ], "upstream-model", new TokenUsage { InputTokens = 300_000, OutputTokens = 12 }, Deployment, 999);

    [Fact]
    public void EncodeDecode_RoundTripsEveryEvent()
    {
        var answer = Sample();

        var back = CachedAnswerCodec.Decode(CachedAnswerCodec.Encode(answer), name => name == Deployment.Name ? Deployment : null)!;

        Assert.Equal(answer.Events, back.Events);
        Assert.Equal((answer.Model, answer.Usage.InputTokens, answer.Usage.OutputTokens), (back.Model, back.Usage.InputTokens, back.Usage.OutputTokens));
        Assert.Same(Deployment, back.Deployment);
    }

    [Fact]
    public void Decode_DeploymentGoneOtherVersionOrCut_Null()
    {
        var bytes = CachedAnswerCodec.Encode(Sample());
        var otherVersion = (byte[])bytes.Clone();
        otherVersion[0] = CachedAnswerCodec.Version + 1;

        Assert.Null(CachedAnswerCodec.Decode(bytes, _ => null));
        Assert.Null(CachedAnswerCodec.Decode(otherVersion, _ => Deployment));
        Assert.Null(CachedAnswerCodec.Decode(bytes[..^3], _ => Deployment));
    }
}
