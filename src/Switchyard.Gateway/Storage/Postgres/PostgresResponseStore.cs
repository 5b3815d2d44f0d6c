using Npgsql;

namespace Switchyard.Storage.Postgres;

/// <summary>
/// Responses API state in PostgreSQL, so a continuation (<c>previous_response_id</c>) finds its conversation
/// whichever replica served the turn before. The same tables and rules as <see cref="SqliteResponseStore"/>
/// (docs/adr/0006-responses-state.md): an item body is kept once per owner, id and content; a response's context is
/// a list of item rows. Every call takes a pooled connection of its own. Schema: <see cref="Schema"/>.
/// </summary>
public sealed partial class PostgresResponseStore : IResponseStore
{
    /// <summary>The component's migrations, in order (version 1 = the first script).</summary>
    internal static readonly string[] Schema =
    [
        """
        CREATE TABLE responses (
          id text PRIMARY KEY,
          owner text NOT NULL,
          created_at_ms bigint NOT NULL,
          previous_response_id text,
          status text NOT NULL,
          body text NOT NULL);
        CREATE INDEX responses_created ON responses(created_at_ms);
        CREATE TABLE response_items (
          item_row bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          owner text NOT NULL,
          item_id text NOT NULL,
          body text NOT NULL);
        CREATE INDEX response_items_id ON response_items(owner, item_id);
        CREATE TABLE response_context (
          response_id text NOT NULL,
          seq integer NOT NULL,
          output boolean NOT NULL,
          item bigint NOT NULL,
          PRIMARY KEY (response_id, seq));
        CREATE INDEX response_context_item ON response_context(item);
        """,
    ];

    private readonly PostgresDatabase database;

    /// <summary>Creates or migrates the tables; throws when the server cannot be reached or the schema is newer.</summary>
    public PostgresResponseStore(PostgresDatabase database)
    {
        this.database = database;
        PostgresSchema.Migrate(database, "responses", Schema);
    }

    /// <inheritdoc />
    public void Write(StoredResponse response) => Run(c =>
    {
        using var tx = c.BeginTransaction();
        using (var insert = Command(c, tx, """
            INSERT INTO responses (id, owner, created_at_ms, previous_response_id, status, body)
            VALUES (@id, @owner, @created, @previous, @status, @body)
            """, ("id", response.Id), ("owner", response.Owner), ("created", response.CreatedAtMs), ("previous", response.PreviousResponseId),
            ("status", response.Status), ("body", response.Json)))
        {
            insert.ExecuteNonQuery();
        }

        var items = new ItemRows(c, tx, response.Owner);
        using var context = Command(c, tx, "INSERT INTO response_context (response_id, seq, output, item) VALUES (@r, @seq, @output, @item)", ("r", response.Id));
        var (seq, output, item) = (context.Parameters.Add("seq", NpgsqlTypes.NpgsqlDbType.Integer),
            context.Parameters.Add("output", NpgsqlTypes.NpgsqlDbType.Boolean), context.Parameters.Add("item", NpgsqlTypes.NpgsqlDbType.Bigint));
        var n = 0;
        foreach (var (list, isOutput) in new[] { (response.Input, false), (response.Output, true) })
        {
            foreach (var stored in list)
            {
                (seq.Value, output.Value, item.Value) = (n++, isOutput, items.RowOf(stored));
                context.ExecuteNonQuery();
            }
        }

        tx.Commit();
        return true;
    });

    /// <inheritdoc />
    public IReadOnlyList<StoredItem>? Conversation(string owner, string responseId, long notBeforeMs) => Run(c =>
    {
        if (!Exists(c, null, owner, responseId, notBeforeMs))
        {
            return null;
        }

        using var cmd = Command(c, null, """
            SELECT i.item_id, i.body FROM response_context x JOIN response_items i ON i.item_row = x.item
            WHERE x.response_id = @r ORDER BY x.seq
            """, ("r", responseId));
        return ReadItems(cmd);
    });

    /// <inheritdoc />
    public StoredItem? Item(string owner, string itemId, long notBeforeMs) => Run(c =>
    {
        using var cmd = Command(c, null, """
            SELECT i.item_id, i.body FROM response_items i
            WHERE i.owner = @owner AND i.item_id = @id AND EXISTS (
              SELECT 1 FROM response_context x JOIN responses r ON r.id = x.response_id
              WHERE x.item = i.item_row AND r.created_at_ms >= @nb)
            ORDER BY i.item_row DESC LIMIT 1
            """, ("owner", owner), ("id", itemId), ("nb", notBeforeMs));
        return ReadItems(cmd) is [var item] ? item : null;
    });

    /// <inheritdoc />
    public string? Response(string owner, string responseId, long notBeforeMs) => Run(c =>
    {
        using var cmd = Command(c, null, "SELECT body FROM responses WHERE id = @r AND owner = @owner AND created_at_ms >= @nb",
            ("r", responseId), ("owner", owner), ("nb", notBeforeMs));
        return cmd.ExecuteScalar() as string;
    });

    /// <inheritdoc />
    public ItemPage? InputItems(string owner, string responseId, long notBeforeMs, in ItemPageQuery query)
    {
        var q = query;
        return Run(c => Page(c, owner, responseId, notBeforeMs, q));
    }

    /// <inheritdoc />
    public bool Delete(string owner, string responseId, long notBeforeMs) => Run(c =>
    {
        using var tx = c.BeginTransaction();
        if (!Exists(c, tx, owner, responseId, notBeforeMs))
        {
            return false;
        }

        foreach (var sql in (ReadOnlySpan<string>)[
            """
            DELETE FROM response_items WHERE item_row IN (SELECT item FROM response_context WHERE response_id = @r)
              AND NOT EXISTS (SELECT 1 FROM response_context o WHERE o.item = response_items.item_row AND o.response_id <> @r)
            """,
            "DELETE FROM response_context WHERE response_id = @r",
            "DELETE FROM responses WHERE id = @r"])
        {
            using var cmd = Command(c, tx, sql, ("r", responseId));
            cmd.ExecuteNonQuery();
        }

        tx.Commit();
        return true;
    });

    /// <inheritdoc />
    public int Purge(long notBeforeMs) => Run(c =>
    {
        using var tx = c.BeginTransaction();
        using (var context = Command(c, tx, "DELETE FROM response_context WHERE response_id IN (SELECT id FROM responses WHERE created_at_ms < @nb)", ("nb", notBeforeMs)))
        {
            context.ExecuteNonQuery();
        }

        using var responses = Command(c, tx, "DELETE FROM responses WHERE created_at_ms < @nb", ("nb", notBeforeMs));
        var purged = responses.ExecuteNonQuery();
        using var orphans = Command(c, tx, "DELETE FROM response_items WHERE NOT EXISTS (SELECT 1 FROM response_context x WHERE x.item = response_items.item_row)");
        orphans.ExecuteNonQuery();
        tx.Commit();
        return purged;
    });

    /// <summary>The data source belongs to the composition root, which disposes it after every store.</summary>
    public void Dispose()
    {
    }
}
