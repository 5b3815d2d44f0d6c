using Microsoft.Data.Sqlite;
using Switchyard.Storage;
using Switchyard.Storage.Postgres;
using Switchyard.Tests.TestKit;
using Switchyard.Usage;

namespace Switchyard.Tests.Storage;

/// <summary>
/// The stores' contract tests run once per database: <c>sqlite</c> (a file in a temp folder) and <c>postgres</c> (a
/// schema of its own on the test server, see <see cref="PostgresTestSchema"/>). The PostgreSQL case is always there
/// (and fails with the way to fix it when the server is missing) unless <c>SWITCHYARD_TEST_SKIP_POSTGRES=1</c>.
/// </summary>
internal abstract class StoreBackend : IDisposable
{
    /// <summary>The databases to run each contract test against (theory data).</summary>
    public static TheoryData<string> Kinds => PostgresTestSchema.Skipped ? new TheoryData<string> { "sqlite" } : new TheoryData<string> { "sqlite", "postgres" };

    /// <summary>A fresh, empty database of <paramref name="kind"/>.</summary>
    public static StoreBackend Create(string kind) => kind switch
    {
        "sqlite" => new SqliteBackend(),
        "postgres" => new PostgresBackend(),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    public abstract IUsageStore Usage(string journalId = "journal_test");

    public abstract IGovernanceStore Governance();

    public abstract IResponseStore Responses();

    /// <summary>The upstream object store on this database (a new instance each call, as another replica would open it).</summary>
    public abstract IUpstreamObjectStore Objects();

    /// <summary>The usage query port on this database (its records' table must exist: open <see cref="Usage"/> first).</summary>
    public abstract IUsageQuery Query();

    /// <summary>The first column of the first row of <paramref name="sql"/> as a number (both databases name their tables alike).</summary>
    public long Count(string sql) => Convert.ToInt64(Scalar(sql), System.Globalization.CultureInfo.InvariantCulture);

    public abstract object? Scalar(string sql);

    public abstract void Exec(string sql);

    /// <summary>The records whose client sent <paramref name="id"/>, newest first (each store has the query).</summary>
    public static IReadOnlyList<UsageRecord> ByClientId(IUsageStore store, string id) => store switch
    {
        SqliteUsageStore s => s.ReadByClientRequestId(id),
        PostgresUsageStore p => p.ReadByClientRequestId(id),
        _ => throw new ArgumentException(store.GetType().Name),
    };

    /// <summary>How many records the store kept aside as conflicts.</summary>
    public static long Conflicts(IUsageStore store) => store switch
    {
        SqliteUsageStore s => s.CountConflicts(),
        PostgresUsageStore p => p.CountConflicts(),
        _ => throw new ArgumentException(store.GetType().Name),
    };

    public abstract void Dispose();

    private sealed class SqliteBackend : StoreBackend
    {
        private readonly string dir = Directory.CreateTempSubdirectory("switchyard-backend-").FullName;

        private string DbPath => Path.Combine(dir, "switchyard.db");

        public override IUsageStore Usage(string journalId = "journal_test") => new SqliteUsageStore(DbPath);

        public override IGovernanceStore Governance() => new SqliteGovernanceStore(DbPath);

        public override IResponseStore Responses() => new SqliteResponseStore(DbPath);

        public override IUpstreamObjectStore Objects() => UpstreamObjectStore.Sqlite(DbPath);

        public override IUsageQuery Query() => new SqliteUsageQuery(DbPath);

        public override object? Scalar(string sql)
        {
            using var c = Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = sql;
            return cmd.ExecuteScalar();
        }

        public override void Exec(string sql)
        {
            using var c = Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = sql;
            cmd.ExecuteNonQuery();
        }

        private SqliteConnection Open()
        {
            var c = new SqliteConnection($"Data Source={DbPath};Pooling=False");
            c.Open();
            return c;
        }

        public override void Dispose()
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

    /// <summary>One schema, one data source; the stores opened on it share the data source (as in the gateway).</summary>
    private sealed class PostgresBackend : StoreBackend
    {
        private readonly PostgresTestSchema schema = new();
        private readonly List<PostgresDatabase> databases = [];

        public override IUsageStore Usage(string journalId = "journal_test") => new PostgresUsageStore(Database(), journalId);

        public override IGovernanceStore Governance() => new PostgresGovernanceStore(Database());

        public override IResponseStore Responses() => new PostgresResponseStore(Database());

        public override IUpstreamObjectStore Objects() => UpstreamObjectStore.Postgres(Database());

        public override IUsageQuery Query() => new PostgresUsageQuery(Database());

        public override object? Scalar(string sql) => schema.Scalar(sql);

        public override void Exec(string sql) => schema.Exec(sql);

        /// <summary>A data source per store, as separate processes would have (a reopened store shares nothing with the one before).</summary>
        private PostgresDatabase Database()
        {
            var db = schema.Database();
            databases.Add(db);
            return db;
        }

        public override void Dispose()
        {
            foreach (var db in databases)
            {
                db.Dispose();
            }

            schema.Dispose();
        }
    }
}
