using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Switchyard.Tests.Configuration;
using Switchyard.Usage;

namespace Switchyard.Tests.Usage;

/// <summary>The usage journal on real files: append, read back from a checkpoint, rotation, bounds, damage.</summary>
public sealed class UsageJournalTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("switchyard-journal-").FullName;

    private string JournalDir => Path.Combine(dir, "journal");

    internal static UsageRecord Record(int i, int attempts = 1) => new()
    {
        RequestId = $"req_{i:D32}",
        Operation = "chat.completions",
        Alias = "gpt-4o",
        Attempts = attempts,
        Status = 200,
        PromptTokens = i,
        TotalTokens = i,
        LatencyMs = 1.5 + i,
    };

    private UsageJournal Open(long checkpoint = 0, long maxBytes = 1 << 30, long segmentBytes = UsageJournal.DefaultSegmentBytes, Microsoft.Extensions.Logging.ILogger? logger = null)
    {
        var journal = new UsageJournal(JournalDir, maxBytes, logger ?? NullLogger.Instance, segmentBytes);
        journal.Open(checkpoint);
        return journal;
    }

    private static List<UsageRecord> ReadAll(UsageJournal journal, long from, out long next, int max = 1_000_000)
    {
        var records = new List<UsageRecord>();
        next = journal.Read(from, max, records);
        return records;
    }

    private string[] SegmentFiles() => [.. Directory.GetFiles(JournalDir, "*.jsonl").Order(StringComparer.Ordinal)];

    [Fact]
    public void Append_Batch_IsOneJsonLinePerRecordOnDisk()
    {
        var journal = Open();

        journal.Append([Record(1), Record(2), Record(3)]);

        // Read through a separate handle: what Append returned for is in the file, not in a buffer of ours.
        var file = Assert.Single(SegmentFiles());
        Assert.Equal("00000000000000000000.jsonl", Path.GetFileName(file));
        var lines = File.ReadAllLines(file);
        Assert.Equal(3, lines.Length);
        Assert.All(lines, l => Assert.StartsWith("{\"request_id\":\"req_", l, StringComparison.Ordinal));
        Assert.Equal(new FileInfo(file).Length, journal.End);
        Assert.Equal(journal.End, journal.SizeBytes);
    }

    [Fact]
    public void Read_FromACheckpoint_ReturnsTheRestAndTheNextCheckpoint()
    {
        var journal = Open();
        journal.Append([Record(1), Record(2)]);
        journal.Append([Record(3), Record(4), Record(5)]);

        var first = ReadAll(journal, 0, out var afterTwo, max: 2);
        var rest = ReadAll(journal, afterTwo, out var end);

        Assert.Equal([1, 2], first.Select(r => (int)r.PromptTokens));
        Assert.Equal([3, 4, 5], rest.Select(r => (int)r.PromptTokens));
        Assert.Equal(journal.End, end);
        Assert.Empty(ReadAll(journal, end, out var again));
        Assert.Equal(end, again);
    }

    [Fact]
    public void Open_AfterARestart_KeepsOldSegmentsAndAppendsInANewOne()
    {
        var before = Open();
        before.Append([Record(1), Record(2)]);

        var after = Open();
        after.Append([Record(3)]);

        Assert.Equal(2, SegmentFiles().Length);
        Assert.Equal([1, 2, 3], ReadAll(after, 0, out var end).Select(r => (int)r.PromptTokens));
        Assert.Equal(after.End, end);
    }

    [Fact]
    public void Open_CheckpointAheadOfTheFiles_NewRecordsStartAtTheCheckpoint()
    {
        // A journal folder emptied by hand behind a database that had read 1000 bytes: new records must not
        // land behind the checkpoint, where the database would never read them.
        var journal = Open(checkpoint: 1000);
        journal.Append([Record(1)]);

        Assert.Equal("00000000000000001000.jsonl", Path.GetFileName(Assert.Single(SegmentFiles())));
        Assert.Equal([1], ReadAll(journal, 1000, out _).Select(r => (int)r.PromptTokens));
    }

    [Fact]
    public void Append_PastTheSegmentSize_RotatesAndDeleteBeforeRemovesWhatIsCheckpointed()
    {
        var journal = Open(segmentBytes: 1024);
        for (var i = 0; i < 20; i++)
        {
            journal.Append([Record(i), Record(100 + i)]);
        }

        var files = SegmentFiles().Length;
        Assert.True(files >= 5, $"{files} segments");
        var checkpointed = ReadAll(journal, 0, out var end);
        Assert.Equal(40, checkpointed.Count);

        var deleted = journal.DeleteBefore(end);

        Assert.Equal(files - 1, deleted); // all but the active segment
        Assert.Single(SegmentFiles());
        Assert.True(journal.SizeBytes <= 1024 + 2 * 400, $"{journal.SizeBytes} bytes left");
        journal.Append([Record(999)]);
        Assert.Equal([999], ReadAll(journal, end, out _).Select(r => (int)r.PromptTokens));
    }

    [Fact]
    public void Append_BeyondTheMaximumSize_ThrowsUntilSpaceIsFreed()
    {
        var journal = Open(maxBytes: 4096, segmentBytes: 1024);
        var appended = 0;
        UsageJournalFullException? full = null;
        while (full is null && appended < 1_000)
        {
            try
            {
                journal.Append([Record(appended)]);
                appended++;
            }
            catch (UsageJournalFullException ex)
            {
                full = ex;
            }
        }

        Assert.NotNull(full);

        Assert.Contains("4096", full.Message, StringComparison.Ordinal);
        Assert.True(journal.SizeBytes <= 4096);
        Assert.Equal(appended, ReadAll(journal, 0, out var end).Count);

        journal.DeleteBefore(end);
        journal.Append([Record(-1)]); // room again once the database has caught up
    }

    [Fact]
    public void Read_TornLastLineOfACrashedRun_IsSkippedAndReported()
    {
        var crashed = Open();
        crashed.Append([Record(1), Record(2)]);
        File.AppendAllText(Assert.Single(SegmentFiles()), "{\"request_id\":\"req_3\",\"oper"); // kill -9 mid-write
        var logger = new CapturingLogger();

        var restarted = Open(logger: logger);
        restarted.Append([Record(4)]);
        var records = ReadAll(restarted, 0, out var end);

        Assert.Equal([1, 2, 4], records.Select(r => (int)r.PromptTokens));
        Assert.Equal(restarted.End, end);
        Assert.Equal(1, restarted.CorruptLines);
        var warning = Assert.Single(logger.Entries, e => e.Id.Id == 3020);
        Assert.Contains("torn tail", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_DamagedLinesInTheMiddle_AreSkippedAndReportedAndTheRestIsRead()
    {
        var crashed = Open();
        crashed.Append([Record(1)]);
        var file = Assert.Single(SegmentFiles());
        File.AppendAllText(file, new string('\0', 40) + "\n" + "not json\n");
        File.AppendAllText(file, File.ReadAllLines(file)[0].Replace("req_", "req_x", StringComparison.Ordinal) + "\n");

        var restarted = Open();
        var records = ReadAll(restarted, 0, out _);

        Assert.Equal(2, records.Count);
        Assert.Equal(2, restarted.CorruptLines);
    }

    [Fact]
    public void Append_AfterAFailedAppendLeftBytes_CutsThemOff()
    {
        var journal = Open();
        journal.Append([Record(1)]);
        File.AppendAllText(Assert.Single(SegmentFiles()), "{\"request_id\":\"half a batch"); // never acknowledged

        journal.Append([Record(2)]);

        Assert.Equal(new FileInfo(Assert.Single(SegmentFiles())).Length, journal.End);
        Assert.Equal([1, 2], ReadAll(journal, 0, out _).Select(r => (int)r.PromptTokens));
        Assert.Equal(0, journal.CorruptLines);
    }

    [Fact]
    public void Append_FolderReplacedByAFile_FailsUntilItIsBack_ThenGoesOnInANewSegment()
    {
        var logger = new CapturingLogger();
        var journal = Open(logger: logger);
        journal.Append([Record(1)]);
        var checkpoint = ReadAll(journal, 0, out var end).Count == 1 ? end : -1;
        Directory.Delete(JournalDir, recursive: true);
        File.WriteAllText(JournalDir, "not a folder");

        Assert.ThrowsAny<IOException>(() => journal.Append([Record(2)]));
        Assert.ThrowsAny<IOException>(() => journal.Append([])); // the probe fails too

        File.Delete(JournalDir);
        Directory.CreateDirectory(JournalDir);
        journal.Append([Record(3)]);

        Assert.Equal([3], ReadAll(journal, checkpoint, out _).Select(r => (int)r.PromptTokens));
        Assert.Contains(logger.Entries, e => e.Id.Id == 3021); // the lost segment is reported
    }

    [Fact]
    public void TryParse_LineOfAnotherShape_IsNotARecord()
    {
        Assert.False(UsageJournal.TryParse("{\"status\":200}"u8, out _, out var reason));
        Assert.NotEmpty(reason);
        Assert.True(UsageJournal.TryParse(Encoding.UTF8.GetBytes("{\"request_id\":\"req_1\",\"operation\":\"embeddings\"}"), out var record, out _));
        Assert.Equal("embeddings", record.Operation);
    }

    public void Dispose()
    {
        try
        {
            if (File.Exists(JournalDir))
            {
                File.Delete(JournalDir);
            }

            Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
