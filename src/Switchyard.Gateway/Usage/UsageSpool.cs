using System.Text;
using System.Text.Json;

namespace Switchyard.Usage;

/// <summary>
/// The usage records' safety net: when the database refuses a batch (locked, disk full, down) the batch
/// is appended here as JSON lines and replayed later, so a database hiccup loses nothing.
/// </summary>
public sealed class UsageSpool(string path)
{
    private readonly Lock gate = new();

    /// <summary>The spool file.</summary>
    public string Path { get; } = path;

    /// <summary>True when records are waiting to be replayed.</summary>
    public bool HasRecords
    {
        get
        {
            lock (gate)
            {
                return File.Exists(Path) && new FileInfo(Path).Length > 0;
            }
        }
    }

    /// <summary>Appends <paramref name="records"/> and flushes them to disk.</summary>
    public void Append(IEnumerable<UsageRecord> records)
    {
        lock (gate)
        {
            using var file = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read);
            foreach (var r in records)
            {
                JsonSerializer.Serialize(file, r, UsageJsonContext.Default.UsageRecord);
                file.WriteByte((byte)'\n');
            }

            file.Flush(flushToDisk: true);
        }
    }

    /// <summary>
    /// Hands every spooled record to <paramref name="write"/> in batches; the file is removed only after
    /// all were written, so a failure part-way leaves it for the next replay (the store ignores duplicates).
    /// </summary>
    public int Replay(Action<IReadOnlyList<UsageRecord>> write, int batchSize = 500)
    {
        lock (gate)
        {
            if (!File.Exists(Path))
            {
                return 0;
            }

            var batch = new List<UsageRecord>(batchSize);
            var total = 0;
            foreach (var line in File.ReadLines(Path, Encoding.UTF8))
            {
                if (string.IsNullOrWhiteSpace(line))
                {
                    continue;
                }

                UsageRecord? record;
                try
                {
                    record = JsonSerializer.Deserialize(line, UsageJsonContext.Default.UsageRecord);
                }
                catch (JsonException)
                {
                    continue; // a torn last line from a crash mid-append: the rest is still good
                }

                if (record is null)
                {
                    continue;
                }

                batch.Add(record);
                if (batch.Count == batchSize)
                {
                    write(batch);
                    total += batch.Count;
                    batch.Clear();
                }
            }

            if (batch.Count > 0)
            {
                write(batch);
                total += batch.Count;
            }

            File.Delete(Path);
            return total;
        }
    }
}
