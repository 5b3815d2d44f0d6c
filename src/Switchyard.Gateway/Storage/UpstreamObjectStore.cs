using System.Data.Common;
using Microsoft.Data.Sqlite;
using Switchyard.Storage.Postgres;

namespace Switchyard.Storage;

/// <summary>
/// <see cref="IUpstreamObjectStore"/> on SQLite or PostgreSQL: one table, <c>upstream_objects</c>, and one class for
/// both databases, because every statement it runs is plain SQL both speak (ADO.NET's common types, <c>@name</c>
/// parameters, <c>ON CONFLICT DO NOTHING</c>, a partial index); only the table's row counter differs. Each call opens
/// its own connection (SQLite: the gateway's database file, serialised by <c>busy_timeout</c>; PostgreSQL: the pool).
/// </summary>
/// <remarks>
/// Settling is one conditional <c>UPDATE … WHERE settled_at_ms IS NULL</c>: both databases lock the row for it, so of
/// any number of concurrent callers on any number of replicas exactly one sees a changed row. The list order is the
/// insertion counter (<c>seq</c>), not the clock, so two objects created in the same millisecond keep a stable order.
/// </remarks>
public sealed class UpstreamObjectStore : IUpstreamObjectStore
{
    private const string Component = "upstream_objects";

    private const string Columns = "id, kind, owner, route, deployment, upstream_id, status, created_at_ms, updated_at_ms, detail, settled_at_ms";

    private const string Tables = """
        CREATE TABLE upstream_objects (
          seq {0},
          id TEXT NOT NULL UNIQUE,
          kind TEXT NOT NULL,
          owner TEXT NOT NULL,
          route TEXT NOT NULL,
          deployment TEXT NOT NULL,
          upstream_id TEXT NOT NULL,
          status TEXT NOT NULL,
          created_at_ms BIGINT NOT NULL,
          updated_at_ms BIGINT NOT NULL,
          detail TEXT,
          settled_at_ms BIGINT);
        CREATE INDEX upstream_objects_owner ON upstream_objects(owner, kind, seq);
        CREATE INDEX upstream_objects_upstream ON upstream_objects(kind, deployment, upstream_id);
        CREATE INDEX upstream_objects_unsettled ON upstream_objects(kind, seq) WHERE settled_at_ms IS NULL;
        """;

    private readonly Func<DbConnection> open;
    private readonly Func<Exception, bool> failed;

    private UpstreamObjectStore(Func<DbConnection> open, Func<Exception, bool> failed)
    {
        this.open = open;
        this.failed = failed;
    }

    /// <summary>The store in the SQLite database at <paramref name="path"/> (the gateway's file), creating its table if needed.</summary>
    public static UpstreamObjectStore Sqlite(string path, int busyTimeoutSeconds = 5)
    {
        var cs = new SqliteConnectionStringBuilder { DataSource = path, Pooling = false, DefaultTimeout = busyTimeoutSeconds }.ToString();
        DbConnection Open()
        {
            var c = new SqliteConnection(cs);
            c.Open();
            using var pragma = c.CreateCommand();
            pragma.CommandText = $"PRAGMA busy_timeout = {busyTimeoutSeconds * 1000}";
            pragma.ExecuteNonQuery();
            return c;
        }

        using (var c = (SqliteConnection)Open())
        {
            SqliteSchema.Migrate(c, Component, "upstream object table", [string.Format(System.Globalization.CultureInfo.InvariantCulture, Tables, "INTEGER PRIMARY KEY")]);
        }

        return new UpstreamObjectStore(Open, static _ => false);
    }

    /// <summary>The store on the gateway's PostgreSQL data source, creating or migrating its table.</summary>
    public static UpstreamObjectStore Postgres(PostgresDatabase database)
    {
        PostgresSchema.Migrate(database, Component, [string.Format(System.Globalization.CultureInfo.InvariantCulture, Tables, "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY")]);
        return new UpstreamObjectStore(database.Open, database.Failed);
    }

    /// <inheritdoc />
    public bool Add(UpstreamObject item) => Run(c => Execute(c, $"""
        INSERT INTO upstream_objects ({Columns})
        VALUES (@id, @kind, @owner, @route, @deployment, @upstream, @status, @created, @updated, @detail, @settled)
        ON CONFLICT (id) DO NOTHING
        """, ("id", item.Id), ("kind", item.Kind), ("owner", item.Owner), ("route", item.Route), ("deployment", item.Deployment),
        ("upstream", item.UpstreamId), ("status", item.Status), ("created", item.CreatedAtMs), ("updated", item.UpdatedAtMs),
        ("detail", item.Detail), ("settled", item.SettledAtMs)) == 1);

    /// <inheritdoc />
    public UpstreamObject? Get(string owner, string id) =>
        Run(c => Read(c, $"SELECT {Columns} FROM upstream_objects WHERE id = @id AND owner = @owner", ("id", id), ("owner", owner)) is [var o] ? o : null);

    /// <inheritdoc />
    public UpstreamObject? FindByUpstream(string kind, string deployment, string upstreamId) => Run(c => Read(c, $"""
        SELECT {Columns} FROM upstream_objects WHERE kind = @kind AND deployment = @deployment AND upstream_id = @upstream
        ORDER BY seq DESC LIMIT 1
        """, ("kind", kind), ("deployment", deployment), ("upstream", upstreamId)) is [var o] ? o : null);

    /// <inheritdoc />
    public UpstreamObjectPage List(string owner, string kind, string? after, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        return Run(c =>
        {
            long? from = null;
            if (after is not null && (from = Seq(c, owner, kind, after)) is null)
            {
                return new UpstreamObjectPage([], false); // a cursor that is not one of the owner's objects of this kind
            }

            var rows = Read(c, $"""
                SELECT {Columns} FROM upstream_objects WHERE owner = @owner AND kind = @kind AND seq < @from
                ORDER BY seq DESC LIMIT @limit
                """, ("owner", owner), ("kind", kind), ("from", from ?? long.MaxValue), ("limit", limit + 1));
            return rows.Count > limit ? new UpstreamObjectPage(rows[..limit], true) : new UpstreamObjectPage(rows, false);
        });
    }

    /// <inheritdoc />
    public bool Update(string id, string status, string? detail, long nowMs) => Run(c => Execute(c,
        "UPDATE upstream_objects SET status = @status, detail = @detail, updated_at_ms = @now WHERE id = @id",
        ("status", status), ("detail", detail), ("now", nowMs), ("id", id)) == 1);

    /// <inheritdoc />
    public bool TrySettle(string id, long nowMs) => Run(c => Execute(c,
        "UPDATE upstream_objects SET settled_at_ms = @now WHERE id = @id AND settled_at_ms IS NULL", ("now", nowMs), ("id", id)) == 1);

    /// <inheritdoc />
    public IReadOnlyList<UpstreamObject> Unsettled(string kind, int limit) => Run(c => Read(c, $"""
        SELECT {Columns} FROM upstream_objects WHERE kind = @kind AND settled_at_ms IS NULL ORDER BY seq LIMIT @limit
        """, ("kind", kind), ("limit", limit)));

    /// <inheritdoc />
    public bool Delete(string owner, string id) =>
        Run(c => Execute(c, "DELETE FROM upstream_objects WHERE id = @id AND owner = @owner", ("id", id), ("owner", owner)) == 1);

    /// <summary>Connections are per call; the PostgreSQL data source belongs to the composition root.</summary>
    public void Dispose()
    {
    }

    private static long? Seq(DbConnection c, string owner, string kind, string id)
    {
        using var cmd = Command(c, "SELECT seq FROM upstream_objects WHERE id = @id AND owner = @owner AND kind = @kind", ("id", id), ("owner", owner), ("kind", kind));
        return cmd.ExecuteScalar() is { } seq and not DBNull ? Convert.ToInt64(seq, System.Globalization.CultureInfo.InvariantCulture) : null;
    }

    private static List<UpstreamObject> Read(DbConnection c, string sql, params (string Name, object? Value)[] parameters)
    {
        using var cmd = Command(c, sql, parameters);
        using var rd = cmd.ExecuteReader();
        var rows = new List<UpstreamObject>();
        while (rd.Read())
        {
            rows.Add(new UpstreamObject(rd.GetString(0), rd.GetString(1), rd.GetString(2), rd.GetString(3), rd.GetString(4), rd.GetString(5),
                rd.GetString(6), rd.GetInt64(7), rd.GetInt64(8), rd.IsDBNull(9) ? null : rd.GetString(9), rd.IsDBNull(10) ? null : rd.GetInt64(10)));
        }

        return rows;
    }

    private static int Execute(DbConnection c, string sql, params (string Name, object? Value)[] parameters)
    {
        using var cmd = Command(c, sql, parameters);
        return cmd.ExecuteNonQuery();
    }

    private static DbCommand Command(DbConnection c, string sql, params (string Name, object? Value)[] parameters)
    {
        var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var p = cmd.CreateParameter();
            p.ParameterName = "@" + name;
            p.Value = value ?? DBNull.Value;
            cmd.Parameters.Add(p);
        }

        return cmd;
    }

    private T Run<T>(Func<DbConnection, T> work)
    {
        try
        {
            using var c = open();
            return work(c);
        }
        catch (Exception ex) when (failed(ex))
        {
            throw;
        }
    }
}
