using System.Net.Sockets;

namespace Switchyard.LoadTest.Load;

/// <summary>How one request/response exchange ended.</summary>
public enum ExchangeOutcome
{
    /// <summary>A complete response arrived (any status; the caller checks for 2xx).</summary>
    Response,

    /// <summary>Connect refused/reset, the server closed mid-response, or the response was not valid HTTP.</summary>
    SocketError,

    /// <summary>The connection was disposed under the exchange (the run's grace period ran out).</summary>
    Aborted,
}

/// <summary>Result of <see cref="HttpConnection.ExchangeAsync"/>; timestamps are <see cref="Clock"/> ticks.</summary>
public readonly record struct Exchange(ExchangeOutcome Outcome, int Status, long SentAt, long FirstByteAt);

/// <summary>
/// One keep-alive HTTP/1.1 connection over a raw socket, used by one request at a time. It writes the
/// precomputed request and reads until <see cref="HttpResponseParser"/> says the response is complete. No
/// HttpClient: its pooling, header objects and per-request allocations would make the generator's own cost
/// larger and less predictable than the gateway overhead being measured. Connects lazily and reconnects
/// after the server closes.
/// </summary>
public sealed class HttpConnection(LoopbackTarget target, ReadOnlyMemory<byte> request) : IDisposable
{
    private const int BufferSize = 64 * 1024;
    private readonly byte[] _buffer = new byte[BufferSize];
    private readonly HttpResponseParser _parser = new();
    private Socket? _socket;
    private volatile bool _disposed;

    /// <summary>Number of TCP connections this object has opened (1 unless the server closed on us).</summary>
    public int Opened { get; private set; }

    /// <summary>Sends the request and reads one full response. Never throws: failures come back as outcomes.</summary>
    public async ValueTask<Exchange> ExchangeAsync()
    {
        var sentAt = Clock.Now;
        long firstByte = 0;
        try
        {
            var socket = _socket;
            // An idle keep-alive socket that is readable has been closed by the server (or holds junk):
            // drop it rather than charging the target a socket error for its idle timeout.
            if (socket is not null && socket.Poll(0, SelectMode.SelectRead)) { Close(); socket = null; }
            if (socket is null)
            {
                socket = new Socket(target.EndPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                _socket = socket;
                Opened++;
                await socket.ConnectAsync(target.EndPoint).ConfigureAwait(false);
                if (_disposed) { Close(); return new Exchange(ExchangeOutcome.Aborted, 0, sentAt, 0); }
            }

            sentAt = Clock.Now; // service time starts at the write, after any connect
            var req = request;
            while (!req.IsEmpty)
            {
                var n = await socket.SendAsync(req, SocketFlags.None).ConfigureAwait(false);
                req = req[n..];
            }

            _parser.Reset();
            int len = 0, pos = 0;
            while (true)
            {
                if (pos == len) pos = len = 0;
                else if (len == BufferSize)
                {
                    if (pos == 0) return Fail(sentAt, firstByte); // a head or chunk line larger than 64 KiB
                    Buffer.BlockCopy(_buffer, pos, _buffer, 0, len - pos);
                    len -= pos;
                    pos = 0;
                }

                var read = await socket.ReceiveAsync(_buffer.AsMemory(len), SocketFlags.None).ConfigureAwait(false);
                if (read == 0)
                {
                    if (!_parser.ReadsUntilClose) return Fail(sentAt, firstByte);
                    Close();
                    return new Exchange(ExchangeOutcome.Response, _parser.Status, sentAt, firstByte);
                }
                if (firstByte == 0) firstByte = Clock.Now;
                len += read;

                switch (_parser.Parse(_buffer.AsSpan(0, len), ref pos))
                {
                    case ParseResult.Complete:
                        // Leftover bytes would belong to no request of ours: treat the connection as unusable.
                        if (!_parser.KeepAlive || pos != len) Close();
                        return new Exchange(ExchangeOutcome.Response, _parser.Status, sentAt, firstByte);
                    case ParseResult.Invalid:
                        return Fail(sentAt, firstByte);
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException or InvalidOperationException)
        {
            Close();
            return new Exchange(_disposed ? ExchangeOutcome.Aborted : ExchangeOutcome.SocketError, 0, sentAt, firstByte);
        }
    }

    private Exchange Fail(long sentAt, long firstByte)
    {
        Close();
        return new Exchange(_disposed ? ExchangeOutcome.Aborted : ExchangeOutcome.SocketError, 0, sentAt, firstByte);
    }

    private void Close()
    {
        var s = Interlocked.Exchange(ref _socket, null);
        s?.Dispose();
    }

    /// <summary>Closes the socket; an exchange in progress ends with <see cref="ExchangeOutcome.Aborted"/>.</summary>
    public void Dispose()
    {
        _disposed = true;
        Close();
    }
}
