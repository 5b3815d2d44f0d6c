namespace Switchyard.Core;

/// <summary>Durable storage of usage records (SQLite by default).</summary>
public interface IUsageStore : IDisposable
{
    /// <summary>Writes a batch atomically: all records or none (then it throws).</summary>
    void Write(IReadOnlyList<UsageRecord> batch);

    /// <summary>The most recent records, newest first.</summary>
    IReadOnlyList<UsageRecord> ReadRecent(int limit);
}
