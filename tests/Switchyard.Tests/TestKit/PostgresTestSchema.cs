using Npgsql;
using Switchyard.Storage.Postgres;

namespace Switchyard.Tests.TestKit;

/// <summary>
/// A fresh schema on the test PostgreSQL server (<c>SWITCHYARD_TEST_POSTGRES</c>, printed by
/// <c>.ci/services/postgres.sh</c>), dropped with everything in it at dispose: each test gets its own, so tests
/// run in parallel and never see each other's rows. The stores create their tables in it through the connection
/// string's <c>Search Path</c>, exactly as a deployment would pick a schema.
/// </summary>
internal sealed class PostgresTestSchema : IDisposable
{
    /// <summary>The variable holding the server's connection string.</summary>
    public const string Variable = "SWITCHYARD_TEST_POSTGRES";

    /// <summary>Set to 1 to leave the PostgreSQL cases out explicitly (they fail when <see cref="Variable"/> is missing otherwise).</summary>
    public const string SkipVariable = "SWITCHYARD_TEST_SKIP_POSTGRES";

    /// <summary>Creates the schema; throws with the way to fix it when the server is not configured.</summary>
    public PostgresTestSchema()
    {
        var server = ServerConnectionString;
        Name = "t_" + Guid.NewGuid().ToString("N");
        using (var c = new NpgsqlConnection(server))
        {
            c.Open();
            using var cmd = new NpgsqlCommand($"CREATE SCHEMA {Name}", c);
            cmd.ExecuteNonQuery();
        }

        ConnectionString = new NpgsqlConnectionStringBuilder(server) { SearchPath = Name }.ConnectionString;
    }

    /// <summary>Whether the PostgreSQL cases were left out on purpose.</summary>
    public static bool Skipped => Environment.GetEnvironmentVariable(SkipVariable) == "1";

    /// <summary>The server, from <see cref="Variable"/>.</summary>
    public static string ServerConnectionString => Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value
        ? value
        : throw new InvalidOperationException(
            $"{Variable} is not set: start the test server with `eval \"$(.ci/services/postgres.sh)\"` before the tests " +
            $"(or set {SkipVariable}=1 to leave the PostgreSQL cases out on purpose).");

    /// <summary>The schema's name (<c>t_</c> and 32 hex digits).</summary>
    public string Name { get; }

    /// <summary>The server's connection string with this schema as the search path.</summary>
    public string ConnectionString { get; }

    /// <summary>The same connection string sent through <paramref name="proxy"/> (a connection the test can cut).</summary>
    public string Through(TcpProxy proxy) =>
        new NpgsqlConnectionStringBuilder(ConnectionString) { Host = "127.0.0.1", Port = proxy.Port, Timeout = 3, CommandTimeout = 5 }.ConnectionString;

    /// <summary>A gateway data source on this schema.</summary>
    public PostgresDatabase Database() => new(ConnectionString);

    /// <summary>The first column of the first row of <paramref name="sql"/>, on a connection of its own.</summary>
    public object? Scalar(string sql)
    {
        using var c = new NpgsqlConnection(ConnectionString);
        c.Open();
        using var cmd = new NpgsqlCommand(sql, c);
        return cmd.ExecuteScalar();
    }

    /// <summary>Runs <paramref name="sql"/>; returns the rows it touched.</summary>
    public int Exec(string sql)
    {
        using var c = new NpgsqlConnection(ConnectionString);
        c.Open();
        using var cmd = new NpgsqlCommand(sql, c);
        return cmd.ExecuteNonQuery();
    }

    /// <summary>Drops the schema and everything in it.</summary>
    public void Dispose()
    {
        using (var mine = new NpgsqlConnection(ConnectionString))
        {
            NpgsqlConnection.ClearPool(mine); // the helpers' own connections; the stores' pools go with their data sources
        }

        using var c = new NpgsqlConnection(ServerConnectionString);
        c.Open();
        using var cmd = new NpgsqlCommand($"DROP SCHEMA IF EXISTS {Name} CASCADE", c);
        cmd.ExecuteNonQuery();
    }
}
