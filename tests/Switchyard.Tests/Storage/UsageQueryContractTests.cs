namespace Switchyard.Tests.Storage;

/// <summary>
/// The console's usage queries (<see cref="IUsageQuery"/>) on SQLite and PostgreSQL alike: the same records give the
/// same spend groups and pages, the same record pages and cursors, the same overview.
/// </summary>
public sealed class UsageQueryContractTests
{
    public static TheoryData<string> Kinds => StoreBackend.Kinds;

    private const long T0 = 1_800_000_000_000; // 2027-01-15T08:00:00Z

    private static UsageRecord Record(int i, string key, long cost, int status = 200) => new()
    {
        RequestId = $"req_{i:D32}",
        StartedAtMs = T0 + (i * 60_000L),
        KeyId = key,
        TeamId = key == "k1" ? "search" : null,
        Operation = "chat.completions",
        Alias = i % 2 == 0 ? "chat" : "fast",
        FinalDeployment = "dep-a",
        Attempts = 1,
        Status = status,
        PromptTokens = 10,
        CompletionTokens = 20,
        TotalTokens = 30,
        LatencyMs = 100 + i,
        TimeToFirstTokenMs = i % 3 == 0 ? null : 10 + i,
        CostMicros = cost,
    };

    private static List<UsageRecord> Records() =>
    [
        Record(0, "k1", 1_000), Record(1, "k1", 2_000), Record(2, "k2", 500), Record(3, "k2", 500, status: 429), Record(4, "k3", 4_000),
        Record(5, "k1", 0, status: 500),
    ];

    private static (StoreBackend Backend, IUsageQuery Query) Open(string kind)
    {
        var backend = StoreBackend.Create(kind);
        using (var store = backend.Usage())
        {
            store.Write(Records());
        }

        return (backend, backend.Query());
    }

    private static readonly UsageFilter All = new(T0, T0 + 3_600_000);

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Spend_ByKey_ByCost_PagesWithACursor(string kind)
    {
        var (backend, query) = Open(kind);
        using var _ = backend;

        var first = query.Spend(new SpendQuery(All, SpendGroup.Key, SpendOrder.Cost, 2, null));
        var second = query.Spend(new SpendQuery(All, SpendGroup.Key, SpendOrder.Cost, 2, first.Next));

        Assert.Equal([("k3", 1L, 0L, 4_000L), ("k1", 3L, 1L, 3_000L)], first.Rows.Select(r => (r.Group!, r.Requests, r.Errors, r.CostMicros)));
        Assert.Equal(("k2", 2L, 1L, 1_000L, 40L), second.Rows.Select(r => (r.Group!, r.Requests, r.Errors, r.CostMicros, r.Tokens.Completion)).Single());
        Assert.Null(second.Next);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Spend_ByTeamAndDay_GroupsMissingValuesAsNull_AndDaysAsIsoText(string kind)
    {
        var (backend, query) = Open(kind);
        using var _ = backend;

        var teams = query.Spend(new SpendQuery(All, SpendGroup.Team, SpendOrder.Group, 10, null));
        var days = query.Spend(new SpendQuery(All with { Key = "k1" }, SpendGroup.Hour, SpendOrder.Group, 10, null));

        Assert.Equal([(null, 3L), ("search", 3L)], teams.Rows.Select(r => (r.Group, r.Requests)));
        Assert.Equal(("2027-01-15T08:00Z", 3L), days.Rows.Select(r => (r.Group!, r.Requests)).Single());
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Records_NewestFirst_Filtered_WithACursor_AndOneById(string kind)
    {
        var (backend, query) = Open(kind);
        using var _ = backend;

        var first = query.Records(new RecordQuery(All with { Status = (200, 299) }, 2, null));
        var second = query.Records(new RecordQuery(All with { Status = (200, 299) }, 2, first.Next));

        Assert.Equal([4, 2], first.Records.Select(r => r.StartedAtMs).Select(t => (int)((t - T0) / 60_000)));
        Assert.Equal([1, 0], second.Records.Select(r => (int)((r.StartedAtMs - T0) / 60_000)));
        Assert.Null(second.Next);
        Assert.Equal(("k3", 4_000L), query.Record($"req_{4:D32}") is { } r ? (r.KeyId!, r.CostMicros) : default);
        Assert.Null(query.Record("req_missing"));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Stats_TotalsPercentilesAndBuckets(string kind)
    {
        var (backend, query) = Open(kind);
        using var _ = backend;

        var stats = query.Stats(new StatsQuery(new UsageFilter(T0, T0 + 360_000), 180_000));

        Assert.Equal((6L, 2L, 8_000L, 180L), (stats.Total.Requests, stats.Total.Errors, stats.Total.CostMicros, stats.Total.Tokens.Total));
        Assert.Equal((102.0, 105.0), (stats.Total.LatencyP50, stats.Total.LatencyP99));
        Assert.Equal([3L, 3L], stats.Series.Select(b => b.Summary.Requests));
        Assert.False(stats.Sampled);
    }
}
