using System.Buffers.Binary;
using System.Text;
using Switchyard.Providers.Bedrock;
using Switchyard.Tests.TestKit.Bedrock;

namespace Switchyard.Tests.Providers.Bedrock;

public sealed class EventStreamFramingTests
{
    [Fact]
    public void Crc32_MatchesTheStandardCheckValue()
    {
        Assert.Equal(0xCBF43926u, Crc32.Compute("123456789"u8));
        Assert.Equal(0xCBF43926u, EventStreamWriter.Crc32("123456789"u8));
    }

    [Fact]
    public void Complete_ReadsHeadersAndPayload()
    {
        var frame = EventStreamWriter.Event("contentBlockDelta", """{"delta":{"text":"hi"}}""");

        Assert.Equal(EventStreamStatus.Complete, EventStreamFraming.TryRead(frame, out var length, out var headers, out var payload, out _));
        Assert.Equal(frame.Length, length);
        Assert.Equal("contentBlockDelta", EventStreamFraming.StringHeader(headers, ":event-type"u8));
        Assert.Equal("event", EventStreamFraming.StringHeader(headers, ":message-type"u8));
        Assert.Null(EventStreamFraming.StringHeader(headers, ":exception-type"u8));
        Assert.Equal("""{"delta":{"text":"hi"}}""", Encoding.UTF8.GetString(payload));
    }

    [Fact]
    public void EveryPrefix_IsIncomplete()
    {
        var frame = EventStreamWriter.Event("messageStart", """{"role":"assistant"}""");
        for (var n = 0; n < frame.Length; n++)
        {
            Assert.Equal(EventStreamStatus.Incomplete, EventStreamFraming.TryRead(frame.AsSpan(0, n), out _, out _, out _, out _));
        }
    }

    [Fact]
    public void FlippedPayloadByte_IsCorrupt()
    {
        var frame = EventStreamWriter.Event("messageStart", """{"role":"assistant"}""");
        frame[^6] ^= 1;

        Assert.Equal(EventStreamStatus.Corrupt, EventStreamFraming.TryRead(frame, out _, out _, out _, out var problem));
        Assert.Contains("message checksum", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void CorruptPrelude_IsCorruptBeforeTheLengthIsTrusted()
    {
        var frame = EventStreamWriter.Event("messageStart", "{}");
        BinaryPrimitives.WriteUInt32BigEndian(frame, 1_000_000); // a length that would otherwise make the reader wait

        Assert.Equal(EventStreamStatus.Corrupt, EventStreamFraming.TryRead(frame, out _, out _, out _, out var problem));
        Assert.Contains("prelude", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void HeadersOfEveryType_AreSteppedOver()
    {
        // bool true, bool false, byte, int16, int32, int64, bytes, timestamp, uuid — then the string looked for.
        var headers = new List<byte>();
        void Name(string n, byte type)
        {
            headers.Add((byte)n.Length);
            headers.AddRange(Encoding.ASCII.GetBytes(n));
            headers.Add(type);
        }

        Name("t", 0);
        Name("f", 1);
        Name("b", 2);
        headers.Add(9);
        Name("s", 3);
        headers.AddRange(new byte[2]);
        Name("i", 4);
        headers.AddRange(new byte[4]);
        Name("l", 5);
        headers.AddRange(new byte[8]);
        Name("a", 6);
        headers.AddRange(new byte[] { 0, 3, 1, 2, 3 });
        Name("ts", 8);
        headers.AddRange(new byte[8]);
        Name("u", 9);
        headers.AddRange(new byte[16]);
        Name(":event-type", 7);
        headers.AddRange(new byte[] { 0, 8 });
        headers.AddRange("metadata"u8.ToArray());

        var frame = Frame([.. headers], "{}"u8);
        Assert.Equal(EventStreamStatus.Complete, EventStreamFraming.TryRead(frame, out _, out var h, out _, out _));
        Assert.Equal("metadata", EventStreamFraming.StringHeader(h, ":event-type"u8));
    }

    [Fact]
    public void UnknownHeaderType_IsCorrupt()
    {
        var frame = Frame([1, (byte)'x', 42], "{}"u8);
        Assert.Equal(EventStreamStatus.Corrupt, EventStreamFraming.TryRead(frame, out _, out _, out _, out _));
    }

    /// <summary>A frame with raw header bytes (the writer only makes string headers).</summary>
    private static byte[] Frame(byte[] headers, ReadOnlySpan<byte> payload)
    {
        var total = 12 + headers.Length + payload.Length + 4;
        var frame = new byte[total];
        BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)total);
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(4), (uint)headers.Length);
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(8), EventStreamWriter.Crc32(frame.AsSpan(0, 8)));
        headers.CopyTo(frame, 12);
        payload.CopyTo(frame.AsSpan(12 + headers.Length));
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(total - 4), EventStreamWriter.Crc32(frame.AsSpan(0, total - 4)));
        return frame;
    }
}
