namespace Switchyard.Core;

/// <summary>Where durable state lives (<c>storage.kind</c>).</summary>
public enum StorageKind
{
    /// <summary>One SQLite file in <c>server.data_dir</c>: one process, nothing to run beside it (the default).</summary>
    Sqlite,

    /// <summary>A PostgreSQL database shared by every replica (docs/adr/0012-postgres-storage.md).</summary>
    Postgres,
}

/// <summary>
/// <c>storage:</c> in YAML: the database of usage records, virtual keys, teams, customers and Responses state.
/// Read at start only: a reload that changes it takes effect at the next start (moving a running gateway's data is not a reload).
/// The usage journal stays on local disk in <c>server.data_dir</c> whatever the kind: it is what keeps records
/// while the database is unreachable.
/// </summary>
/// <param name="Kind"><c>kind</c>: <c>sqlite</c> (default) or <c>postgres</c>.</param>
/// <param name="ConnectionStringEnv">
/// <c>connection_string_env</c>: the environment variable holding the Npgsql connection string (required for
/// postgres). The string itself never appears in the file, in a log line or in an error.
/// </param>
public sealed record StorageSettings(StorageKind Kind, string? ConnectionStringEnv)
{
    /// <summary>SQLite in the data directory.</summary>
    public static StorageSettings Default { get; } = new(StorageKind.Sqlite, null);

    /// <summary>The connection string read from <see cref="ConnectionStringEnv"/> at load (postgres only). A secret: never log it.</summary>
    public string? ConnectionString { get; init; }

    /// <summary>The name readiness and logs use for the kind.</summary>
    public string KindName => Kind == StorageKind.Postgres ? "postgres" : "sqlite";

    /// <inheritdoc />
    public override string ToString() => $"StorageSettings {{ Kind = {KindName}, ConnectionStringEnv = {ConnectionStringEnv} }}"; // never the secret
}
