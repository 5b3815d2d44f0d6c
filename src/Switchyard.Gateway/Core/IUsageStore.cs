namespace Switchyard.Core;

/// <summary>
/// Durable storage of usage records (SQLite by default). Records reach it through the usage journal, and the
/// journal position they were read up to (the checkpoint) is written in the same transaction, so a replay
/// after a crash resumes exactly where the last commit ended: no record twice, none skipped.
/// </summary>
public interface IUsageStore : IDisposable
{
    /// <summary>
    /// Writes <paramref name="batch"/> and, when given, the journal <paramref name="checkpoint"/> in one
    /// transaction: all or nothing (then it throws). A record whose id is already stored is never dropped nor
    /// overwritten: it is kept aside (a conflict, which is a bug to surface) in the same transaction and counted.
    /// An empty batch without a checkpoint probes whether the store takes writes now.
    /// </summary>
    /// <param name="batch">The records.</param>
    /// <param name="checkpoint">The journal position the records were read up to, or null for records written directly.</param>
    /// <param name="durable">
    /// True: on disk when this returns, with every write before it. False only for journal copies (a checkpoint is
    /// given): the records are already durable in the journal, so the store may commit without waiting for its own
    /// disk flush (SQLite <c>synchronous=NORMAL</c>, PostgreSQL <c>synchronous_commit=off</c>) until a later durable
    /// write; the writer makes the write before it deletes journal segments durable (docs/adr/0004).
    /// </param>
    UsageWriteResult Write(IReadOnlyList<UsageRecord> batch, long? checkpoint = null, bool durable = true);

    /// <summary>The journal position up to which records are in the store (0 for a new store).</summary>
    long ReadCheckpoint();

    /// <summary>The most recent records, newest first.</summary>
    IReadOnlyList<UsageRecord> ReadRecent(int limit);
}

/// <summary>What one <see cref="IUsageStore.Write"/> stored.</summary>
/// <param name="Inserted">Records stored as usage records.</param>
/// <param name="Conflicts">Records whose id was already stored, kept aside instead (each one is a bug).</param>
public readonly record struct UsageWriteResult(int Inserted, int Conflicts);
