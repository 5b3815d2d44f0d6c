using Microsoft.Data.Sqlite;
using Switchyard.Storage;

namespace Switchyard.Tests.Storage;

/// <summary>What only the SQLite governance store has: one file shared with the other stores (the contract: <see cref="GovernanceStoreContractTests"/>).</summary>
public sealed class SqliteGovernanceStoreTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("switchyard-governance-store-").FullName;

    private string DbPath => Path.Combine(dir, "switchyard.db");

    [Fact]
    public void ANewerSchema_IsRefusedRatherThanMisread_AndItsFileLeftAlone()
    {
        using (var c = new SqliteConnection($"Data Source={DbPath};Pooling=False"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "CREATE TABLE schema_version (component TEXT PRIMARY KEY, version INTEGER NOT NULL); INSERT INTO schema_version VALUES ('governance', 2);";
            cmd.ExecuteNonQuery();
        }

        var refused = Assert.Throws<InvalidOperationException>(() => new SqliteGovernanceStore(DbPath));

        Assert.Contains("governance tables in this database are schema version 2, newer than this gateway reads (1)", refused.Message, StringComparison.Ordinal);
        using var store = new SqliteResponseStore(DbPath); // another component of the same file migrates on its own
    }

    [Fact]
    public void PolicyDocument_WrittenBeforeModelLimitsExisted_ReadsAsNone()
    {
        var old = GovernancePolicyJson.Read("""{"allowed_models":["chat"],"limits":{"rpm":60}}""");

        Assert.Empty(old.ModelLimits);
        Assert.Equal(new LimitSet(Rpm: 60), old.Limits);
        Assert.DoesNotContain("model_limits", GovernancePolicyJson.Write(["chat"], [], null, old.Limits, null, old.ModelLimits), StringComparison.Ordinal);
    }

    [Fact]
    public void SharesTheFile_WithTheResponseStore_EachWithItsOwnVersion()
    {
        using var responses = new SqliteResponseStore(DbPath);
        using var governance = new SqliteGovernanceStore(DbPath);
        using var c = new SqliteConnection($"Data Source={DbPath};Pooling=False;Mode=ReadOnly");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT component || '=' || version FROM schema_version ORDER BY component";
        using var rd = cmd.ExecuteReader();
        var versions = new List<string>();
        while (rd.Read())
        {
            versions.Add(rd.GetString(0));
        }

        Assert.Equal(["governance=1", "responses=1"], versions);
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
