using Microsoft.Data.Sqlite;
using Switchyard.Storage;
using Switchyard.Usage;

namespace Switchyard.Tests.Storage;

/// <summary>The SQLite response store on a real database file: ownership, expiry, pagination, deletion, purge, schema.</summary>
public sealed class SqliteResponseStoreTests : IDisposable
{
    private readonly string dir = Path.Combine(Path.GetTempPath(), "switchyard-responses-store-" + Guid.NewGuid().ToString("N"));

    public SqliteResponseStoreTests() => Directory.CreateDirectory(dir);

    private string DbPath => Path.Combine(dir, "switchyard.db");

    [Fact]
    public void Write_ThenConversation_IsInputThenOutput_ForTheOwnerOnly()
    {
        using var store = new SqliteResponseStore(DbPath);
        store.Write(Response("resp_1", "app", 1000, input: ["msg_a", "msg_b"], output: ["msg_c"]));

        Assert.Equal(["msg_a", "msg_b", "msg_c"], store.Conversation("app", "resp_1", 0)!.Select(i => i.Id));
        Assert.Null(store.Conversation("ops", "resp_1", 0));
        Assert.Null(store.Response("ops", "resp_1", 0));
        Assert.Null(store.Item("ops", "msg_c", 0));
        Assert.Equal(Json("msg_c"), store.Item("app", "msg_c", 0)!.Json);
        Assert.Equal("{\"id\":\"resp_1\"}", store.Response("app", "resp_1", 0));
    }

    [Fact]
    public void Reads_NeverServeWhatExpired()
    {
        using var store = new SqliteResponseStore(DbPath);
        store.Write(Response("resp_1", "app", 1000, input: ["msg_a"], output: ["msg_b"]));

        Assert.Null(store.Conversation("app", "resp_1", 1001));
        Assert.Null(store.Response("app", "resp_1", 1001));
        Assert.Null(store.Item("app", "msg_b", 1001));
        Assert.Null(store.InputItems("app", "resp_1", 1001, new ItemPageQuery(null, null, 20, true)));
        Assert.False(store.Delete("app", "resp_1", 1001));
    }

    [Fact]
    public void ContinuedConversation_SharesItemRows_AndSurvivesTheDeletionOfItsStart()
    {
        using var store = new SqliteResponseStore(DbPath);
        store.Write(Response("resp_1", "app", 1000, input: ["msg_a"], output: ["msg_b"]));
        store.Write(Response("resp_2", "app", 2000, input: ["msg_a", "msg_b", "msg_c"], output: ["msg_d"], previous: "resp_1"));

        Assert.Equal(4, Count("SELECT COUNT(*) FROM response_items")); // a and b are kept once

        Assert.True(store.Delete("app", "resp_1", 0));
        Assert.Null(store.Response("app", "resp_1", 0));
        Assert.Equal(["msg_a", "msg_b", "msg_c", "msg_d"], store.Conversation("app", "resp_2", 0)!.Select(i => i.Id));
        Assert.NotNull(store.Item("app", "msg_b", 0)); // still in resp_2's context

        Assert.True(store.Delete("app", "resp_2", 0));
        Assert.Equal(0, Count("SELECT COUNT(*) FROM response_items"));
        Assert.Equal(0, Count("SELECT COUNT(*) FROM response_context"));
    }

    [Fact]
    public void SameIdWithOtherContent_GetsItsOwnRow_EarlierContextsUnchanged()
    {
        using var store = new SqliteResponseStore(DbPath);
        store.Write(Response("resp_1", "app", 1000, input: ["msg_a"], output: ["msg_b"]));
        store.Write(new StoredResponse("resp_2", "app", 2000, null, "completed", "{}", [new StoredItem("msg_a", "{\"id\":\"msg_a\",\"edited\":true}")], []));

        Assert.Equal(Json("msg_a"), store.Conversation("app", "resp_1", 0)![0].Json);
        Assert.Contains("edited", store.Conversation("app", "resp_2", 0)![0].Json, StringComparison.Ordinal);
        Assert.Contains("edited", store.Item("app", "msg_a", 0)!.Json, StringComparison.Ordinal); // the newest wins a reference
    }

    [Fact]
    public void InputItems_PagesBothWays_WithCursors()
    {
        using var store = new SqliteResponseStore(DbPath);
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

    [Fact]
    public void Purge_DeletesExpiredResponsesAndTheirOrphanItems()
    {
        using var store = new SqliteResponseStore(DbPath);
        store.Write(Response("resp_old", "app", 1000, input: ["msg_a"], output: ["msg_b"]));
        store.Write(Response("resp_new", "app", 5000, input: ["msg_a", "msg_c"], output: ["msg_d"]));

        Assert.Equal(1, store.Purge(2000));

        Assert.Null(store.Response("app", "resp_old", 0));
        Assert.NotNull(store.Response("app", "resp_new", 0));
        Assert.Equal(3, Count("SELECT COUNT(*) FROM response_items")); // b went; a stays with resp_new
    }

    [Fact]
    public void Schema_IsVersioned_SharesTheUsageFile_AndReopens()
    {
        using (var usage = new SqliteUsageStore(DbPath))
        using (var store = new SqliteResponseStore(DbPath))
        {
            store.Write(Response("resp_1", "app", 1000, input: ["msg_a"], output: []));
        }

        Assert.Equal(1, Count("SELECT version FROM schema_version WHERE component = 'responses'"));
        Assert.Equal("wal", Scalar("PRAGMA journal_mode"));
        using var reopened = new SqliteResponseStore(DbPath);
        Assert.NotNull(reopened.Response("app", "resp_1", 0));
    }

    [Fact]
    public void Schema_NewerThanThisGateway_IsRefused()
    {
        using (new SqliteResponseStore(DbPath))
        {
        }

        Exec("UPDATE schema_version SET version = 99 WHERE component = 'responses'");

        var ex = Assert.Throws<InvalidOperationException>(() => new SqliteResponseStore(DbPath));
        Assert.Contains("99", ex.Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static string Json(string id) => $"{{\"id\":\"{id}\",\"type\":\"message\"}}";

    private static StoredResponse Response(string id, string owner, long created, string[] input, string[] output, string? previous = null) =>
        new(id, owner, created, previous, "completed", $"{{\"id\":\"{id}\"}}",
            input.Select(i => new StoredItem(i, Json(i))).ToList(), output.Select(o => new StoredItem(o, Json(o))).ToList());

    private long Count(string sql) => (long)Scalar(sql)!;

    private object? Scalar(string sql)
    {
        using var c = new SqliteConnection($"Data Source={DbPath};Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return cmd.ExecuteScalar();
    }

    private void Exec(string sql)
    {
        using var c = new SqliteConnection($"Data Source={DbPath};Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }
}
