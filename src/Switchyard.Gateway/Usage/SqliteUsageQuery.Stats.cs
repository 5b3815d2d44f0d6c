using System.Text;

namespace Switchyard.Usage;

/// <summary>
/// The console's overview: the range's records read once (the newest <see cref="MaxStatsRows"/> at most) and summed
/// per bucket in memory, since SQLite has no percentile function. 50,000 rows of six numbers is ~2 MB read and
/// tens of milliseconds; a busier range is reported as sampled rather than read whole.
/// </summary>
public sealed partial class SqliteUsageQuery
{
    /// <summary>The most records one overview reads.</summary>
    public const int MaxStatsRows = 50_000;

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
        using var c = Open();
        using var cmd = c.CreateCommand();
        var sql = new StringBuilder("SELECT started_at_ms, status, latency_ms, ttft_ms, cost_micros, prompt_tokens, completion_tokens, " +
                                    "cached_tokens, cache_write_tokens, reasoning_tokens, total_tokens FROM usage_records WHERE ");
        Where(sql, cmd, filter);
        sql.Append(" ORDER BY started_at_ms DESC LIMIT $limit");
        cmd.Parameters.AddWithValue("$limit", MaxStatsRows + 1);
        cmd.CommandText = sql.ToString();
        using var rd = cmd.ExecuteReader();
        var read = 0;
        while (rd.Read() && ++read <= MaxStatsRows)
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

        return new UsageStats(total.Summary(), list, read > MaxStatsRows);
    }
}

/// <summary>One record's figures, as the overview sums them.</summary>
internal readonly record struct StatsSample(int Status, double LatencyMs, double? TtftMs, long CostMicros, TokenCounts Tokens);

/// <summary>Sums and latency samples of one bucket (or of the whole range).</summary>
internal sealed class StatsAccumulator
{
    private readonly List<double> latencies = [];
    private readonly List<double> ttfts = [];
    private long requests, errors, cost, prompt, completion, cached, cacheWrite, reasoning, total;

    /// <summary>Adds one record.</summary>
    public void Add(in StatsSample s)
    {
        requests++;
        errors += s.Status >= 400 ? 1 : 0;
        cost += s.CostMicros;
        (prompt, completion, cached) = (prompt + s.Tokens.Prompt, completion + s.Tokens.Completion, cached + s.Tokens.Cached);
        (cacheWrite, reasoning, total) = (cacheWrite + s.Tokens.CacheWrite, reasoning + s.Tokens.Reasoning, total + s.Tokens.Total);
        latencies.Add(s.LatencyMs);
        if (s.TtftMs is { } ttft)
        {
            ttfts.Add(ttft);
        }
    }

    /// <summary>The totals and the p50/p99 (nearest rank) of what was added.</summary>
    public StatsSummary Summary()
    {
        latencies.Sort();
        ttfts.Sort();
        return new StatsSummary(requests, errors, cost, new TokenCounts(prompt, completion, cached, cacheWrite, reasoning, total),
            Percentile(latencies, 0.50), Percentile(latencies, 0.99), Percentile(ttfts, 0.50), Percentile(ttfts, 0.99));
    }

    /// <summary>The nearest-rank percentile <paramref name="p"/> of sorted <paramref name="values"/>; null when empty.</summary>
    internal static double? Percentile(List<double> values, double p) =>
        values.Count == 0 ? null : values[Math.Clamp((int)Math.Ceiling(p * values.Count) - 1, 0, values.Count - 1)];
}
