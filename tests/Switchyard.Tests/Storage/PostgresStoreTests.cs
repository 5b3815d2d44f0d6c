using Npgsql;
using Switchyard.Storage.Postgres;
using Switchyard.Tests.TestKit;
using Switchyard.Usage;
using static Switchyard.Tests.Usage.UsageJournalTests;

namespace Switchyard.Tests.Storage;

/// <summary>
/// What only a database server brings: it can go away mid-run (here through a <see cref="TcpProxy"/> the test cuts),
/// several replicas share it (a checkpoint per journal, migrations run once when they start together), and readiness
/// probes it. The contract every store keeps is in the *ContractTests, run against PostgreSQL too.
/// </summary>
public sealed class PostgresStoreTests
{
    [Fact]
    public async Task Write_ServerCutOff_ThrowsAndStoresNeitherRecordsNorCheckpoint_ThenTakesThemWhenBack()
    {
        if (PostgresTestSchema.Skipped)
        {
            return; // SWITCHYARD_TEST_SKIP_POSTGRES=1: left out on purpose
        }

        using var schema = new PostgresTestSchema();
        var server = new NpgsqlConnectionStringBuilder(schema.ConnectionString);
        await using var proxy = new TcpProxy(server.Host!, server.Port);
        using var database = new PostgresDatabase(schema.Through(proxy));
        using var store = new PostgresUsageStore(database, "journal_a");
        store.Write([Record(1)], checkpoint: 10);

        proxy.Cut();
        Assert.ThrowsAny<NpgsqlException>(() => store.Write([Record(2)], checkpoint: 20));
        Assert.ThrowsAny<NpgsqlException>(() => store.ReadCheckpoint());
        Assert.Equal("unreachable", await ProbeAsync(database));

        proxy.Restore();
        Assert.Equal(10, store.ReadCheckpoint()); // the pool was cleared: the first call after the outage works
        Assert.Equal(1L, schema.Scalar("SELECT count(*) FROM usage_records"));
        Assert.Equal(new UsageWriteResult(1, 0), store.Write([Record(2)], checkpoint: 20));
        Assert.Equal(20, store.ReadCheckpoint());
        Assert.Equal("ok", await ProbeAsync(database));
    }

    [Fact]
    public void Checkpoint_IsPerJournal_RecordsAreShared()
    {
        if (PostgresTestSchema.Skipped)
        {
            return;
        }

        using var schema = new PostgresTestSchema();
        using var database = schema.Database();
        using var a = new PostgresUsageStore(database, "journal_a");
        using var b = new PostgresUsageStore(database, "journal_b");

        a.Write([Record(1)], checkpoint: 100);
        b.Write([Record(2)], checkpoint: 7);
        var conflict = b.Write([Record(1)], checkpoint: 9); // another replica replaying a record already stored: kept aside

        Assert.Equal((100L, 9L), (a.ReadCheckpoint(), b.ReadCheckpoint()));
        Assert.Equal(new UsageWriteResult(0, 1), conflict);
        Assert.Equal(2, a.ReadRecent(10).Count);
        Assert.Equal(2, b.ReadRecent(10).Count);
    }

    [Fact]
    public async Task Migrate_ReplicasStartingTogether_CreateTheTablesOnce()
    {
        if (PostgresTestSchema.Skipped)
        {
            return;
        }

        using var schema = new PostgresTestSchema();
        var databases = Enumerable.Range(0, 4).Select(_ => schema.Database()).ToList();
        try
        {
            await Task.WhenAll(databases.Select(db => Task.Run(() =>
            {
                new PostgresUsageStore(db, "journal_" + Guid.NewGuid().ToString("N")).Dispose();
                new PostgresGovernanceStore(db).Dispose();
                new PostgresResponseStore(db).Dispose();
            })));

            // Each component at its latest version, once (usage at its last migration).
            Assert.Equal(3L, schema.Scalar(
                $"SELECT count(*) FROM schema_version WHERE (component, version) IN (('usage', {PostgresUsageStore.Schema.Length}), ('governance', 1), ('responses', 1))"));
        }
        finally
        {
            databases.ForEach(db => db.Dispose());
        }
    }

    private static async Task<string> ProbeAsync(PostgresDatabase database)
    {
        var health = new Switchyard.Storage.DatabaseHealth("postgres", database.ProbeAsync, TimeProvider.System);
        var status = await health.CheckAsync();
        Assert.Equal("postgres", status.Kind);
        return status.Error is null ? "ok" : "unreachable";
    }
}
