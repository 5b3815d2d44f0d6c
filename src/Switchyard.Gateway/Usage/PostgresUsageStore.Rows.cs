using Npgsql;
using NpgsqlTypes;

namespace Switchyard.Usage;

/// <summary>Rows in and out: the binary COPY row, and reading records back (the usage API, tests, support).</summary>
public sealed partial class PostgresUsageStore
{
    /// <summary>One COPY row, columns in <see cref="Columns"/> order after the batch position.</summary>
    private static void WriteRow(NpgsqlBinaryImporter copy, int ord, UsageRecord r)
    {
        copy.StartRow();
        copy.Write(ord, NpgsqlDbType.Integer);
        Text(copy, r.RequestId);
        copy.Write(r.StartedAtMs, NpgsqlDbType.Bigint);
        Text(copy, r.KeyId);
        Text(copy, r.Operation);
        Text(copy, r.Alias);
        Text(copy, r.IntendedDeployment);
        Text(copy, r.FinalDeployment);
        Text(copy, r.FinalModel);
        copy.Write(r.Attempts, NpgsqlDbType.Integer);
        Text(copy, r.FallbackReason);
        copy.Write(r.Stream, NpgsqlDbType.Boolean);
        copy.Write(r.Status, NpgsqlDbType.Integer);
        Text(copy, r.ErrorKind);
        copy.Write(r.PromptTokens, NpgsqlDbType.Bigint);
        copy.Write(r.CompletionTokens, NpgsqlDbType.Bigint);
        copy.Write(r.CachedTokens, NpgsqlDbType.Bigint);
        copy.Write(r.TotalTokens, NpgsqlDbType.Bigint);
        copy.Write(r.LatencyMs, NpgsqlDbType.Double);
        if (r.TimeToFirstTokenMs is { } ttft)
        {
            copy.Write(ttft, NpgsqlDbType.Double);
        }
        else
        {
            copy.WriteNull();
        }

        copy.Write(r.CacheWriteTokens, NpgsqlDbType.Bigint);
        copy.Write(r.ReasoningTokens, NpgsqlDbType.Bigint);
        Text(copy, r.Format);
        Text(copy, r.DroppedParams);
        Text(copy, r.Route);
        copy.Write(r.Hedged, NpgsqlDbType.Boolean);
        Text(copy, r.AttemptLog);
        Text(copy, r.ClientRequestId);
        Text(copy, r.UsageSource);
        copy.Write(r.HedgeLoserPromptTokens, NpgsqlDbType.Bigint);
        copy.Write(r.HedgeLoserCompletionTokens, NpgsqlDbType.Bigint);
        Text(copy, r.TeamId);
        Text(copy, r.CustomerId);
        copy.Write(r.CostMicros, NpgsqlDbType.Bigint);
        Text(copy, r.PriceVersion);
        Text(copy, r.Adaptations);
        Text(copy, r.Cache);
        copy.Write(r.CostSavedMicros, NpgsqlDbType.Bigint);
        Text(copy, r.Guardrails);
    }

    private static void Text(NpgsqlBinaryImporter copy, string? value)
    {
        if (value is null)
        {
            copy.WriteNull();
        }
        else
        {
            copy.Write(value, NpgsqlDbType.Text);
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<UsageRecord> ReadRecent(int limit) =>
        Query($"SELECT {Columns} FROM usage_records ORDER BY id DESC LIMIT @p", limit);

    /// <summary>The records whose client sent <paramref name="clientRequestId"/> as its <c>x-request-id</c>, newest first.</summary>
    public IReadOnlyList<UsageRecord> ReadByClientRequestId(string clientRequestId) =>
        Query($"SELECT {Columns} FROM usage_records WHERE client_request_id = @p ORDER BY id DESC", clientRequestId);

    /// <summary>How many records were kept aside because their id was already stored (each one a bug).</summary>
    public long CountConflicts()
    {
        using var c = database.Open();
        using var cmd = new NpgsqlCommand("SELECT count(*) FROM usage_record_conflicts", c);
        return (long)cmd.ExecuteScalar()!;
    }

    private List<UsageRecord> Query(string sql, object parameter)
    {
        try
        {
            using var c = database.Open();
            using var cmd = new NpgsqlCommand(sql, c);
            cmd.Parameters.AddWithValue("p", parameter);
            using var rd = cmd.ExecuteReader();
            var list = new List<UsageRecord>();
            while (rd.Read())
            {
                list.Add(ReadRecord(rd));
            }

            return list;
        }
        catch (Exception ex) when (database.Failed(ex))
        {
            throw;
        }
    }

    internal static UsageRecord ReadRecord(NpgsqlDataReader rd) => new()
    {
        RequestId = rd.GetString(0),
        StartedAtMs = rd.GetInt64(1),
        KeyId = NullableString(rd, 2),
        Operation = rd.GetString(3),
        Alias = NullableString(rd, 4),
        IntendedDeployment = NullableString(rd, 5),
        FinalDeployment = NullableString(rd, 6),
        FinalModel = NullableString(rd, 7),
        Attempts = rd.GetInt32(8),
        FallbackReason = NullableString(rd, 9),
        Stream = rd.GetBoolean(10),
        Status = rd.GetInt32(11),
        ErrorKind = NullableString(rd, 12),
        PromptTokens = rd.GetInt64(13),
        CompletionTokens = rd.GetInt64(14),
        CachedTokens = rd.GetInt64(15),
        TotalTokens = rd.GetInt64(16),
        LatencyMs = rd.GetDouble(17),
        TimeToFirstTokenMs = rd.IsDBNull(18) ? null : rd.GetDouble(18),
        CacheWriteTokens = rd.GetInt64(19),
        ReasoningTokens = rd.GetInt64(20),
        Format = NullableString(rd, 21),
        DroppedParams = NullableString(rd, 22),
        Route = NullableString(rd, 23),
        Hedged = rd.GetBoolean(24),
        AttemptLog = NullableString(rd, 25),
        ClientRequestId = NullableString(rd, 26),
        UsageSource = NullableString(rd, 27),
        HedgeLoserPromptTokens = rd.GetInt64(28),
        HedgeLoserCompletionTokens = rd.GetInt64(29),
        TeamId = NullableString(rd, 30),
        CustomerId = NullableString(rd, 31),
        CostMicros = rd.GetInt64(32),
        PriceVersion = NullableString(rd, 33),
        Adaptations = NullableString(rd, 34),
        Cache = NullableString(rd, 35),
        CostSavedMicros = rd.GetInt64(36),
        Guardrails = NullableString(rd, 37),
    };

    private static string? NullableString(NpgsqlDataReader rd, int i) => rd.IsDBNull(i) ? null : rd.GetString(i);
}
