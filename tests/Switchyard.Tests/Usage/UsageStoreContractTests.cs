using Switchyard.Tests.Storage;
using static Switchyard.Tests.Usage.UsageJournalTests;

namespace Switchyard.Tests.Usage;

/// <summary>
/// What every usage store guarantees, run against SQLite and PostgreSQL: ids are keys, a conflict is kept aside in the
/// same transaction (never dropped, never overwritten), the checkpoint commits with its batch, every field round-trips.
/// </summary>
public sealed class UsageStoreContractTests
{
    public static TheoryData<string> Kinds => StoreBackend.Kinds;

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Write_ManyRecordsWithOneClientId_StoresEveryOne(string kind)
    {
        using var backend = StoreBackend.Create(kind);
        using var store = backend.Usage();
        var batch = Enumerable.Range(0, 20).Select(i => With(Record(i), RequestIds.NewId(), "same-client-id")).ToList();

        var result = store.Write(batch);

        Assert.Equal(new UsageWriteResult(20, 0), result);
        Assert.Equal(20, StoreBackend.ByClientId(store, "same-client-id").Count);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Write_AnIdAlreadyStored_KeepsTheRecordAsideInTheSameTransaction(string kind)
    {
        using var backend = StoreBackend.Create(kind);
        using var store = backend.Usage();
        store.Write([Record(1)]);

        var result = store.Write([Record(2), Record(1), Record(3)], checkpoint: 77);

        Assert.Equal(new UsageWriteResult(2, 1), result);
        Assert.Equal(3, store.ReadRecent(10).Count);
        Assert.Equal(1, StoreBackend.Conflicts(store));
        Assert.Equal(77, store.ReadCheckpoint());
        Assert.Contains("\"prompt_tokens\":1", (string)backend.Scalar("SELECT record_json FROM usage_record_conflicts")!, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Write_OneIdTwiceInOneBatch_StoresTheFirstAndKeepsTheSecondAside(string kind)
    {
        using var backend = StoreBackend.Create(kind);
        using var store = backend.Usage();
        var second = With(Record(9), Record(4).RequestId, "the-second");

        var result = store.Write([Record(4), second, Record(5)]);

        Assert.Equal(new UsageWriteResult(2, 1), result);
        Assert.Equal(4, store.ReadRecent(10).Single(r => r.RequestId == Record(4).RequestId).PromptTokens);
        Assert.Contains("the-second", (string)backend.Scalar("SELECT record_json FROM usage_record_conflicts")!, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void ReadCheckpoint_IsZeroForANewStore_ThenTheLastCommittedOne_AfterReopening(string kind)
    {
        using var backend = StoreBackend.Create(kind);
        using (var store = backend.Usage())
        {
            Assert.Equal(0, store.ReadCheckpoint());
            store.Write([Record(1)], checkpoint: 120);
            store.Write([], checkpoint: 240);
            Assert.Equal(new UsageWriteResult(0, 0), store.Write([])); // a probe: no records, no checkpoint
        }

        using var reopened = backend.Usage();
        Assert.Equal(240, reopened.ReadCheckpoint());
        Assert.Single(reopened.ReadRecent(10));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void ReadRecent_NewestFirst_InBatchOrder(string kind)
    {
        using var backend = StoreBackend.Create(kind);
        using var store = backend.Usage();
        store.Write([Record(1), Record(2)]);
        store.Write([Record(3)]);

        Assert.Equal([3L, 2L, 1L], store.ReadRecent(10).Select(r => r.PromptTokens));
        Assert.Equal([3L, 2L], store.ReadRecent(2).Select(r => r.PromptTokens));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Write_EveryField_ReadsBackTheSame(string kind)
    {
        using var backend = StoreBackend.Create(kind);
        using var store = backend.Usage();
        var full = Full();
        var bare = new UsageRecord { RequestId = RequestIds.NewId(), Operation = "embeddings" };

        store.Write([full, bare]);

        var rows = store.ReadRecent(10);
        Assert.Equal(Json(full), Json(rows.Single(r => r.RequestId == full.RequestId)));
        Assert.Equal(Json(bare), Json(rows.Single(r => r.RequestId == bare.RequestId)));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Write_CostAndVersion_ReadBack(string kind)
    {
        using var backend = StoreBackend.Create(kind);
        using var store = backend.Usage();
        store.Write([Costed(1, 4483, "book:2026-12-06"), Costed(2, 0, null), Costed(3, long.MaxValue, "book:2026-12-06,config")]);

        var rows = store.ReadRecent(10).OrderBy(r => r.StartedAtMs).ToList();
        Assert.Equal([(4483L, "book:2026-12-06"), (0L, null), (long.MaxValue, "book:2026-12-06,config")],
            rows.Select(r => (r.CostMicros, r.PriceVersion)));
    }

    /// <summary>A record with every field set to something other than its default.</summary>
    private static UsageRecord Full() => new()
    {
        RequestId = RequestIds.NewId(), ClientRequestId = "client-1", UsageSource = "estimated", HedgeLoserPromptTokens = 11,
        HedgeLoserCompletionTokens = 12, StartedAtMs = 1_800_000_000_123, KeyId = "key_1", TeamId = "search", CustomerId = "acme",
        CostMicros = 4483, PriceVersion = "book:2026-12-06", Operation = "chat.completions", Alias = "chat", Route = "routes.premium",
        IntendedDeployment = "dep-a", FinalDeployment = "dep-b", FinalModel = "upstream-b", Hedged = true,
        AttemptLog = "dep-a:timeout:1200,dep-b:ok:300", Attempts = 2, FallbackReason = "timeout", Stream = true, Status = 200,
        ErrorKind = "stream_broken", PromptTokens = 1000, CompletionTokens = 200, CachedTokens = 300, CacheWriteTokens = 40,
        ReasoningTokens = 50, Format = "anthropic.messages", DroppedParams = "logprobs,seed", TotalTokens = 1200,
        LatencyMs = 1523.25, TimeToFirstTokenMs = 87.5,
    };

    private static UsageRecord Costed(int i, long micros, string? version) => new()
    {
        RequestId = RequestIds.NewId(),
        Operation = "chat.completions",
        StartedAtMs = i,
        PromptTokens = i,
        CostMicros = micros,
        PriceVersion = version,
    };

    private static string Json(UsageRecord r) => System.Text.Json.JsonSerializer.Serialize(r, Switchyard.Usage.UsageJsonContext.Default.UsageRecord);

    internal static UsageRecord With(UsageRecord r, string id, string? clientId) => new()
    {
        RequestId = id,
        ClientRequestId = clientId,
        Operation = r.Operation,
        Alias = r.Alias,
        Attempts = r.Attempts,
        Status = r.Status,
        PromptTokens = r.PromptTokens,
        TotalTokens = r.TotalTokens,
        LatencyMs = r.LatencyMs,
        StartedAtMs = r.StartedAtMs,
    };
}
