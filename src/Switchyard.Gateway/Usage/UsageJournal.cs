using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Switchyard.Usage;

/// <summary>
/// The usage records' write-ahead journal: every record is appended here and fsynced before anything else
/// happens to it, and the database is filled from here (docs/adr/0004-usage-durability.md).
/// </summary>
/// <remarks>
/// <para>Format: JSON lines (one <see cref="UsageRecord"/> per line, <see cref="UsageJsonContext"/>) in
/// segment files named by the position of their first byte (<c>00000000000000000000.jsonl</c>, 20 digits):
/// positions run on across segments, so a position (a <c>long</c>) names one byte of the whole journal, and
/// the database's checkpoint is one such position. A torn write (a crash mid-append) leaves a partial last line,
/// which fails to parse: it is skipped and reported, never fatal.</para>
/// <para>Bounds: a segment is sealed at <see cref="SegmentBytes"/> and deleted once the checkpoint is past
/// its end; the whole journal holds at most <see cref="MaxBytes"/>, and an append beyond that throws
/// <see cref="UsageJournalFullException"/> (the writer then goes to the database directly).</para>
/// <para>Threads: <see cref="Append"/> from the writer's journal thread only; <see cref="Read"/> and
/// <see cref="DeleteBefore"/> from its database loop only; the segment list is shared under a lock.</para>
/// </remarks>
public sealed partial class UsageJournal
{
    /// <summary>Default size at which a segment is sealed and a new one started.</summary>
    public const long DefaultSegmentBytes = 8L << 20;

    private const string Extension = ".jsonl";

    private readonly Lock gate = new();
    private readonly List<Segment> segments = [];
    private readonly ILogger logger;
    private ArrayBufferWriter<byte> buffer = new(16 * 1024);
    private Utf8JsonWriter? json;
    private readonly List<int> lineEnds = [];
    private Segment? active; // the segment appended to; replaced only by the journal thread
    private long end;
    private long size;
    private long startAt;
    private bool opened;
    private long corruptLines;

    /// <summary>A journal in <paramref name="directory"/>; nothing is touched before <see cref="Open"/>.</summary>
    public UsageJournal(string directory, long maxBytes, ILogger logger, long segmentBytes = DefaultSegmentBytes)
    {
        Directory = directory;
        MaxBytes = maxBytes;
        SegmentBytes = segmentBytes;
        this.logger = logger;
    }

    /// <summary>The folder of the segments.</summary>
    public string Directory { get; }

    /// <summary>The most bytes the journal holds (<c>usage.journal_max_size</c>).</summary>
    public long MaxBytes { get; }

    /// <summary>Segment size at which a new segment is started.</summary>
    public long SegmentBytes { get; }

    /// <summary>The position after the last record on disk (fsynced): everything before it may be read.</summary>
    public long End => Volatile.Read(ref end);

    /// <summary>Bytes on disk in all segments.</summary>
    public long SizeBytes => Volatile.Read(ref size);

    /// <summary>Lines skipped since start because they did not parse (torn writes, damage).</summary>
    public long CorruptLines => Interlocked.Read(ref corruptLines);

    /// <summary>
    /// Sets where new records start (at or after <paramref name="checkpoint"/>, the store's, so nothing new can
    /// land behind it) and opens the journal: finds the segments left by earlier runs and starts a new one
    /// after them. Throws when the folder cannot be used; <see cref="Append"/> then tries again.
    /// </summary>
    public void Open(long checkpoint)
    {
        startAt = checkpoint;
        Volatile.Write(ref end, checkpoint);

        // JIT the serializer now, not in the first request's durability window (~70 ms measured).
        Serialize([new UsageRecord { RequestId = "warm-up", Operation = "warm-up" }]);
        EnsureOpen();
    }

    /// <summary>
    /// Appends <paramref name="batch"/> and fsyncs it; the records are durable when this returns. An empty batch
    /// only checks that the journal can be written. Throws (<see cref="IOException"/>,
    /// <see cref="UnauthorizedAccessException"/>, <see cref="UsageJournalFullException"/>) when the records
    /// are not durable; nothing of a failed append is ever read (the next append cuts it off).
    /// </summary>
    public void Append(IReadOnlyList<UsageRecord> batch)
    {
        EnsureOpen();
        var bytes = Serialize(batch);
        var segment = active!;
        if (bytes.Length > 0 && End - segment.Base >= SegmentBytes)
        {
            segment = StartSegment(End);
        }

        if (SizeBytes + bytes.Length > MaxBytes)
        {
            throw new UsageJournalFullException(SizeBytes, MaxBytes);
        }

        // Opened by path for every batch: a segment deleted or replaced behind our back must fail here, not
        // take records into an unlinked file that no reader will ever see.
        var offset = End - segment.Base;
        using (var handle = File.OpenHandle(segment.Path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read))
        {
            var length = RandomAccess.GetLength(handle);
            if (length < offset)
            {
                handle.Dispose();
                SegmentLost(segment, length);
                Append(batch);
                return;
            }

            if (length > offset)
            {
                RandomAccess.SetLength(handle, offset); // the unacknowledged rest of a failed append
            }

            if (bytes.Length == 0)
            {
                return;
            }

            RandomAccess.Write(handle, bytes.Span, offset);
            RandomAccess.FlushToDisk(handle);
        }

        lock (gate)
        {
            size += bytes.Length;
            Volatile.Write(ref end, End + bytes.Length);
        }
    }

    /// <summary>
    /// Where each record of the last <see cref="Append"/> ends, in bytes from where that batch began (the journal thread
    /// only): what lets the database loop resume from a checkpoint inside a handed-over batch.
    /// </summary>
    public int[] LastLineEnds() => [.. lineEnds];

    /// <summary>Whether <see cref="DeleteBefore"/> would delete a segment at <paramref name="checkpoint"/>.</summary>
    public bool HasSegmentBefore(long checkpoint)
    {
        lock (gate)
        {
            return segments.Count >= 2 && segments[0].End <= checkpoint;
        }
    }

    /// <summary>Deletes the segments that lie wholly before <paramref name="checkpoint"/> (never the active one).</summary>
    public int DeleteBefore(long checkpoint)
    {
        var deleted = 0;
        while (true)
        {
            Segment first;
            lock (gate)
            {
                if (segments.Count < 2 || segments[0].End > checkpoint)
                {
                    return deleted;
                }

                first = segments[0];
            }

            try
            {
                File.Delete(first.Path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                LogDeleteFailed(logger, first.Path, ex.Message);
                return deleted;
            }

            lock (gate)
            {
                segments.RemoveAt(0);
                size -= first.Length;
            }

            deleted++;
        }
    }

    private ReadOnlyMemory<byte> Serialize(IReadOnlyList<UsageRecord> batch)
    {
        buffer.ResetWrittenCount();
        if (buffer.Capacity > 4 << 20)
        {
            buffer = new ArrayBufferWriter<byte>(16 * 1024); // a burst's buffer is not kept for good
            json = null;
        }

        json ??= new Utf8JsonWriter(buffer);
        lineEnds.Clear();
        foreach (var record in batch)
        {
            json.Reset(buffer);
            JsonSerializer.Serialize(json, record, UsageJsonContext.Default.UsageRecord);
            json.Flush();
            buffer.Write("\n"u8);
            lineEnds.Add(buffer.WrittenCount);
        }

        return buffer.WrittenMemory;
    }

    private void EnsureOpen()
    {
        if (opened)
        {
            return;
        }

        System.IO.Directory.CreateDirectory(Directory);
        var found = new List<Segment>();
        foreach (var path in System.IO.Directory.EnumerateFiles(Directory, "*" + Extension))
        {
            if (long.TryParse(Path.GetFileNameWithoutExtension(path), NumberStyles.None, CultureInfo.InvariantCulture, out var start))
            {
                found.Add(new Segment(start, path) { Length = new FileInfo(path).Length });
            }
        }

        found.Sort((a, b) => a.Base.CompareTo(b.Base));
        var lastEnd = found.Count > 0 ? found[^1].End : 0;
        var activeBase = Math.Max(lastEnd, startAt);
        lock (gate)
        {
            segments.Clear();
            segments.AddRange(found);
            size = found.Sum(s => s.Length);
        }

        // An empty last segment exactly where the next one would start is reused; any other starts a new one.
        if (found.Count == 0 || found[^1].Length > 0 || found[^1].Base != activeBase)
        {
            StartSegment(activeBase);
        }
        else
        {
            found[^1].Active = true;
            active = found[^1];
        }

        Volatile.Write(ref end, activeBase);
        opened = true;
    }

    /// <summary>Seals the active segment and starts a new one at <paramref name="start"/>.</summary>
    private Segment StartSegment(long start)
    {
        var path = Path.Combine(Directory, start.ToString("D20", CultureInfo.InvariantCulture) + Extension);
        using (var handle = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read))
        {
            if (RandomAccess.GetLength(handle) != 0)
            {
                throw new IOException($"Journal segment {path} already holds data past the journal's end.");
            }
        }

        var segment = new Segment(start, path) { Active = true };
        lock (gate)
        {
            if (segments.Count > 0 && segments[^1].Active)
            {
                segments[^1].Length = start - segments[^1].Base;
                segments[^1].Active = false;
            }

            segments.Add(segment);
        }

        active = segment;
        return segment;
    }

    /// <summary>The active segment is shorter than what was fsynced into it: it was deleted or replaced from outside.</summary>
    private void SegmentLost(Segment lost, long length)
    {
        LogSegmentLost(logger, lost.Path, End - lost.Base - length);
        lock (gate)
        {
            size -= End - lost.Base - length;
            lost.Length = length;
            lost.Active = false;
        }

        StartSegment(End);
    }

    /// <summary>A segment: where it starts, its file, and (once sealed) its length.</summary>
    private sealed class Segment(long start, string path)
    {
        public long Base { get; } = start;

        public string Path { get; } = path;

        /// <summary>Bytes in the file (sealed segments only; the active one ends at <see cref="UsageJournal.End"/>).</summary>
        public long Length { get; set; }

        public bool Active { get; set; }

        public long End => Base + Length;
    }

    [LoggerMessage(EventId = 3020, Level = LogLevel.Warning, Message = "Usage journal: skipped {Count} unreadable line(s) in {Segment} at offset {Offset} (a torn write or damage): {Reason}")]
    private static partial void LogCorrupt(ILogger logger, int count, string segment, long offset, string reason);

    [LoggerMessage(EventId = 3021, Level = LogLevel.Error, Message = "Usage journal segment {Segment} lost {Bytes} bytes behind the gateway's back (deleted or replaced from outside); continuing in a new segment")]
    private static partial void LogSegmentLost(ILogger logger, string segment, long bytes);

    [LoggerMessage(EventId = 3022, Level = LogLevel.Warning, Message = "Usage journal segment {Segment} is fully in the database but could not be deleted (will retry): {Reason}")]
    private static partial void LogDeleteFailed(ILogger logger, string segment, string reason);
}

/// <summary>The journal holds <c>usage.journal_max_size</c> already: the database has fallen that far behind.</summary>
public sealed class UsageJournalFullException(long size, long max)
    : IOException($"usage journal full ({size} of {max} bytes): the database is not taking records")
{
}
