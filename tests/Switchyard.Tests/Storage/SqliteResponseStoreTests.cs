using Microsoft.Data.Sqlite;
using Switchyard.Storage;
using Switchyard.Usage;

namespace Switchyard.Tests.Storage;

/// <summary>What only the SQLite response store has: WAL, one file shared with the usage store (the contract: <see cref="ResponseStoreContractTests"/>).</summary>
public sealed class SqliteResponseStoreTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("switchyard-responses-store-").FullName;

    private string DbPath => Path.Combine(dir, "switchyard.db");

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

    private static StoredResponse Response(string id, string owner, long created, string[] input, string[] output) =>
        new(id, owner, created, null, "completed", $"{{\"id\":\"{id}\"}}",
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
}
