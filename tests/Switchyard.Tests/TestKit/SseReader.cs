using System.Runtime.CompilerServices;
using System.Text;

namespace Switchyard.Tests.TestKit;

/// <summary>
/// Parses Server-Sent Events per the WHATWG rules that matter for LLM streams: lines end with <c>\n</c>,
/// <c>\r\n</c> or <c>\r</c>; a blank line dispatches the event; <c>:</c> lines are comments; one optional space after
/// the field colon is stripped; several <c>data:</c> lines join with <c>\n</c>; events without data are dropped; an
/// unterminated trailing event (stream cut mid-event) is discarded, as a browser would.
/// </summary>
public static class SseReader
{
    /// <summary>Parses a complete SSE body.</summary>
    public static IReadOnlyList<SseEvent> Parse(string body)
    {
        var parser = new Parser();
        var events = new List<SseEvent>();
        using var reader = new StringReader(body);
        while (reader.ReadLine() is { } line)
        {
            if (parser.Feed(line) is { } ev)
            {
                events.Add(ev);
            }
        }

        return events;
    }

    /// <summary>Reads a stream to its end and parses it. An IOException (e.g. a cut connection) propagates.</summary>
    public static async Task<IReadOnlyList<SseEvent>> ReadAllAsync(Stream stream, CancellationToken cancellationToken = default)
    {
        var events = new List<SseEvent>();
        await foreach (var ev in ReadEventsAsync(stream, cancellationToken))
        {
            events.Add(ev);
        }

        return events;
    }

    /// <summary>
    /// Yields events as they arrive, so a test can react to the first chunk of a live stream (e.g. cancel after it).
    /// </summary>
    public static async IAsyncEnumerable<SseEvent> ReadEventsAsync(Stream stream, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // StreamReader.ReadLineAsync already treats \r, \n and \r\n (even split across reads) as line ends.
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 1024, leaveOpen: true);
        var parser = new Parser();
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (parser.Feed(line) is { } ev)
            {
                yield return ev;
            }
        }
    }

    /// <summary>Accumulates fields line by line; returns an event when a blank line completes one.</summary>
    private sealed class Parser
    {
        private readonly StringBuilder _data = new();
        private bool _hasData;
        private string? _event;
        private string? _id;

        public SseEvent? Feed(string line)
        {
            if (line.Length == 0)
            {
                return Dispatch();
            }

            if (line[0] == ':')
            {
                return null;
            }

            var colon = line.IndexOf(':');
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? "" : line[(colon + 1)..];
            if (value.StartsWith(' '))
            {
                value = value[1..];
            }

            switch (field)
            {
                case "data":
                    if (_hasData)
                    {
                        _data.Append('\n');
                    }

                    _data.Append(value);
                    _hasData = true;
                    break;
                case "event":
                    _event = value;
                    break;
                case "id":
                    _id = value;
                    break;
            }

            return null;
        }

        private SseEvent? Dispatch()
        {
            var ev = _hasData ? new SseEvent(string.IsNullOrEmpty(_event) ? null : _event, _data.ToString(), _id) : null;
            _data.Clear();
            _hasData = false;
            _event = null;
            _id = null;
            return ev;
        }
    }
}
