using System.Buffers.Binary;
using System.Text;

namespace Switchyard.Tests.TestKit.Bedrock;

/// <summary>
/// Encodes AWS event-stream messages the way Bedrock's ConverseStream sends them: prelude (total length,
/// headers length), prelude CRC-32, string headers, JSON payload, message CRC-32. Written independently of the
/// gateway's decoder (its own bitwise CRC), so the two check each other.
/// </summary>
public static class EventStreamWriter
{
    /// <summary>A <c>:message-type event</c> frame, e.g. <c>Event("contentBlockDelta", json)</c>.</summary>
    public static byte[] Event(string eventType, string json) => Message(
        [(":event-type", eventType), (":content-type", "application/json"), (":message-type", "event")],
        Encoding.UTF8.GetBytes(json));

    /// <summary>A <c>:message-type exception</c> frame, e.g. <c>Exception("throttlingException", "{\"message\":\"…\"}")</c>.</summary>
    public static byte[] Exception(string exceptionType, string json) => Message(
        [(":exception-type", exceptionType), (":content-type", "application/json"), (":message-type", "exception")],
        Encoding.UTF8.GetBytes(json));

    /// <summary>One message with string headers.</summary>
    public static byte[] Message(IReadOnlyList<(string Name, string Value)> headers, ReadOnlySpan<byte> payload)
    {
        using var headerBytes = new MemoryStream();
        foreach (var (name, value) in headers)
        {
            var n = Encoding.UTF8.GetBytes(name);
            var v = Encoding.UTF8.GetBytes(value);
            headerBytes.WriteByte((byte)n.Length);
            headerBytes.Write(n);
            headerBytes.WriteByte(7); // string
            headerBytes.WriteByte((byte)(v.Length >> 8));
            headerBytes.WriteByte((byte)v.Length);
            headerBytes.Write(v);
        }

        var h = headerBytes.ToArray();
        var total = 12 + h.Length + payload.Length + 4;
        var message = new byte[total];
        BinaryPrimitives.WriteUInt32BigEndian(message, (uint)total);
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(4), (uint)h.Length);
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(8), Crc32(message.AsSpan(0, 8)));
        h.CopyTo(message, 12);
        payload.CopyTo(message.AsSpan(12 + h.Length));
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(total - 4), Crc32(message.AsSpan(0, total - 4)));
        return message;
    }

    /// <summary>Bit-at-a-time CRC-32 (IEEE, reflected), deliberately not the gateway's table-driven one.</summary>
    public static uint Crc32(ReadOnlySpan<byte> data)
    {
        var crc = uint.MaxValue;
        foreach (var b in data)
        {
            crc ^= b;
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc >> 1) ^ (0xEDB88320u & (uint)-(int)(crc & 1));
            }
        }

        return ~crc;
    }
}
