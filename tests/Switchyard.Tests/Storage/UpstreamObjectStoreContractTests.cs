namespace Switchyard.Tests.Storage;

/// <summary>
/// The upstream object store on a real database, SQLite and PostgreSQL alike: ownership, the provider's-id lookup,
/// newest-first pages with a cursor, updates, settling exactly once under racing replicas, survival across a reopen.
/// </summary>
public sealed class UpstreamObjectStoreContractTests
{
    public static TheoryData<string> Kinds => StoreBackend.Kinds;

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Add_ThenGet_ForTheOwnerOnly_AndAnIdIsTakenOnce(string kind)
    {
        using var backend = StoreBackend.Create(kind);
        using var store = backend.Objects();
        var video = Object("video_1", "app", upstream: "op-1", detail: "{\"seconds\":8}");

        Assert.True(store.Add(video));
        Assert.False(store.Add(video with { Owner = "ops" }));

        Assert.Equal(video, store.Get("app", "video_1"));
        Assert.Null(store.Get("ops", "video_1"));
        Assert.Null(store.Get("app", "video_2"));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void FindByUpstream_NamesKindDeploymentAndProviderId(string kind)
    {
        using var backend = StoreBackend.Create(kind);
        using var store = backend.Objects();
        store.Add(Object("video_1", "app", upstream: "pred-1"));
        store.Add(Object("file_1", "app", kind: "file", upstream: "pred-1"));

        Assert.Equal("video_1", store.FindByUpstream("video", "veo", "pred-1")!.Id);
        Assert.Equal("file_1", store.FindByUpstream("file", "veo", "pred-1")!.Id);
        Assert.Null(store.FindByUpstream("video", "sora", "pred-1"));
        Assert.Null(store.FindByUpstream("video", "veo", "pred-2"));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void List_IsNewestFirst_PagedByCursor_AndScopedToOwnerAndKind(string kind)
    {
        using var backend = StoreBackend.Create(kind);
        using var store = backend.Objects();
        for (var i = 1; i <= 5; i++)
        {
            store.Add(Object($"video_{i}", "app", createdMs: 1000)); // same millisecond: insertion order decides
        }

        store.Add(Object("video_x", "ops"));
        store.Add(Object("file_1", "app", kind: "file"));

        var first = store.List("app", "video", null, 2);
        Assert.Equal(["video_5", "video_4"], first.Items.Select(o => o.Id));
        Assert.True(first.HasMore);
        var last = store.List("app", "video", "video_2", 2);
        Assert.Equal(["video_1"], last.Items.Select(o => o.Id));
        Assert.False(last.HasMore);

        Assert.Empty(store.List("app", "video", "video_x", 2).Items); // another owner's id is no cursor
        Assert.Empty(store.List("app", "video", "file_1", 2).Items); // nor another kind's
        Assert.Equal(["file_1"], store.List("app", "file", null, 10).Items.Select(o => o.Id));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Update_RecordsStatusAndDetail_AndSurvivesAReopen(string kind)
    {
        using var backend = StoreBackend.Create(kind);
        using (var store = backend.Objects())
        {
            store.Add(Object("video_1", "app"));
            Assert.True(store.Update("video_1", "completed", "{\"seconds\":4}", 9000));
            Assert.False(store.Update("video_2", "completed", null, 9000));
        }

        using var reopened = backend.Objects();
        var got = reopened.Get("app", "video_1")!;
        Assert.Equal(("completed", "{\"seconds\":4}", 9000L, 1000L), (got.Status, got.Detail, got.UpdatedAtMs, got.CreatedAtMs));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void TrySettle_OnceAcrossRacingReplicas_AndUnsettledForgetsIt(string kind)
    {
        using var backend = StoreBackend.Create(kind);
        using var a = backend.Objects();
        using var b = backend.Objects();
        a.Add(Object("batch_1", "app", kind: "batch"));
        a.Add(Object("batch_2", "app", kind: "batch"));
        Assert.Equal(["batch_1", "batch_2"], b.Unsettled("batch", 10).Select(o => o.Id));

        var wins = 0;
        Parallel.For(0, 16, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            if ((i % 2 == 0 ? a : b).TrySettle("batch_1", 5000 + i))
            {
                Interlocked.Increment(ref wins);
            }
        });

        Assert.Equal(1, wins);
        Assert.NotNull(a.Get("app", "batch_1")!.SettledAtMs);
        Assert.Equal(["batch_2"], a.Unsettled("batch", 10).Select(o => o.Id));
        Assert.False(a.TrySettle("batch_9", 1));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Delete_IsTheOwnersOnly(string kind)
    {
        using var backend = StoreBackend.Create(kind);
        using var store = backend.Objects();
        store.Add(Object("file_1", "app", kind: "file"));

        Assert.False(store.Delete("ops", "file_1"));
        Assert.True(store.Delete("app", "file_1"));
        Assert.Null(store.Get("app", "file_1"));
        Assert.False(store.Delete("app", "file_1"));
    }

    private static UpstreamObject Object(string id, string owner, string kind = "video", string upstream = "up", long createdMs = 1000, string? detail = null) =>
        new(id, kind, owner, "video-alias", "veo", upstream, "queued", createdMs, createdMs, detail);
}
