using System.Buffers.Text;
using System.Text;

namespace Switchyard.LoadTest.Load;

/// <summary>What <see cref="HttpResponseParser.Parse"/> found.</summary>
public enum ParseResult
{
    /// <summary>The response is not complete yet: read more bytes.</summary>
    NeedMore,

    /// <summary>The whole response (head and body) has been consumed.</summary>
    Complete,

    /// <summary>Not a valid HTTP/1.x response, or a head too large for the buffer.</summary>
    Invalid,
}

/// <summary>
/// Incremental HTTP/1.1 response parser for one response at a time: status line, then the body framed by
/// Content-Length, chunked transfer encoding, or connection close. It only finds where the response ends;
/// body bytes are skipped, never copied or decoded.
/// </summary>
public sealed class HttpResponseParser
{
    private enum State { Head, Length, ChunkSize, ChunkData, Trailer, UntilClose }

    private State _state;
    private long _left;

    /// <summary>Status code of the current response (0 until the head has been parsed).</summary>
    public int Status { get; private set; }

    /// <summary>False when the server asked to close (HTTP/1.0, <c>Connection: close</c>, body until close).</summary>
    public bool KeepAlive { get; private set; }

    /// <summary>True when the body runs until the server closes the connection.</summary>
    public bool ReadsUntilClose => _state == State.UntilClose;

    /// <summary>Prepares for the next response on the connection.</summary>
    public void Reset()
    {
        _state = State.Head;
        _left = 0;
        Status = 0;
        KeepAlive = true;
    }

    /// <summary>
    /// Consumes what it can of <paramref name="buffer"/> starting at <paramref name="pos"/> and advances
    /// <paramref name="pos"/>. Bytes of an incomplete head or chunk-size line are left unconsumed so the
    /// caller keeps them and appends the next read.
    /// </summary>
    public ParseResult Parse(ReadOnlySpan<byte> buffer, ref int pos)
    {
        while (true)
        {
            var avail = buffer[pos..];
            switch (_state)
            {
                case State.Head:
                {
                    var end = avail.IndexOf("\r\n\r\n"u8);
                    if (end < 0) return ParseResult.NeedMore;
                    var head = avail[..(end + 2)];
                    if (!ParseHead(head, out var chunked, out var length)) return ParseResult.Invalid;
                    pos += end + 4;
                    if (Status is 204 or 304 || (Status >= 100 && Status < 200)) return ParseResult.Complete;
                    if (chunked) _state = State.ChunkSize;
                    else if (length >= 0) { _state = State.Length; _left = length; }
                    else { _state = State.UntilClose; KeepAlive = false; }
                    break;
                }
                case State.Length:
                case State.ChunkData:
                {
                    if (avail.Length < _left) { _left -= avail.Length; pos += avail.Length; return ParseResult.NeedMore; }
                    pos += (int)_left;
                    if (_state == State.Length) return ParseResult.Complete;
                    _state = State.ChunkSize;
                    break;
                }
                case State.ChunkSize:
                {
                    var eol = avail.IndexOf("\r\n"u8);
                    if (eol < 0) return avail.Length > 1024 ? ParseResult.Invalid : ParseResult.NeedMore;
                    // Hex digits, optionally followed by ";extension"; Utf8Parser stops at the first non-hex byte.
                    if (!Utf8Parser.TryParse(avail[..eol], out ulong size, out _, 'X')) return ParseResult.Invalid;
                    pos += eol + 2;
                    if (size == 0) _state = State.Trailer;
                    else { _state = State.ChunkData; _left = (long)size + 2; } // data + CRLF
                    break;
                }
                case State.Trailer:
                {
                    var eol = avail.IndexOf("\r\n"u8);
                    if (eol < 0) return ParseResult.NeedMore;
                    pos += eol + 2;
                    if (eol == 0) return ParseResult.Complete; // the empty line ends the trailers
                    break;
                }
                case State.UntilClose:
                    pos += avail.Length;
                    return ParseResult.NeedMore;
            }
        }
    }

    private bool ParseHead(ReadOnlySpan<byte> head, out bool chunked, out long length)
    {
        chunked = false;
        length = -1;
        // "HTTP/1.1 200 OK\r\n"
        if (head.Length < 12 || !head.StartsWith("HTTP/1."u8) || head[8] != (byte)' ') return false;
        if (!Utf8Parser.TryParse(head.Slice(9, 3), out int status, out var used) || used != 3) return false;
        Status = status;
        if (head[7] == (byte)'0') KeepAlive = false;

        var lineStart = head.IndexOf("\r\n"u8) + 2;
        while (lineStart < head.Length)
        {
            var rest = head[lineStart..];
            var eol = rest.IndexOf("\r\n"u8);
            if (eol < 0) break;
            var line = rest[..eol];
            lineStart += eol + 2;
            var colon = line.IndexOf((byte)':');
            if (colon <= 0) continue;
            var name = line[..colon];
            var value = line[(colon + 1)..].Trim(" \t"u8);
            if (Ascii.EqualsIgnoreCase(name, "content-length"u8))
            {
                if (!Utf8Parser.TryParse(value, out length, out var n) || n != value.Length || length < 0) return false;
            }
            else if (Ascii.EqualsIgnoreCase(name, "transfer-encoding"u8))
            {
                chunked = value.Length >= 7 && Ascii.EqualsIgnoreCase(value[^7..], "chunked"u8);
            }
            else if (Ascii.EqualsIgnoreCase(name, "connection"u8))
            {
                if (Ascii.EqualsIgnoreCase(value, "close"u8)) KeepAlive = false;
                else if (Ascii.EqualsIgnoreCase(value, "keep-alive"u8)) KeepAlive = true;
            }
        }
        return true;
    }
}
