namespace Switchyard.Usage;

/// <summary>
/// The id of a usage journal, kept in a file beside its segments (<c>journal-id</c>). A shared database keeps one
/// checkpoint per journal (several replicas, each with its own journal), and a checkpoint is a position in one
/// journal only: the id lives and dies with the segments it names, so a replica whose disk was wiped starts a new
/// journal at 0 under a new id instead of being mistaken for the old one.
/// </summary>
public static class UsageJournalIdentity
{
    /// <summary>The file in the journal's folder.</summary>
    public const string FileName = "journal-id";

    /// <summary>
    /// The id stored in <paramref name="directory"/>, created (a new GUID, written to a temporary file, fsynced and
    /// renamed) when there is none. When the folder cannot be written, no segment can be either: the id then falls
    /// back to the machine and the folder's path, which is stable for as long as that stays so.
    /// </summary>
    public static string Of(string directory)
    {
        var path = Path.Combine(directory, FileName);
        try
        {
            if (File.Exists(path) && File.ReadAllText(path).Trim() is { Length: > 0 } existing)
            {
                return existing;
            }

            Directory.CreateDirectory(directory);
            var id = "journal_" + Guid.NewGuid().ToString("N");
            var temp = path + ".tmp";
            using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                file.Write(System.Text.Encoding.UTF8.GetBytes(id));
                file.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
            return id;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return $"host:{Environment.MachineName}:{Path.GetFullPath(directory)}";
        }
    }
}
