using Microsoft.Data.Sqlite;

namespace Switchyard.Storage;

/// <summary>
/// The tables of the response store and their version. The database file is shared with the usage store, so
/// versions are kept per component in <c>schema_version</c> (not in <c>PRAGMA user_version</c>, which is one
/// number for the whole file). A database written by a newer gateway is refused rather than misread.
/// </summary>
/// <remarks>
/// Version 1. An item's body is kept once per owner and id however many responses carry it in their context
/// (a conversation continued with <c>previous_response_id</c> shares its earlier items): a response's context
/// is a list of item row ids in <c>response_context</c>, so every response stays self-contained (deleting or
/// expiring an earlier one never cuts a later one's history) at the price of one small row per item per response.
/// </remarks>
internal static class ResponseSchema
{
    private const string Component = "responses";

    private const string V1 = """
        CREATE TABLE responses (
          id TEXT PRIMARY KEY,
          owner TEXT NOT NULL,
          created_at_ms INTEGER NOT NULL,
          previous_response_id TEXT,
          status TEXT NOT NULL,
          body TEXT NOT NULL);
        CREATE INDEX responses_created ON responses(created_at_ms);
        CREATE TABLE response_items (
          row INTEGER PRIMARY KEY,
          owner TEXT NOT NULL,
          item_id TEXT NOT NULL,
          body TEXT NOT NULL);
        CREATE INDEX response_items_id ON response_items(owner, item_id);
        CREATE TABLE response_context (
          response_id TEXT NOT NULL,
          seq INTEGER NOT NULL,
          output INTEGER NOT NULL,
          item INTEGER NOT NULL,
          PRIMARY KEY (response_id, seq)) WITHOUT ROWID;
        CREATE INDEX response_context_item ON response_context(item);
        """;

    /// <summary>Creates the tables, or checks the version of existing ones; throws for a newer schema.</summary>
    public static void Migrate(SqliteConnection connection) => SqliteSchema.Migrate(connection, Component, "response tables", [V1]);
}
