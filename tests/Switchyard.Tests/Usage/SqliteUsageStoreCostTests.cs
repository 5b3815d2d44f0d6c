using Microsoft.Data.Sqlite;
using Switchyard.Usage;

namespace Switchyard.Tests.Usage;

/// <summary>The cost columns added to a SQLite database of an older release (written and read back: <see cref="UsageStoreContractTests"/>).</summary>
public sealed class SqliteUsageStoreCostTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("switchyard-store-cost-").FullName;

    private string DbPath => Path.Combine(dir, "switchyard.db");

    private static UsageRecord Costed(int i, long micros, string? version) => new()
    {
        RequestId = RequestIds.NewId(),
        Operation = "chat.completions",
        StartedAtMs = i,
        PromptTokens = i,
        CostMicros = micros,
        PriceVersion = version,
    };

    [Fact]
    public void Open_DatabaseWithoutCostColumns_AddsThemWithDefaults()
    {
        using (var old = new SqliteConnection($"Data Source={DbPath};Pooling=False"))
        {
            old.Open();
            using var cmd = old.CreateCommand();
            cmd.CommandText = """
                CREATE TABLE usage_records (
                  id INTEGER PRIMARY KEY AUTOINCREMENT,
                  request_id TEXT NOT NULL, started_at_ms INTEGER NOT NULL, key_id TEXT, operation TEXT NOT NULL,
                  alias TEXT, intended_deployment TEXT, final_deployment TEXT, final_model TEXT,
                  attempts INTEGER NOT NULL, fallback_reason TEXT, stream INTEGER NOT NULL, status INTEGER NOT NULL,
                  error_kind TEXT, prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL,
                  cached_tokens INTEGER NOT NULL, total_tokens INTEGER NOT NULL, latency_ms REAL NOT NULL, ttft_ms REAL);
                INSERT INTO usage_records (request_id, started_at_ms, operation, attempts, stream, status, prompt_tokens,
                  completion_tokens, cached_tokens, total_tokens, latency_ms)
                VALUES ('req_0197a1b2c3d4e5f60718293a4b5c6d7e', 2, 'chat.completions', 1, 0, 200, 7, 1, 0, 8, 11.0);
                """;
            cmd.ExecuteNonQuery();
        }

        using var store = new SqliteUsageStore(DbPath);
        store.Write([Costed(5, 12, "config")]);

        var rows = store.ReadRecent(10);
        var before = rows.Single(r => r.StartedAtMs == 2);
        var after = rows.Single(r => r.StartedAtMs == 5);
        Assert.Equal((0L, (string?)null), (before.CostMicros, before.PriceVersion));
        Assert.Equal((12L, "config"), (after.CostMicros, after.PriceVersion));
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
}
