using System.Text;
using Microsoft.Extensions.Logging;

namespace Switchyard.Usage;

/// <summary>
/// The spool file of gateways before the journal (<c>usage-spool.jsonl</c> in the data directory): imported
/// into the database once at start, then deleted. Left in place (and retried at the next start) when the
/// database refuses; nothing else writes it any more.
/// </summary>
public static partial class LegacyUsageSpool
{
    /// <summary>The file name in the data directory.</summary>
    public const string FileName = "usage-spool.jsonl";

    /// <summary>Imports <paramref name="path"/> into <paramref name="store"/> if it exists.</summary>
    public static void Import(SqliteUsageStore store, string path, ILogger logger)
    {
        if (!File.Exists(path))
        {
            return;
        }

        try
        {
            var records = new List<UsageRecord>();
            var unreadable = 0;
            foreach (var line in File.ReadLines(path, Encoding.UTF8))
            {
                if (string.IsNullOrWhiteSpace(line))
                {
                    continue;
                }

                if (UsageJournal.TryParse(Encoding.UTF8.GetBytes(line), out var record, out _))
                {
                    records.Add(record);
                }
                else
                {
                    unreadable++; // a torn last line from a crash mid-append
                }
            }

            var result = store.ImportLegacy(records);
            File.Delete(path);
            LogImported(logger, path, result.Imported, result.AlreadyStored, result.Rekeyed, unreadable);
        }
        catch (Exception ex)
        {
            LogImportFailed(logger, path, ex.Message);
        }
    }

    [LoggerMessage(EventId = 3030, Level = LogLevel.Information, Message = "Imported the old usage spool {Path}: {Imported} records stored ({Rekeyed} under a new id: their client id was reused), {Already} already stored, {Unreadable} unreadable lines skipped")]
    private static partial void LogImported(ILogger logger, string path, int imported, int already, int rekeyed, int unreadable);

    [LoggerMessage(EventId = 3031, Level = LogLevel.Error, Message = "Could not import the old usage spool {Path} (kept; retried at the next start): {Reason}")]
    private static partial void LogImportFailed(ILogger logger, string path, string reason);
}
