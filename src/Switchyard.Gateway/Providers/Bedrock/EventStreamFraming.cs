using System.Buffers.Binary;
using System.Text;

namespace Switchyard.Providers.Bedrock;

/// <summary>Outcome of looking for one AWS event-stream message at the start of a buffer.</summary>
public enum EventStreamStatus
{
    /// <summary>The buffer holds a partial message; read more bytes.</summary>
    Incomplete,

    /// <summary>A whole message whose checksums match.</summary>
    Complete,

    /// <summary>The bytes cannot be a valid message (bad length, checksum or header); the stream is unusable.</summary>
    Corrupt,
}

/// <summary>
/// The AWS binary event-stream framing (<c>application/vnd.amazon.eventstream</c>) that ConverseStream answers
/// in. A message is: total length (u32 BE), headers length (u32 BE), CRC-32 of those 8 bytes, headers,
/// payload, CRC-32 of everything before it. Headers are name length (u8), name, type (u8), typed value.
/// Pure span code: nothing is allocated until a header value is asked for.
/// </summary>
public static class EventStreamFraming
{
    /// <summary>Length of the prelude plus its CRC.</summary>
    public const int PreludeLength = 12;

    /// <summary>Smallest message: prelude, prelude CRC and message CRC, no headers or payload.</summary>
    public const int MinimumLength = 16;

    /// <summary>Largest message accepted; the format's limit is 16 MiB, and Converse events are far smaller.</summary>
    public const int MaximumLength = 16 * 1024 * 1024;

    /// <summary>Header value type: UTF-8 string with a u16 length.</summary>
    public const byte StringType = 7;

    /// <summary>
    /// Reads the message at the start of <paramref name="data"/>. On <see cref="EventStreamStatus.Complete"/>,
    /// <paramref name="length"/> is its size and the two spans point into <paramref name="data"/>; on
    /// <see cref="EventStreamStatus.Corrupt"/>, <paramref name="problem"/> says why.
    /// </summary>
    public static EventStreamStatus TryRead(ReadOnlySpan<byte> data, out int length, out ReadOnlySpan<byte> headers,
        out ReadOnlySpan<byte> payload, out string? problem)
    {
        length = 0;
        headers = default;
        payload = default;
        problem = null;
        if (data.Length < PreludeLength)
        {
            return EventStreamStatus.Incomplete;
        }

        var total = BinaryPrimitives.ReadUInt32BigEndian(data);
        var headersLength = BinaryPrimitives.ReadUInt32BigEndian(data[4..]);
        if (Crc32.Compute(data[..8]) != BinaryPrimitives.ReadUInt32BigEndian(data[8..]))
        {
            // Checked before trusting the lengths: a corrupt length could otherwise make us wait forever.
            problem = "event-stream prelude checksum mismatch";
            return EventStreamStatus.Corrupt;
        }

        if (total < MinimumLength || total > MaximumLength || headersLength > total - MinimumLength)
        {
            problem = $"event-stream message has an impossible length ({total} bytes, {headersLength} of headers)";
            return EventStreamStatus.Corrupt;
        }

        if (data.Length < total)
        {
            return EventStreamStatus.Incomplete;
        }

        var message = data[..(int)total];
        if (Crc32.Compute(message[..^4]) != BinaryPrimitives.ReadUInt32BigEndian(message[^4..]))
        {
            problem = "event-stream message checksum mismatch";
            return EventStreamStatus.Corrupt;
        }

        headers = message.Slice(PreludeLength, (int)headersLength);
        payload = message[(PreludeLength + (int)headersLength)..^4];
        if (!HeadersWellFormed(headers))
        {
            problem = "event-stream message has malformed headers";
            return EventStreamStatus.Corrupt;
        }

        length = (int)total;
        return EventStreamStatus.Complete;
    }

    /// <summary>The value of string header <paramref name="name"/> (e.g. <c>:event-type</c>), or null.</summary>
    public static string? StringHeader(ReadOnlySpan<byte> headers, ReadOnlySpan<byte> name)
    {
        var at = 0;
        while (Next(headers, ref at, out var headerName, out var type, out var value))
        {
            if (type == StringType && headerName.SequenceEqual(name))
            {
                return Encoding.UTF8.GetString(value);
            }
        }

        return null;
    }

    private static bool HeadersWellFormed(ReadOnlySpan<byte> headers)
    {
        var at = 0;
        while (Next(headers, ref at, out _, out _, out _))
        {
        }

        return at == headers.Length;
    }

    /// <summary>
    /// Steps over one header. Every type must be understood to find the next header, even though only
    /// strings are read. False at the end or on a malformed header (then <paramref name="at"/> stops short).
    /// </summary>
    private static bool Next(ReadOnlySpan<byte> headers, ref int at, out ReadOnlySpan<byte> name, out byte type, out ReadOnlySpan<byte> value)
    {
        name = default;
        value = default;
        type = 0;
        if (at >= headers.Length)
        {
            return false;
        }

        var rest = headers[at..];
        var nameLength = rest[0];
        if (rest.Length < 2 + nameLength)
        {
            return false;
        }

        name = rest.Slice(1, nameLength);
        type = rest[1 + nameLength];
        var valueAt = 2 + nameLength;
        var valueLength = ValueLength(type);
        if (valueLength == UnknownType)
        {
            return false;
        }

        if (valueLength == LengthPrefixed)
        {
            if (rest.Length < valueAt + 2)
            {
                return false;
            }

            valueLength = BinaryPrimitives.ReadUInt16BigEndian(rest[valueAt..]);
            valueAt += 2;
        }

        if (rest.Length < valueAt + valueLength)
        {
            return false;
        }

        value = rest.Slice(valueAt, valueLength);
        at += valueAt + valueLength;
        return true;
    }

    private const int LengthPrefixed = -1;
    private const int UnknownType = -2;

    /// <summary>
    /// The value size of a header type: fixed for most, <see cref="LengthPrefixed"/> for byte arrays and strings
    /// (a u16 length precedes the value), <see cref="UnknownType"/> for a type the format does not define.
    /// </summary>
    private static int ValueLength(byte type) => type switch
    {
        0 or 1 => 0, // boolean true / false: the type is the value
        2 => 1, // byte
        3 => 2, // int16
        4 => 4, // int32
        5 or 8 => 8, // int64, timestamp (ms)
        9 => 16, // UUID
        6 or StringType => LengthPrefixed, // byte array, string
        _ => UnknownType,
    };
}

/// <summary>CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), as event-stream checksums use. Table driven.</summary>
public static class Crc32
{
    private static readonly uint[] Table = BuildTable();

    /// <summary>The CRC-32 of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }

        return ~crc;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (var i = 0u; i < 256; i++)
        {
            var c = i;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }

            table[i] = c;
        }

        return table;
    }
}
