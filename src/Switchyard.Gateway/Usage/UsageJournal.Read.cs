using System.Buffers;
using System.Text.Json;

namespace Switchyard.Usage;

/// <summary>Reading the journal back, from a position (the database's checkpoint) up to <see cref="UsageJournal.End"/>.</summary>
public sealed partial class UsageJournal
{
    /// <summary>
    /// Reads up to <paramref name="max"/> records from <paramref name="from"/> into <paramref name="into"/> and
    /// returns the position after the last line consumed: the checkpoint to store with them. Unreadable lines
    /// (and a torn tail of a sealed segment) are skipped, counted and logged; a gap between segments (deleted
    /// from outside) is stepped over.
    /// </summary>
    public long Read(long from, int max, List<UsageRecord> into)
    {
        var limit = End;
        (long Base, string Path, long End)[] snapshot;
        lock (gate)
        {
            snapshot = new (long, string, long)[segments.Count];
            for (var i = 0; i < segments.Count; i++)
            {
                var s = segments[i];
                snapshot[i] = (s.Base, s.Path, s.Active ? limit : Math.Min(s.End, limit));
            }
        }

        var position = from;
        foreach (var (start, path, segmentEnd) in snapshot)
        {
            if (into.Count >= max || position >= limit)
            {
                break;
            }

            if (segmentEnd <= position)
            {
                continue;
            }

            position = Math.Max(position, start);
            position = ReadSegment(path, start, position, segmentEnd, max, into);
        }

        // Not stopped by max: every segment was read to its end, and what lies between them and the limit is a
        // gap (a segment lost from outside), so the checkpoint may move to the limit.
        return into.Count < max ? Math.Max(position, limit) : position;
    }

    /// <summary>Reads the lines of one segment between two positions; returns where it stopped.</summary>
    private long ReadSegment(string path, long start, long from, long to, int max, List<UsageRecord> into)
    {
        var chunk = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var position = from;   // position of chunk[0]
            var filled = 0;
            var fileOffset = from - start;
            while (true)
            {
                var want = (int)Math.Min(chunk.Length - filled, to - start - fileOffset);
                var read = want > 0 ? RandomAccess.Read(handle, chunk.AsSpan(filled, want), fileOffset) : 0;
                fileOffset += read;
                filled += read;
                var atEnd = read == 0 || start + fileOffset >= to;

                var consumed = ParseLines(chunk.AsSpan(0, filled), position, path, start, max, into);
                position += consumed;
                if (into.Count >= max)
                {
                    return position;
                }

                filled -= consumed;
                chunk.AsSpan(consumed, filled).CopyTo(chunk);
                if (atEnd)
                {
                    if (filled > 0 || position < to)
                    {
                        // A sealed segment that ends inside a line: the write was torn by a crash (or the
                        // file shrank). Reported and stepped over, never fatal.
                        Interlocked.Increment(ref corruptLines);
                        LogCorrupt(logger, 1, path, position - start, $"torn tail of {to - position} bytes without a line end");
                    }

                    return to;
                }

                if (filled == chunk.Length)
                {
                    var bigger = ArrayPool<byte>.Shared.Rent(chunk.Length * 2); // a line longer than the chunk
                    chunk.AsSpan(0, filled).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(chunk);
                    chunk = bigger;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    /// <summary>Parses the complete lines of <paramref name="span"/>; returns the bytes consumed (through the last line end used).</summary>
    private int ParseLines(ReadOnlySpan<byte> span, long position, string path, long start, int max, List<UsageRecord> into)
    {
        var consumed = 0;
        while (into.Count < max)
        {
            var newline = span[consumed..].IndexOf((byte)'\n');
            if (newline < 0)
            {
                break;
            }

            var line = span.Slice(consumed, newline);
            if (!line.Trim((byte)' ').IsEmpty)
            {
                if (TryParse(line, out var record, out var reason))
                {
                    into.Add(record);
                }
                else
                {
                    Interlocked.Increment(ref corruptLines);
                    LogCorrupt(logger, 1, path, position + consumed - start, reason);
                }
            }

            consumed += newline + 1;
        }

        return consumed;
    }

    /// <summary>One line as a record; false (with why) for a torn or damaged line.</summary>
    internal static bool TryParse(ReadOnlySpan<byte> line, out UsageRecord record, out string reason)
    {
        try
        {
            var parsed = JsonSerializer.Deserialize(line, UsageJsonContext.Default.UsageRecord);
            if (parsed is { RequestId.Length: > 0, Operation: not null })
            {
                record = parsed;
                reason = "";
                return true;
            }

            reason = "not a usage record";
        }
        catch (JsonException ex)
        {
            reason = ex.Message;
        }

        record = null!;
        return false;
    }
}
