using System.Buffers;
using System.Text;
using Switchyard.Canonical;
using Switchyard.Dispatch;
using Switchyard.Providers.OpenAI;
using Switchyard.Upstream;

namespace Switchyard.Tests.Upstream;

public class SseFramingTests
{
    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    [Theory]
    [InlineData("data: a\n\ndata: b\n\n", 9)]
    [InlineData("data: a\r\n\r\ndata: b", 11)]
    [InlineData("event: x\ndata: a\n\n", 18)]
    [InlineData("data: partial\n", -1)]
    [InlineData("data: partial", -1)]
    public void FirstEventLength_FindsBlankLine(string text, int expected) =>
        Assert.Equal(expected, SseFraming.FirstEventLength(B(text)));

    [Theory]
    [InlineData("data: {\"a\":1}\n\n", "{\"a\":1}")]
    [InlineData("data:{\"a\":1}\r\n\r\n", "{\"a\":1}")]
    [InlineData("event: error\ndata: [DONE]\n\n", "[DONE]")]
    [InlineData(": keep-alive comment\n\n", "")]
    public void Data_ReturnsFirstDataLine(string text, string expected) =>
        Assert.Equal(expected, Encoding.UTF8.GetString(SseFraming.Data(B(text))));

    private const string ContentChunk = "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"},\"finish_reason\":null}],\"usage\":null}\n\n";
    private const string UsageChunk = "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[],\"usage\":{\"prompt_tokens\":11,\"completion_tokens\":7,\"total_tokens\":18,\"prompt_tokens_details\":{\"cached_tokens\":3}}}\n\n";
    private const string Done = "data: [DONE]\n\n";

    private static (string Written, int Consumed, TokenUsage Usage, bool Done, bool Error) Relay(string input, bool clientWantsUsage)
    {
        var writer = new ArrayBufferWriter<byte>();
        var usage = default(TokenUsage);
        var state = default(SseRelay.RelayState);
        var consumed = SseRelay.WriteEvents(new OpenAIPassthrough(), B(input), writer, clientWantsUsage, ref usage, ref state);
        return (Encoding.UTF8.GetString(writer.WrittenSpan), consumed, usage, state.Terminal, state.Error);
    }

    [Fact]
    public void WriteEvents_ClientDidNotAskForUsage_DropsUsageChunkButMetersIt()
    {
        var r = Relay(ContentChunk + UsageChunk + Done, clientWantsUsage: false);
        Assert.Equal(ContentChunk + Done, r.Written);
        Assert.Equal(18, r.Usage.TotalTokens);
        Assert.Equal(11, r.Usage.InputTokens);
        Assert.Equal(7, r.Usage.OutputTokens);
        Assert.Equal(3, r.Usage.CacheReadTokens);
        Assert.True(r.Done);
    }

    [Fact]
    public void WriteEvents_ClientAskedForUsage_RelaysEverything()
    {
        var r = Relay(ContentChunk + UsageChunk + Done, clientWantsUsage: true);
        Assert.Equal(ContentChunk + UsageChunk + Done, r.Written);
        Assert.Equal(18, r.Usage.TotalTokens);
    }

    [Fact]
    public void WriteEvents_PartialEvent_IsKeptForTheNextRead()
    {
        var input = ContentChunk + "data: {\"id\":\"c\",\"cho";
        var r = Relay(input, false);
        Assert.Equal(ContentChunk, r.Written);
        Assert.Equal(Encoding.UTF8.GetByteCount(ContentChunk), r.Consumed);
        Assert.False(r.Done);
    }

    [Fact]
    public void WriteEvents_ErrorEvent_IsRelayedAndFlagged()
    {
        const string error = "data: {\"error\":{\"message\":\"overloaded\",\"type\":\"server_error\"}}\n\n";
        var r = Relay(ContentChunk + error, false);
        Assert.Equal(ContentChunk + error, r.Written);
        Assert.True(r.Error);
    }

    [Fact]
    public void WriteEvents_UsageOnContentChunk_IsMeteredAndKept()
    {
        const string chunk = "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\": {\"prompt_tokens\":2,\"completion_tokens\":1}}\n\n";
        var r = Relay(chunk, false);
        Assert.Equal(chunk, r.Written);
        Assert.Equal(3, r.Usage.TotalTokens);
    }
}
