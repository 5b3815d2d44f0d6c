namespace Switchyard.Core;

/// <summary>
/// Reading the usage records back for people: spend by a dimension, the request explorer and the console's
/// overview. A port of its own (not members of <see cref="IUsageStore"/>): the writer's contract stays small, and
/// each store implements the reads with the indexes they need. Every query is bounded by a time range and a page
/// size, so no console view can make the database scan its whole history (LiteLLM's usage tab did: #16276).
/// </summary>
public interface IUsageQuery
{
    /// <summary>Spend, tokens and request counts per group over <paramref name="query"/>'s range, one page.</summary>
    SpendPage Spend(SpendQuery query);

    /// <summary>The records matching <paramref name="query"/>, newest first, one page.</summary>
    RecordPage Records(RecordQuery query);

    /// <summary>One record by the gateway's request id, or null.</summary>
    UsageRecord? Record(string requestId);

    /// <summary>Totals, latency percentiles and a time series over a range (the console's overview).</summary>
    UsageStats Stats(StatsQuery query);
}

/// <summary>What a usage query may filter on; null means any. Times are Unix milliseconds, <c>[From, To)</c>.</summary>
public sealed record UsageFilter(long From, long To)
{
    /// <summary>Key id.</summary>
    public string? Key { get; init; }

    /// <summary>Team id.</summary>
    public string? Team { get; init; }

    /// <summary>Customer id.</summary>
    public string? Customer { get; init; }

    /// <summary>The model the client asked for (the alias).</summary>
    public string? Model { get; init; }

    /// <summary>The conditional route that applied.</summary>
    public string? Route { get; init; }

    /// <summary>The deployment that answered (or was tried last).</summary>
    public string? Deployment { get; init; }

    /// <summary>An HTTP status range, inclusive (e.g. 400–599 for "errors").</summary>
    public (int Min, int Max)? Status { get; init; }

    /// <summary>The fallback reason (snake_case failure kind).</summary>
    public string? FallbackReason { get; init; }
}

/// <summary>The dimension spend is grouped by.</summary>
public enum SpendGroup
{
    /// <summary>Key id.</summary>
    Key,

    /// <summary>Team id.</summary>
    Team,

    /// <summary>Customer id.</summary>
    Customer,

    /// <summary>The alias the client asked for.</summary>
    Model,

    /// <summary>The conditional route.</summary>
    Route,

    /// <summary>The deployment that answered.</summary>
    Deployment,

    /// <summary>The UTC calendar day.</summary>
    Day,

    /// <summary>The UTC hour.</summary>
    Hour,
}

/// <summary>How spend groups are ordered: by the group's value, or by cost (largest first, then value).</summary>
public enum SpendOrder
{
    /// <summary>By the group value, ascending (days in time order).</summary>
    Group,

    /// <summary>By cost, descending: "top" lists.</summary>
    Cost,

    /// <summary>By request count, descending.</summary>
    Requests,
}

/// <summary>A spend query: the filter, the grouping, the page (<paramref name="After"/> is the previous page's cursor).</summary>
public sealed record SpendQuery(UsageFilter Filter, SpendGroup GroupBy, SpendOrder Order, int Limit, SpendCursor? After);

/// <summary>Where a spend page ended: the last group's sort value and its group value (keyset pagination).</summary>
public sealed record SpendCursor(long Rank, string Group);

/// <summary>Tokens by kind.</summary>
public readonly record struct TokenCounts(long Prompt, long Completion, long Cached, long CacheWrite, long Reasoning, long Total);

/// <summary>One group's totals. <paramref name="Group"/> is null for records without the dimension (e.g. no team).</summary>
public sealed record SpendRow(string? Group, long Requests, long Errors, long CostMicros, TokenCounts Tokens);

/// <summary>One page of spend groups, and the cursor of the next page (null on the last).</summary>
public sealed record SpendPage(IReadOnlyList<SpendRow> Rows, SpendCursor? Next);

/// <summary>A record query: the filter and the page (newest first; <paramref name="After"/> from the previous page).</summary>
public sealed record RecordQuery(UsageFilter Filter, int Limit, RecordCursor? After);

/// <summary>Where a record page ended: the last record's start time and row id.</summary>
public sealed record RecordCursor(long StartedAtMs, long RowId);

/// <summary>One page of records, newest first, and the cursor of the next page (null on the last).</summary>
public sealed record RecordPage(IReadOnlyList<UsageRecord> Records, RecordCursor? Next);

/// <summary>An overview query: the filter and the width of one bucket of the series.</summary>
public sealed record StatsQuery(UsageFilter Filter, long BucketMs);

/// <summary>Totals and percentiles of a set of records (latency and TTFT in milliseconds; null with no sample).</summary>
public sealed record StatsSummary(long Requests, long Errors, long CostMicros, TokenCounts Tokens,
    double? LatencyP50, double? LatencyP99, double? TtftP50, double? TtftP99);

/// <summary>One bucket of the series, starting at <paramref name="StartMs"/>.</summary>
public sealed record StatsBucket(long StartMs, StatsSummary Summary);

/// <summary>
/// The overview: totals over the range and per bucket. <paramref name="Sampled"/> says the range held more records
/// than one query reads (the newest ones were used), so the figures describe those.
/// </summary>
public sealed record UsageStats(StatsSummary Total, IReadOnlyList<StatsBucket> Series, bool Sampled);
