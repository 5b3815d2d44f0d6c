using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Switchyard.Storage;
using Switchyard.Storage.Postgres;
using Switchyard.Usage;

namespace Switchyard.Hosting;

/// <summary>
/// The stores behind <c>storage.kind</c> (docs/adr/0012-postgres-storage.md): SQLite in the data directory (one file,
/// each store on its own connection), or one PostgreSQL data source shared by the three stores. Either way the usage
/// journal stays on local disk, in front of the database.
/// </summary>
public sealed partial class GatewayApp
{
    /// <summary>The PostgreSQL data source (when configured) and the readiness view of the database.</summary>
    private static void AddDatabase(IServiceCollection services, StorageSettings storage, TimeProvider time)
    {
        if (storage.Kind != StorageKind.Postgres)
        {
            services.AddSingleton(new DatabaseHealth(storage.KindName, null, time));
            return;
        }

        services.AddSingleton(_ => new PostgresDatabase(storage.ConnectionString!));
        services.AddSingleton(sp => new DatabaseHealth(storage.KindName, sp.GetRequiredService<PostgresDatabase>().ProbeAsync, time));
    }

    /// <summary>The usage store; SQLite also imports the spool file of gateways before the journal.</summary>
    private static IUsageStore OpenUsageStore(IServiceProvider sp, GatewayConfig config, string dataDir, string journalDir)
    {
        if (config.Storage.Kind == StorageKind.Postgres)
        {
            return new PostgresUsageStore(sp.GetRequiredService<PostgresDatabase>(), UsageJournalIdentity.Of(journalDir));
        }

        var store = new SqliteUsageStore(Path.Combine(dataDir, "switchyard.db"), config.Usage.DatabaseBusyTimeout);
        LegacyUsageSpool.Import(store, Path.Combine(dataDir, LegacyUsageSpool.FileName), sp.GetRequiredService<ILogger<UsageWriter>>());
        return store;
    }

    /// <summary>The Responses API store.</summary>
    private static IResponseStore OpenResponseStore(IServiceProvider sp, StorageSettings storage, string database) =>
        storage.Kind == StorageKind.Postgres
            ? new PostgresResponseStore(sp.GetRequiredService<PostgresDatabase>())
            : new SqliteResponseStore(database); // same file as the usage records, own connection and tables

    /// <summary>The map of provider-side objects (video jobs, files, batches, predictions) to their deployment and owner.</summary>
    private static IUpstreamObjectStore OpenUpstreamObjectStore(IServiceProvider sp, StorageSettings storage, string database) =>
        storage.Kind == StorageKind.Postgres
            ? UpstreamObjectStore.Postgres(sp.GetRequiredService<PostgresDatabase>())
            : UpstreamObjectStore.Sqlite(database);

    /// <summary>The store of virtual keys, teams and customers.</summary>
    private static IGovernanceStore OpenGovernanceStore(IServiceProvider sp, StorageSettings storage, string database) =>
        storage.Kind == StorageKind.Postgres
            ? new PostgresGovernanceStore(sp.GetRequiredService<PostgresDatabase>())
            : new SqliteGovernanceStore(database);
}
