
namespace Switchyard.Tests.Storage;

/// <summary>
/// The response store on a real database, SQLite and PostgreSQL alike: ownership, expiry, pagination, deletion, purge,
/// the schema version.
/// </summary>
public sealed class ResponseStoreContractTests
{
    public static TheoryData<string> Kinds => StoreBackend.Kinds;

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Write_ThenConversation_IsInputThenOutput_ForTheOwnerOnly(string kind)
    {
        using var backend = StoreBackend.Create(kind);
        using var store = backend.Responses();
        store.Write(Response("resp_1", "app", 1000, input: ["msg_a", "msg_b"], output: ["msg_c"]));

        Assert.Equal(["msg_a", "msg_b", "msg_c"], store.Conversation("app", "resp_1", 0)!.Select(i => i.Id));
        Assert.Null(store.Conversation("ops", "resp_1", 0));
        Assert.Null(store.Response("ops", "resp_1", 0));
        Assert.Null(store.Item("ops", "msg_c", 0));
        Assert.Equal(Json("msg_c"), store.Item("app", "msg_c", 0)!.Json);
        Assert.Equal("{\"id\":\"resp_1\"}", store.Response("app", "resp_1", 0));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Reads_NeverServeWhatExpired(string kind)
    {
        using var backend = StoreBackend.Create(kind);
        using var store = backend.Responses();
        store.Write(Response("resp_1", "app", 1000, input: ["msg_a"], output: ["msg_b"]));

        Assert.Null(store.Conversation("app", "resp_1", 1001));
        Assert.Null(store.Response("app", "resp_1", 1001));
        Assert.Null(store.Item("app", "msg_b", 1001));
        Assert.Null(store.InputItems("app", "resp_1", 1001, new ItemPageQuery(null, null, 20, true)));
        Assert.False(store.Delete("app", "resp_1", 1001));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void ContinuedConversation_SharesItemRows_AndSurvivesTheDeletionOfItsStart(string kind)
    {
        using var backend = StoreBackend.Create(kind);
        using var store = backend.Responses();
        store.Write(Response("resp_1", "app", 1000, input: ["msg_a"], output: ["msg_b"]));
        store.Write(Response("resp_2", "app", 2000, input: ["msg_a", "msg_b", "msg_c"], output: ["msg_d"], previous: "resp_1"));

        Assert.Equal(4, backend.Count("SELECT COUNT(*) FROM response_items")); // a and b are kept once

        Assert.True(store.Delete("app", "resp_1", 0));
        Assert.Null(store.Response("app", "resp_1", 0));
        Assert.Equal(["msg_a", "msg_b", "msg_c", "msg_d"], store.Conversation("app", "resp_2", 0)!.Select(i => i.Id));
        Assert.NotNull(store.Item("app", "msg_b", 0)); // still in resp_2's context

        Assert.True(store.Delete("app", "resp_2", 0));
        Assert.Equal(0, backend.Count("SELECT COUNT(*) FROM response_items"));
        Assert.Equal(0, backend.Count("SELECT COUNT(*) FROM response_context"));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void SameIdWithOtherContent_GetsItsOwnRow_EarlierContextsUnchanged(string kind)
    {
        using var backend = StoreBackend.Create(kind);
        using var store = backend.Responses();
        store.Write(Response("resp_1", "app", 1000, input: ["msg_a"], output: ["msg_b"]));
        store.Write(new StoredResponse("resp_2", "app", 2000, null, "completed", "{}", [new StoredItem("msg_a", "{\"id\":\"msg_a\",\"edited\":true}")], []));

        Assert.Equal(Json("msg_a"), store.Conversation("app", "resp_1", 0)![0].Json);
        Assert.Contains("edited", store.Conversation("app", "resp_2", 0)![0].Json, StringComparison.Ordinal);
        Assert.Contains("edited", store.Item("app", "msg_a", 0)!.Json, StringComparison.Ordinal); // the newest wins a reference
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void InputItems_PagesBothWays_WithCursors(string kind)
    {
        using var backend = StoreBackend.Create(kind);
        using var store = backend.Responses();
        store.Write(Response("resp_1", "app", 1000, input: ["i0", "i1", "i2", "i3", "i4"], output: ["o0"]));

        var desc = store.InputItems("app", "resp_1", 0, new ItemPageQuery(null, null, 2, false))!;
        Assert.Equal(["i4", "i3"], desc.Items.Select(i => i.Id));
        Assert.True(desc.HasMore);
        var next = store.InputItems("app", "resp_1", 0, new ItemPageQuery("i3", null, 2, false))!;
        Assert.Equal(["i2", "i1"], next.Items.Select(i => i.Id));
        var last = store.InputItems("app", "resp_1", 0, new ItemPageQuery("i1", null, 2, false))!;
        Assert.Equal(["i0"], last.Items.Select(i => i.Id));
        Assert.False(last.HasMore);

        var asc = store.InputItems("app", "resp_1", 0, new ItemPageQuery("i1", null, 10, true))!;
        Assert.Equal(["i2", "i3", "i4"], asc.Items.Select(i => i.Id)); // output items are not input items
        var before = store.InputItems("app", "resp_1", 0, new ItemPageQuery(null, "i3", 2, true))!;
        Assert.Equal(["i1", "i2"], before.Items.Select(i => i.Id));
        Assert.True(before.HasMore);

        Assert.Same(ItemPage.UnknownCursor, store.InputItems("app", "resp_1", 0, new ItemPageQuery("o0", null, 2, true)));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Purge_DeletesExpiredResponsesAndTheirOrphanItems(string kind)
    {
        using var backend = StoreBackend.Create(kind);
        using var store = backend.Responses();
        store.Write(Response("resp_old", "app", 1000, input: ["msg_a"], output: ["msg_b"]));
        store.Write(Response("resp_new", "app", 5000, input: ["msg_a", "msg_c"], output: ["msg_d"]));

        Assert.Equal(1, store.Purge(2000));

        Assert.Null(store.Response("app", "resp_old", 0));
        Assert.NotNull(store.Response("app", "resp_new", 0));
        Assert.Equal(3, backend.Count("SELECT COUNT(*) FROM response_items")); // b went; a stays with resp_new
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Schema_NewerThanThisGateway_IsRefused(string kind)
    {
        using var backend = StoreBackend.Create(kind);
        backend.Responses().Dispose();
        backend.Exec("UPDATE schema_version SET version = 99 WHERE component = 'responses'");

        var ex = Assert.Throws<InvalidOperationException>(() => backend.Responses());
        Assert.Contains("99", ex.Message, StringComparison.Ordinal);
    }

    private static string Json(string id) => $"{{\"id\":\"{id}\",\"type\":\"message\"}}";

    private static StoredResponse Response(string id, string owner, long created, string[] input, string[] output, string? previous = null) =>
        new(id, owner, created, previous, "completed", $"{{\"id\":\"{id}\"}}",
            input.Select(i => new StoredItem(i, Json(i))).ToList(), output.Select(o => new StoredItem(o, Json(o))).ToList());
}
