namespace Switchyard.Upstream;

/// <summary>
/// Server-sent-events framing (WHATWG HTML §9.2.6): events end at a blank line; lines end in LF, CRLF or
/// CR (CR alone is not produced by any provider we speak to and is not handled). Pure span functions.
/// </summary>
public static class SseFraming
{
    /// <summary>
    /// Length of the first complete event in <paramref name="buffer"/> including its terminating blank line,
    /// or -1 when no event is complete yet.
    /// </summary>
    public static int FirstEventLength(ReadOnlySpan<byte> buffer)
    {
        var from = 0;
        while (true)
        {
            var nl = buffer[from..].IndexOf((byte)'\n');
            if (nl < 0)
            {
                return -1;
            }

            var i = from + nl;
            if (i + 1 < buffer.Length && buffer[i + 1] == (byte)'\n')
            {
                return i + 2; // "\n\n"
            }

            if (i + 2 < buffer.Length && buffer[i + 1] == (byte)'\r' && buffer[i + 2] == (byte)'\n')
            {
                return i + 3; // "\r\n\r\n" (we are at its first \n)
            }

            from = i + 1;
        }
    }

    /// <summary>The payload of the event's first <c>data:</c> line (one leading space removed), or empty.</summary>
    public static ReadOnlySpan<byte> Data(ReadOnlySpan<byte> sseEvent)
    {
        while (!sseEvent.IsEmpty)
        {
            var nl = sseEvent.IndexOf((byte)'\n');
            var line = nl < 0 ? sseEvent : sseEvent[..nl];
            if (!line.IsEmpty && line[^1] == (byte)'\r')
            {
                line = line[..^1];
            }

            if (line.StartsWith("data:"u8))
            {
                line = line[5..];
                return !line.IsEmpty && line[0] == (byte)' ' ? line[1..] : line;
            }

            if (nl < 0)
            {
                break;
            }

            sseEvent = sseEvent[(nl + 1)..];
        }

        return default;
    }

    /// <summary>
    /// The data of the next complete event after <paramref name="consumed"/> that carries any (comment-only
    /// events are skipped), advancing <paramref name="consumed"/> past it. False when no complete event is left.
    /// </summary>
    public static bool TryNextData(ReadOnlySpan<byte> data, ref int consumed, out ReadOnlySpan<byte> payload)
    {
        while (true)
        {
            var length = FirstEventLength(data[consumed..]);
            if (length < 0)
            {
                payload = default;
                return false;
            }

            payload = Data(data.Slice(consumed, length));
            consumed += length;
            if (!payload.IsEmpty)
            {
                return true;
            }
        }
    }

    /// <summary>True when the event has an <c>event:</c> line (a named event counts as content even without data).</summary>
    public static bool HasEventField(ReadOnlySpan<byte> sseEvent) =>
        sseEvent.StartsWith("event:"u8) || sseEvent.IndexOf("\nevent:"u8) >= 0;

    /// <summary>True for the OpenAI stream terminator <c>[DONE]</c>.</summary>
    public static bool IsDone(ReadOnlySpan<byte> data) => data.SequenceEqual("[DONE]"u8);
}
