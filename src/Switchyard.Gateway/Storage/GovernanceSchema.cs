using Microsoft.Data.Sqlite;

namespace Switchyard.Storage;

/// <summary>
/// The tables of the governance store (virtual keys, teams, customers) and their version, kept per component in
/// <c>schema_version</c> like the response store's (the database file is shared). A database written by a newer
/// gateway is refused rather than misread.
/// </summary>
/// <remarks>
/// Version 1. What requests filter or join on is a column (ids, team, customer, hashes, times); what only the
/// gateway reads back whole (allowed models and routes, metadata, limits, budget) is one JSON document per row in
/// <c>policy</c>, so a limit added later needs no migration. The SQL is plain (no SQLite-only types or clauses
/// beyond <c>ON CONFLICT ... DO UPDATE</c>, which PostgreSQL shares), for the PostgreSQL store to come.
/// </remarks>
internal static class GovernanceSchema
{
    private const string Component = "governance";

    private const string V1 = """
        CREATE TABLE virtual_keys (
          id TEXT PRIMARY KEY,
          name TEXT NOT NULL,
          hash BLOB NOT NULL UNIQUE,
          prefix TEXT NOT NULL,
          role TEXT NOT NULL,
          allow_routing_overrides INTEGER NOT NULL,
          team_id TEXT,
          customer_id TEXT,
          expires_at_ms INTEGER,
          policy TEXT NOT NULL,
          created_at_ms INTEGER NOT NULL,
          updated_at_ms INTEGER NOT NULL,
          revoked_at_ms INTEGER,
          previous_hash BLOB,
          previous_valid_until_ms INTEGER,
          created_by TEXT);
        CREATE INDEX virtual_keys_team ON virtual_keys(team_id);
        CREATE INDEX virtual_keys_customer ON virtual_keys(customer_id);
        CREATE TABLE teams (
          id TEXT PRIMARY KEY,
          name TEXT NOT NULL,
          policy TEXT NOT NULL);
        CREATE TABLE customers (
          team_id TEXT NOT NULL,
          id TEXT NOT NULL,
          name TEXT,
          policy TEXT NOT NULL,
          PRIMARY KEY (team_id, id));
        """;

    /// <summary>Creates the tables, or checks the version of existing ones; throws for a newer schema.</summary>
    public static void Migrate(SqliteConnection connection) => SqliteSchema.Migrate(connection, Component, "governance tables", [V1]);
}
