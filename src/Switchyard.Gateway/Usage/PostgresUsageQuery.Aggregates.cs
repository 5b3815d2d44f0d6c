using System.Text;
using Npgsql;

namespace Switchyard.Usage;

/// <summary>Spend per group and the overview, as <see cref="SqliteUsageQuery"/> computes them (same sums, same pages, same percentiles).</summary>
public sealed partial class PostgresUsageQuery
{
    /// <summary>The aggregates of a group; sums of bigint are numeric in PostgreSQL, cast back (a group's sums fit).</summary>
    private const string Aggregates =
        "count(*), count(*) FILTER (WHERE status >= 400), coalesce(sum(cost_micros), 0)::bigint, coalesce(sum(prompt_tokens), 0)::bigint, " +
        "coalesce(sum(completion_tokens), 0)::bigint, coalesce(sum(cached_tokens), 0)::bigint, coalesce(sum(cache_write_tokens), 0)::bigint, " +
        "coalesce(sum(reasoning_tokens), 0)::bigint, coalesce(sum(total_tokens), 0)::bigint";

    /// <inheritdoc />
    public SpendPage Spend(SpendQuery query)
    {
        var rank = query.Order switch
        {
            SpendOrder.Cost => "coalesce(sum(cost_micros), 0)::bigint",
            SpendOrder.Requests => "count(*)",
            _ => "0::bigint",
        };
        using var c = database.Open();
        using var cmd = c.CreateCommand();
        var sql = new StringBuilder($"SELECT * FROM (SELECT {GroupExpression(query.GroupBy)} AS g, {rank} AS r, {Aggregates} FROM usage_records WHERE ");
        Where(sql, cmd, query.Filter);
        sql.Append(" GROUP BY g) AS groups");
        if (query.After is { } after)
        {
            // Keyset: the groups after the cursor in the page order (rank descending, then group ascending, byte order as SQLite's).
            sql.Append(" WHERE (r < @afterRank OR (r = @afterRank AND g COLLATE \"C\" > @afterGroup))");
            cmd.Parameters.AddWithValue("afterRank", after.Rank);
            cmd.Parameters.AddWithValue("afterGroup", after.Group);
        }

        sql.Append(" ORDER BY r DESC, g COLLATE \"C\" ASC LIMIT @limit");
        cmd.Parameters.AddWithValue("limit", query.Limit + 1);
        cmd.CommandText = sql.ToString();
        return ReadSpend(cmd, query.Limit);
    }

    private static SpendPage ReadSpend(NpgsqlCommand cmd, int limit)
    {
        using var rd = cmd.ExecuteReader();
        var rows = new List<SpendRow>(limit + 1);
        var cursors = new List<SpendCursor>(limit + 1);
        while (rd.Read())
        {
            var group = rd.GetString(0);
            cursors.Add(new SpendCursor(rd.GetInt64(1), group));
            rows.Add(new SpendRow(group.Length == 0 ? null : group, rd.GetInt64(2), rd.GetInt64(3), rd.GetInt64(4),
                new TokenCounts(rd.GetInt64(5), rd.GetInt64(6), rd.GetInt64(7), rd.GetInt64(8), rd.GetInt64(9), rd.GetInt64(10))));
        }

        if (rows.Count <= limit)
        {
            return new SpendPage(rows, null);
        }

        rows.RemoveAt(limit);
        return new SpendPage(rows, cursors[limit - 1]);
    }

    /// <summary>A group's value, as SQLite's: a column (missing: <c>''</c>), or the UTC day or hour as ISO 8601 text.</summary>
    private static string GroupExpression(SpendGroup group) => group switch
    {
        SpendGroup.Key => "coalesce(key_id, '')",
        SpendGroup.Team => "coalesce(team_id, '')",
        SpendGroup.Customer => "coalesce(customer_id, '')",
        SpendGroup.Model => "coalesce(alias, '')",
        SpendGroup.Route => "coalesce(route, '')",
        SpendGroup.Deployment => "coalesce(final_deployment, '')",
        SpendGroup.Day => "to_char(to_timestamp(started_at_ms / 1000) AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
        SpendGroup.Hour => "to_char(to_timestamp(started_at_ms / 1000) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24\":00Z\"')",
        _ => throw new ArgumentOutOfRangeException(nameof(group)),
    };

    /// <inheritdoc />
    public UsageStats Stats(StatsQuery query)
    {
        var filter = query.Filter;
        var buckets = (int)Math.Max(1, (filter.To - filter.From + query.BucketMs - 1) / query.BucketMs);
        var series = new StatsAccumulator[buckets];
        for (var i = 0; i < buckets; i++)
        {
            series[i] = new StatsAccumulator();
        }

        var total = new StatsAccumulator();
        using var c = database.Open();
        using var cmd = c.CreateCommand();
        var sql = new StringBuilder("SELECT started_at_ms, status, latency_ms, ttft_ms, cost_micros, prompt_tokens, completion_tokens, " +
                                    "cached_tokens, cache_write_tokens, reasoning_tokens, total_tokens FROM usage_records WHERE ");
        Where(sql, cmd, filter);
        sql.Append(" ORDER BY started_at_ms DESC LIMIT @limit");
        cmd.Parameters.AddWithValue("limit", SqliteUsageQuery.MaxStatsRows + 1);
        cmd.CommandText = sql.ToString();
        using var rd = cmd.ExecuteReader();
        var read = 0;
        while (rd.Read() && ++read <= SqliteUsageQuery.MaxStatsRows)
        {
            var sample = new StatsSample(rd.GetInt32(1), rd.GetDouble(2), rd.IsDBNull(3) ? null : rd.GetDouble(3), rd.GetInt64(4),
                new TokenCounts(rd.GetInt64(5), rd.GetInt64(6), rd.GetInt64(7), rd.GetInt64(8), rd.GetInt64(9), rd.GetInt64(10)));
            total.Add(sample);
            series[Math.Clamp((int)((rd.GetInt64(0) - filter.From) / query.BucketMs), 0, buckets - 1)].Add(sample);
        }

        var list = new StatsBucket[buckets];
        for (var i = 0; i < buckets; i++)
        {
            list[i] = new StatsBucket(filter.From + (i * query.BucketMs), series[i].Summary());
        }

        return new UsageStats(total.Summary(), list, read > SqliteUsageQuery.MaxStatsRows);
    }
}
