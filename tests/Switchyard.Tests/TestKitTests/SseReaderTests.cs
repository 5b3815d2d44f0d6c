using System.Text;
using Switchyard.Tests.TestKit;

namespace Switchyard.Tests.TestKitTests;

/// <summary>The SSE parser used by tests to read gateway and fake streams.</summary>
public sealed class SseReaderTests
{
    [Fact]
    public void Parse_AcceptsLfCrLfAndCrLineEndings()
    {
        var events = SseReader.Parse("data: a\r\n\r\ndata: b\n\ndata: c\r\rdata:d\n\n");

        Assert.Equal(["a", "b", "c", "d"], events.Select(e => e.Data));
    }

    [Fact]
    public void Parse_HandlesCommentsEventNamesIdsAndMultiLineData()
    {
        var events = SseReader.Parse(": keep-alive\nevent: message_start\ndata: {\"x\":1}\nid: 7\n\nevent: ping\n\ndata: line1\ndata:  line2\n\ndata: [DONE]\n\n");

        Assert.Equal(3, events.Count);
        Assert.Equal(new SseEvent("message_start", "{\"x\":1}", "7"), events[0]);
        Assert.Equal(1, (int)events[0].Json!["x"]!);
        Assert.Equal(new SseEvent(null, "line1\n line2"), events[1]); // only one leading space is stripped
        Assert.True(events[2].IsDone);
        Assert.Null(events[2].Json);
    }

    [Fact]
    public void Parse_DiscardsAnUnterminatedTrailingEvent()
    {
        var events = SseReader.Parse("data: complete\n\ndata: {\"partial\":");

        Assert.Equal("complete", Assert.Single(events).Data);
    }

    [Fact]
    public async Task ReadAllAsync_ToleratesCrLfSplitAcrossReads()
    {
        var bytes = Encoding.UTF8.GetBytes("data: {\"a\":\"é\"}\r\n\r\ndata: [DONE]\r\n\r\n");
        await using var stream = new TrickleStream(bytes);

        var events = await SseReader.ReadAllAsync(stream);

        Assert.Equal(2, events.Count);
        Assert.Equal("é", (string)events[0].Json!["a"]!);
        Assert.True(events[1].IsDone);
    }

    [Fact]
    public void IsError_RecognisesOpenAIErrorEnvelopes()
    {
        Assert.True(new SseEvent(null, "{\"error\":{\"message\":\"x\"}}").IsError);
        Assert.False(new SseEvent(null, "{\"choices\":[]}").IsError);
        Assert.False(new SseEvent(null, "[DONE]").IsError);
    }

    /// <summary>Returns one byte per read, so every line ending is split across reads at some point.</summary>
    private sealed class TrickleStream(byte[] data) : MemoryStream(data)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, 1));

        public override int Read(Span<byte> buffer) => base.Read(buffer[..Math.Min(buffer.Length, 1)]);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, 1)], cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            base.ReadAsync(buffer, offset, Math.Min(count, 1), cancellationToken);
    }
}
