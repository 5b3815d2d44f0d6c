using Microsoft.Data.Sqlite;

namespace Switchyard.Usage;

/// <summary>Reading records back (the usage API, tests, support), each read on a connection of its own.</summary>
public sealed partial class SqliteUsageStore
{
    /// <inheritdoc />
    public IReadOnlyList<UsageRecord> ReadRecent(int limit) =>
        Query($"SELECT {Columns} FROM usage_records ORDER BY id DESC LIMIT $limit", ("$limit", limit));

    /// <summary>The records whose client sent <paramref name="clientRequestId"/> as its <c>x-request-id</c>, newest first.</summary>
    public IReadOnlyList<UsageRecord> ReadByClientRequestId(string clientRequestId) =>
        Query($"SELECT {Columns} FROM usage_records WHERE client_request_id = $id ORDER BY id DESC", ("$id", clientRequestId));

    /// <summary>How many records were kept aside because their id was already stored (each one a bug).</summary>
    public long CountConflicts()
    {
        using var c = new SqliteConnection(connectionString);
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT count(*) FROM usage_record_conflicts";
        return (long)cmd.ExecuteScalar()!;
    }

    private List<UsageRecord> Query(string sql, (string Name, object Value) parameter)
    {
        using var c = new SqliteConnection(connectionString);
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.Parameters.AddWithValue(parameter.Name, parameter.Value);
        using var rd = cmd.ExecuteReader();
        var list = new List<UsageRecord>();
        while (rd.Read())
        {
            list.Add(ReadRecord(rd));
        }

        return list;
    }

    internal static UsageRecord ReadRecord(SqliteDataReader rd) => new()
    {
        RequestId = rd.GetString(0),
        StartedAtMs = rd.GetInt64(1),
        KeyId = rd.IsDBNull(2) ? null : rd.GetString(2),
        Operation = rd.GetString(3),
        Alias = rd.IsDBNull(4) ? null : rd.GetString(4),
        IntendedDeployment = rd.IsDBNull(5) ? null : rd.GetString(5),
        FinalDeployment = rd.IsDBNull(6) ? null : rd.GetString(6),
        FinalModel = rd.IsDBNull(7) ? null : rd.GetString(7),
        Attempts = rd.GetInt32(8),
        FallbackReason = rd.IsDBNull(9) ? null : rd.GetString(9),
        Stream = rd.GetInt32(10) != 0,
        Status = rd.GetInt32(11),
        ErrorKind = rd.IsDBNull(12) ? null : rd.GetString(12),
        PromptTokens = rd.GetInt64(13),
        CompletionTokens = rd.GetInt64(14),
        CachedTokens = rd.GetInt64(15),
        TotalTokens = rd.GetInt64(16),
        LatencyMs = rd.GetDouble(17),
        TimeToFirstTokenMs = rd.IsDBNull(18) ? null : rd.GetDouble(18),
        CacheWriteTokens = rd.GetInt64(19),
        ReasoningTokens = rd.GetInt64(20),
        Format = rd.IsDBNull(21) ? null : rd.GetString(21),
        DroppedParams = rd.IsDBNull(22) ? null : rd.GetString(22),
        Route = rd.IsDBNull(23) ? null : rd.GetString(23),
        Hedged = rd.GetInt32(24) != 0,
        AttemptLog = rd.IsDBNull(25) ? null : rd.GetString(25),
        ClientRequestId = rd.IsDBNull(26) ? null : rd.GetString(26),
        UsageSource = rd.IsDBNull(27) ? null : rd.GetString(27),
        HedgeLoserPromptTokens = rd.GetInt64(28),
        HedgeLoserCompletionTokens = rd.GetInt64(29),
        TeamId = rd.IsDBNull(30) ? null : rd.GetString(30),
        CustomerId = rd.IsDBNull(31) ? null : rd.GetString(31),
        CostMicros = rd.GetInt64(32),
        PriceVersion = rd.IsDBNull(33) ? null : rd.GetString(33),
        Adaptations = rd.IsDBNull(34) ? null : rd.GetString(34),
        Cache = rd.IsDBNull(35) ? null : rd.GetString(35),
        CostSavedMicros = rd.GetInt64(36),
        Guardrails = rd.IsDBNull(37) ? null : rd.GetString(37),
    };
}
