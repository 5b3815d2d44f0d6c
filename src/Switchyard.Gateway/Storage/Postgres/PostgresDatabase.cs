using System.Net.Sockets;
using Npgsql;

namespace Switchyard.Storage.Postgres;

/// <summary>
/// The gateway's one PostgreSQL data source, shared by its stores (usage, governance, responses): one connection
/// pool per process (docs/adr/0012-postgres-storage.md). Built with <see cref="NpgsqlSlimDataSourceBuilder"/>,
/// which leaves out the reflection-based type mappings, so the gateway still publishes for Native AOT without a
/// warning; the stores use only the types it keeps (text, integers, float8, bool, bytea).
/// </summary>
/// <remarks>
/// Pooled connections outlive a server restart only as dead sockets: the first command on each would fail. After
/// a failure that says the connection is gone, <see cref="Failed"/> clears the pool's idle connections, so one
/// outage costs the writer one failed attempt, not one per pooled connection.
/// </remarks>
public sealed class PostgresDatabase : IDisposable
{
    private readonly NpgsqlDataSource source;

    /// <summary>A data source for <paramref name="connectionString"/> (nothing is opened yet).</summary>
    /// <param name="connectionString">An Npgsql connection string (a secret: never logged).</param>
    public PostgresDatabase(string connectionString)
    {
        var builder = new NpgsqlSlimDataSourceBuilder(connectionString);
        if (string.IsNullOrEmpty(builder.ConnectionStringBuilder.ApplicationName))
        {
            builder.ConnectionStringBuilder.ApplicationName = "switchyard"; // tells the gateway's sessions apart in pg_stat_activity
        }

        source = builder.Build();
    }

    /// <summary>An open connection from the pool; throws (after clearing the pool) when the server cannot be reached.</summary>
    public NpgsqlConnection Open()
    {
        try
        {
            return source.OpenConnection();
        }
        catch (Exception ex) when (Failed(ex))
        {
            throw;
        }
    }

    /// <summary>
    /// Clears the idle connections when <paramref name="ex"/> says the server or the network went away; always
    /// false, so it can sit in an exception filter and the exception flies on unchanged.
    /// </summary>
    public bool Failed(Exception ex)
    {
        if (ex is NpgsqlException { IsTransient: true } or SocketException or IOException or TimeoutException
            || ex is PostgresException { SqlState: var state } && state.StartsWith("08", StringComparison.Ordinal)
            || ex is PostgresException { SqlState: "57P01" or "57P02" or "57P03" }) // admin shutdown, crash shutdown, cannot connect now
        {
            source.Clear();
        }

        return false;
    }

    /// <summary>Whether the server answers <c>SELECT 1</c> now; the reason when it does not (never the connection string).</summary>
    public async Task<string?> ProbeAsync(CancellationToken ct)
    {
        try
        {
            await using var c = await source.OpenConnectionAsync(ct).ConfigureAwait(false);
            await using var cmd = new NpgsqlCommand("SELECT 1", c);
            await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false);
            return null;
        }
        catch (Exception ex) when (ex is NpgsqlException or SocketException or IOException or TimeoutException or OperationCanceledException)
        {
            Failed(ex);
            return ex is OperationCanceledException ? "no answer within the probe's timeout" : Describe(ex);
        }
    }

    /// <summary>What went wrong, for readiness and logs: the server's message or the exception's, never the connection string.</summary>
    /// <remarks>Readiness needs no key, so no host, port or user name goes out: the socket error or the server's SQLSTATE.</remarks>
    public static string Describe(Exception ex) => ex switch
    {
        PostgresException pg => $"SQLSTATE {pg.SqlState}",
        { InnerException: SocketException socket } => $"cannot connect ({socket.SocketErrorCode})",
        SocketException socket => $"cannot connect ({socket.SocketErrorCode})",
        TimeoutException or NpgsqlException { InnerException: TimeoutException } => "timed out",
        { InnerException: IOException or EndOfStreamException } or IOException => "connection lost",
        _ => ex.GetType().Name,
    };

    /// <inheritdoc />
    public void Dispose() => source.Dispose();
}
