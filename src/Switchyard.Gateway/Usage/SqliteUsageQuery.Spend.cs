using System.Text;
using Microsoft.Data.Sqlite;

namespace Switchyard.Usage;

/// <summary>Spend grouped by a dimension: one aggregate query per page, keyset-paginated on (rank, group).</summary>
public sealed partial class SqliteUsageQuery
{
    /// <summary>
    /// The aggregates of a group. <c>status &gt;= 400</c> counts the requests answered with an error (a stream that
    /// broke after it started is 200 in the record, as the client saw it, and counts as answered).
    /// </summary>
    private const string Aggregates =
        "count(*), sum(status >= 400), sum(cost_micros), sum(prompt_tokens), sum(completion_tokens), sum(cached_tokens), " +
        "sum(cache_write_tokens), sum(reasoning_tokens), sum(total_tokens)";

    /// <inheritdoc />
    public SpendPage Spend(SpendQuery query)
    {
        var group = GroupExpression(query.GroupBy);
        var rank = query.Order switch
        {
            SpendOrder.Cost => "sum(cost_micros)",
            SpendOrder.Requests => "count(*)",
            _ => "0",
        };
        using var c = Open();
        using var cmd = c.CreateCommand();
        var sql = new StringBuilder($"SELECT {group} AS g, {rank} AS r, {Aggregates} FROM usage_records WHERE ");
        Where(sql, cmd, query.Filter);
        sql.Append(" GROUP BY g");
        if (query.After is { } after)
        {
            // Keyset: the groups after the cursor in the page order (rank descending, then group ascending).
            sql.Append(" HAVING (r < $afterRank OR (r = $afterRank AND g > $afterGroup))");
            cmd.Parameters.AddWithValue("$afterRank", after.Rank);
            cmd.Parameters.AddWithValue("$afterGroup", after.Group);
        }

        sql.Append(" ORDER BY r DESC, g ASC LIMIT $limit");
        cmd.Parameters.AddWithValue("$limit", query.Limit + 1);
        cmd.CommandText = sql.ToString();
        return ReadSpend(cmd, query.Limit);
    }

    private static SpendPage ReadSpend(SqliteCommand cmd, int limit)
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

    /// <summary>
    /// The SQL of a group's value: a column (records without it group under <c>''</c>, reported as null), or the UTC
    /// day or hour of the start as ISO 8601 text, which sorts in time order.
    /// </summary>
    private static string GroupExpression(SpendGroup group) => group switch
    {
        SpendGroup.Key => "coalesce(key_id, '')",
        SpendGroup.Team => "coalesce(team_id, '')",
        SpendGroup.Customer => "coalesce(customer_id, '')",
        SpendGroup.Model => "coalesce(alias, '')",
        SpendGroup.Route => "coalesce(route, '')",
        SpendGroup.Deployment => "coalesce(final_deployment, '')",
        SpendGroup.Day => "strftime('%Y-%m-%d', started_at_ms / 1000, 'unixepoch')",
        SpendGroup.Hour => "strftime('%Y-%m-%dT%H:00Z', started_at_ms / 1000, 'unixepoch')",
        _ => throw new ArgumentOutOfRangeException(nameof(group)),
    };
}
