using SQLitePCL;

namespace Switchyard.Usage;

/// <summary>Importing the spool file of gateways before the journal (<c>usage-spool.jsonl</c>).</summary>
public sealed partial class SqliteUsageStore
{
    /// <summary>
    /// Stores records of the old spool in one transaction. Its records were keyed by the client's id when it
    /// sent one, and its replay could be cut short after writing part of the file (it relied on INSERT OR IGNORE),
    /// so each record is matched against the table: the same id, start and latency is the same record, already
    /// stored (skipped, counted); the same id on another record is a second request that reused a client id,
    /// stored under a new gateway id with the old one as its client id. Importing the file twice stores nothing twice.
    /// </summary>
    public LegacyImportResult ImportLegacy(IReadOnlyList<UsageRecord> records)
    {
        using var find = Prepare("SELECT started_at_ms, latency_ms, request_id = ?1 FROM usage_records WHERE request_id = ?1 OR client_request_id = ?1");
        ExecRaw("BEGIN IMMEDIATE");
        try
        {
            int imported = 0, already = 0, rekeyed = 0;
            foreach (var r in records)
            {
                switch (Find(find, r))
                {
                    case Match.Same:
                        already++;
                        continue;
                    case Match.Other:
                        rekeyed++;
                        Store(Rekeyed(r));
                        break;
                    default:
                        Store(r.ClientRequestId is null && !LooksLikeGatewayId(r.RequestId) ? WithClientId(r, r.RequestId, r.RequestId) : r);
                        break;
                }

                imported++;
            }

            ExecRaw("COMMIT");
            return new LegacyImportResult(imported, already, rekeyed);
        }
        catch
        {
            raw.sqlite3_exec(connection.Handle, "ROLLBACK");
            throw;
        }
    }

    private void Store(UsageRecord r)
    {
        if (!Insert(insert, r))
        {
            KeepConflict(r);
        }
    }

    /// <summary>
    /// Whether <paramref name="r"/> is stored already: under its own id, or under a new one with its id as the
    /// client's (an earlier import rekeyed it). The same start and latency make the same record.
    /// </summary>
    private Match Find(sqlite3_stmt find, UsageRecord r)
    {
        Text(find, 1, r.RequestId);
        try
        {
            var match = Match.None;
            int rc;
            while ((rc = raw.sqlite3_step(find)) == raw.SQLITE_ROW)
            {
                if (raw.sqlite3_column_int64(find, 0) == r.StartedAtMs && raw.sqlite3_column_double(find, 1).Equals(r.LatencyMs))
                {
                    return Match.Same;
                }

                if (raw.sqlite3_column_int(find, 2) != 0)
                {
                    match = Match.Other;
                }
            }

            Check(rc);
            return match;
        }
        finally
        {
            raw.sqlite3_reset(find);
        }
    }

    private static UsageRecord Rekeyed(UsageRecord r) => WithClientId(r, RequestIds.NewId(), r.ClientRequestId ?? r.RequestId);

    private static bool LooksLikeGatewayId(string id) =>
        id.Length == 36 && id.StartsWith("req_", StringComparison.Ordinal) && !id.AsSpan(4).ContainsAnyExcept("0123456789abcdef");

    /// <summary>A copy of <paramref name="r"/> with another id (the serializer copies every field, present and future).</summary>
    private static UsageRecord WithClientId(UsageRecord r, string requestId, string clientRequestId)
    {
        var node = System.Text.Json.JsonSerializer.SerializeToNode(r, UsageJsonContext.Default.UsageRecord)!.AsObject();
        node["request_id"] = requestId;
        node["client_request_id"] = clientRequestId;
        return System.Text.Json.JsonSerializer.Deserialize(node, UsageJsonContext.Default.UsageRecord)!;
    }

    private enum Match
    {
        None,
        Same,
        Other,
    }
}

/// <summary>What <see cref="SqliteUsageStore.ImportLegacy"/> did.</summary>
/// <param name="Imported">Records stored.</param>
/// <param name="AlreadyStored">Records found already stored (the old replay had written them), skipped.</param>
/// <param name="Rekeyed">Records whose id was another record's (a reused client id), stored under a new gateway id.</param>
public readonly record struct LegacyImportResult(int Imported, int AlreadyStored, int Rekeyed);
