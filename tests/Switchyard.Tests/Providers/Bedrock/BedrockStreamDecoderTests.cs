using Switchyard.Canonical;
using Switchyard.Providers.Bedrock;
using Switchyard.Tests.TestKit.Bedrock;

namespace Switchyard.Tests.Providers.Bedrock;

public sealed class BedrockStreamDecoderTests
{
    private const string Stream = """
        {"event": "messageStart", "data": {"role": "assistant"}}
        {"event": "contentBlockDelta", "data": {"contentBlockIndex": 0, "delta": {"text": "Hi"}}}
        {"event": "messageStop", "data": {"stopReason": "end_turn"}}
        {"event": "metadata", "data": {"usage": {"inputTokens": 3, "outputTokens": 1, "totalTokens": 4}}}
        """;

    [Fact]
    public void ByteByByte_GivesTheSameEventsAsWhole()
    {
        var bytes = BedrockStreamScript.Parse(Stream).ToBytes();
        var whole = Decode(bytes, bytes.Length, out var wholeDone);
        var trickled = Decode(bytes, 1, out var trickledDone);

        Assert.True(wholeDone);
        Assert.True(trickledDone);
        Assert.Equal(whole, trickled);
        Assert.Equal([StreamEventKind.Start, StreamEventKind.TextDelta, StreamEventKind.Finish, StreamEventKind.Usage], whole.Select(e => e.Kind));
        Assert.Equal("id-1", whole[0].Id);
        Assert.Equal("model-x", whole[0].Model);
        Assert.Equal(4, whole[3].Usage.TotalTokens);
    }

    [Fact]
    public void MessageStop_DoesNotEndTheStream_MetadataDoes()
    {
        var frames = BedrockStreamScript.Parse(Stream).Frames;
        var decoder = new BedrockStreamDecoder("id-1", "model-x");
        var events = new List<StreamEvent>();

        var upToStop = frames.Take(3).SelectMany(f => f).ToArray();
        Assert.Equal(upToStop.Length, decoder.Decode(upToStop, events, out var done));
        Assert.False(done);
        Assert.Equal(FinishReason.Stop, events[^1].Finish);

        decoder.Decode(frames[3], events, out done);
        Assert.True(done);
        Assert.Equal(StreamEventKind.Usage, events[^1].Kind);
    }

    [Fact]
    public void ExceptionFrame_IsAnErrorEventWithItsType()
    {
        var bytes = BedrockStreamScript.Parse("""
            {"event": "messageStart", "data": {"role": "assistant"}}
            {"exception": "modelStreamErrorException", "data": {"message": "The model stream broke."}}
            {"event": "contentBlockDelta", "data": {"contentBlockIndex": 0, "delta": {"text": "never seen"}}}
            """).ToBytes();

        var events = Decode(bytes, bytes.Length, out var done);

        Assert.False(done);
        var error = Assert.Single(events, e => e.Kind == StreamEventKind.Error);
        Assert.Equal("The model stream broke.", error.Text);
        Assert.Equal("modelStreamErrorException", error.ErrorCode);
        Assert.DoesNotContain(events, e => e.Kind == StreamEventKind.TextDelta);
    }

    [Fact]
    public void CorruptFrame_IsAnErrorEvent_AndConsumesTheRest()
    {
        var bytes = BedrockStreamScript.Parse("""
            {"event": "messageStart", "data": {"role": "assistant"}}
            {"event": "contentBlockDelta", "data": {"contentBlockIndex": 0, "delta": {"text": "Hi"}}, "corrupt": true}
            """).ToBytes();
        var decoder = new BedrockStreamDecoder("id-1", "model-x");
        var events = new List<StreamEvent>();

        Assert.Equal(bytes.Length, decoder.Decode(bytes, events, out _));
        Assert.Equal("upstream_stream_corrupt", events[^1].ErrorCode);
    }

    [Fact]
    public void InterleavedToolBlocks_KeepTheirOrdinals()
    {
        var bytes = BedrockStreamScript.Parse("""
            {"event": "contentBlockStart", "data": {"contentBlockIndex": 1, "start": {"toolUse": {"toolUseId": "a", "name": "f"}}}}
            {"event": "contentBlockStart", "data": {"contentBlockIndex": 2, "start": {"toolUse": {"toolUseId": "b", "name": "g"}}}}
            {"event": "contentBlockDelta", "data": {"contentBlockIndex": 2, "delta": {"toolUse": {"input": "{\"y\":2}"}}}}
            {"event": "contentBlockDelta", "data": {"contentBlockIndex": 1, "delta": {"toolUse": {"input": "{\"x\":1}"}}}}
            """).ToBytes();

        var events = Decode(bytes, bytes.Length, out _);

        Assert.Equal(StreamEventKind.Start, events[0].Kind); // synthesised when messageStart is missing
        var args = events.Where(e => e.Kind == StreamEventKind.ToolCallDelta).ToList();
        Assert.Equal((1, "{\"y\":2}"), (args[0].Index, args[0].Text));
        Assert.Equal((0, "{\"x\":1}"), (args[1].Index, args[1].Text));
    }

    private static List<StreamEvent> Decode(byte[] bytes, int readSize, out bool done)
    {
        var decoder = new BedrockStreamDecoder("id-1", "model-x");
        var events = new List<StreamEvent>();
        var pending = new List<byte>();
        done = false;
        for (var at = 0; at < bytes.Length && !done; at += readSize)
        {
            pending.AddRange(bytes.AsSpan(at, Math.Min(readSize, bytes.Length - at)).ToArray());
            var consumed = decoder.Decode(pending.ToArray(), events, out done);
            pending.RemoveRange(0, consumed);
        }

        return events;
    }
}
