using System.Text;
using Switchyard.Canonical;

namespace Switchyard.Tests.Usage;

/// <summary>The per-attempt collector: a bounded copy, whole text pieces, the rest counted.</summary>
public sealed class DeliveredContentTests
{
    [Fact]
    public void Append_PastTheBound_KeepsThePrefixAndCountsTheRest()
    {
        using var delivered = new DeliveredContent(null!, null);
        var chunk = new byte[100 * 1024];

        delivered.Append(chunk);
        delivered.Append(chunk);
        delivered.Append(chunk);

        Assert.Equal(DeliveredContent.MaxKeptBytes, delivered.Kept.Length);
        Assert.Equal(3 * chunk.Length - DeliveredContent.MaxKeptBytes, delivered.OverflowBytes);
    }

    [Fact]
    public void AppendText_KeepsWholePiecesOnly_SoTheKeptTextNeverEndsInsideACharacter()
    {
        using var delivered = new DeliveredContent(null!, null);
        var big = new string('é', DeliveredContent.MaxKeptBytes / 2 - 1); // 2 bytes each: fits, with 2 bytes to spare

        delivered.AppendText(big);
        delivered.AppendText("ééé");
        delivered.AppendText("a");

        Assert.Equal(big, Encoding.UTF8.GetString(delivered.Kept));
        Assert.Equal(7, delivered.OverflowBytes); // once past the bound, every later piece is counted, not kept
    }

    [Fact]
    public void Add_KeepsTextToolArgumentsAndUsage()
    {
        using var delivered = new DeliveredContent(null!, null);

        delivered.Add(StreamEvent.TextChunk("Hello "));
        delivered.Add(StreamEvent.ToolStart(0, "call_1", "lookup"));
        delivered.Add(StreamEvent.ToolArgs(0, "{\"q\":1}"));
        delivered.Add(StreamEvent.UsageUpdate(new TokenUsage { InputTokens = 12 }));
        delivered.Add(StreamEvent.Finished(FinishReason.Stop));

        Assert.Equal("Hello lookup{\"q\":1}", Encoding.UTF8.GetString(delivered.Kept));
        Assert.Equal(12, delivered.Reported.InputTokens);
        Assert.False(delivered.IsEmpty);
    }
}
