using Microsoft.Data.Sqlite;

namespace Switchyard.Storage;

/// <summary>
/// Responses API state in SQLite (WAL mode), in the gateway's database file beside the usage records, on a
/// connection of its own. Writes and purges come from one writer loop (the Conversations feature) on the
/// connection opened here; every read and delete opens its own, so a request never waits for the writer's
/// connection (SQLite itself serialises the writes, within <c>busy_timeout</c>). Schema: <see cref="ResponseSchema"/>.
/// </summary>
public sealed class SqliteResponseStore : IResponseStore
{
    private readonly string connectionString;
    private readonly int busyTimeoutMs;
    private readonly SqliteConnection writer;

    /// <summary>Opens (creating or migrating if needed) the database at <paramref name="path"/>.</summary>
    /// <param name="path">Database file (shared with the usage store).</param>
    /// <param name="busyTimeoutSeconds">How long a statement waits for a lock held by another connection.</param>
    public SqliteResponseStore(string path, int busyTimeoutSeconds = 5)
    {
        connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = false, DefaultTimeout = busyTimeoutSeconds }.ToString();
        busyTimeoutMs = busyTimeoutSeconds * 1000;
        writer = Open();
        using (var wal = writer.CreateCommand())
        {
            wal.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;";
            wal.ExecuteNonQuery();
        }

        ResponseSchema.Migrate(writer);
    }

    /// <inheritdoc />
    public void Write(StoredResponse response)
    {
        using var tx = writer.BeginTransaction();
        using (var insert = Command(writer, tx, """
            INSERT INTO responses (id, owner, created_at_ms, previous_response_id, status, body)
            VALUES ($id, $owner, $created, $previous, $status, $body)
            """))
        {
            insert.Parameters.AddWithValue("$id", response.Id);
            insert.Parameters.AddWithValue("$owner", response.Owner);
            insert.Parameters.AddWithValue("$created", response.CreatedAtMs);
            insert.Parameters.AddWithValue("$previous", (object?)response.PreviousResponseId ?? DBNull.Value);
            insert.Parameters.AddWithValue("$status", response.Status);
            insert.Parameters.AddWithValue("$body", response.Json);
            insert.ExecuteNonQuery();
        }

        using var items = new ItemRows(writer, tx, response.Owner);
        using var context = Command(writer, tx, "INSERT INTO response_context (response_id, seq, output, item) VALUES ($r, $seq, $output, $item)");
        var (seq, output, item) = (context.Parameters.Add("$seq", SqliteType.Integer), context.Parameters.Add("$output", SqliteType.Integer),
            context.Parameters.Add("$item", SqliteType.Integer));
        context.Parameters.AddWithValue("$r", response.Id);
        var n = 0;
        foreach (var (list, isOutput) in new[] { (response.Input, 0), (response.Output, 1) })
        {
            foreach (var stored in list)
            {
                (seq.Value, output.Value, item.Value) = (n++, isOutput, items.RowOf(stored));
                context.ExecuteNonQuery();
            }
        }

        tx.Commit();
    }

    /// <inheritdoc />
    public IReadOnlyList<StoredItem>? Conversation(string owner, string responseId, long notBeforeMs)
    {
        using var c = Open();
        if (!Exists(c, owner, responseId, notBeforeMs))
        {
            return null;
        }

        using var cmd = Command(c, null, """
            SELECT i.item_id, i.body FROM response_context x JOIN response_items i ON i.row = x.item
            WHERE x.response_id = $r ORDER BY x.seq
            """);
        cmd.Parameters.AddWithValue("$r", responseId);
        return ReadItems(cmd);
    }

    /// <inheritdoc />
    public StoredItem? Item(string owner, string itemId, long notBeforeMs)
    {
        using var c = Open();
        using var cmd = Command(c, null, """
            SELECT i.item_id, i.body FROM response_items i
            WHERE i.owner = $owner AND i.item_id = $id AND EXISTS (
              SELECT 1 FROM response_context x JOIN responses r ON r.id = x.response_id
              WHERE x.item = i.row AND r.created_at_ms >= $nb)
            ORDER BY i.row DESC LIMIT 1
            """);
        cmd.Parameters.AddWithValue("$owner", owner);
        cmd.Parameters.AddWithValue("$id", itemId);
        cmd.Parameters.AddWithValue("$nb", notBeforeMs);
        return ReadItems(cmd) is [var item] ? item : null;
    }

    /// <inheritdoc />
    public string? Response(string owner, string responseId, long notBeforeMs)
    {
        using var c = Open();
        using var cmd = Command(c, null, "SELECT body FROM responses WHERE id = $r AND owner = $owner AND created_at_ms >= $nb");
        AddKey(cmd, owner, responseId, notBeforeMs);
        return cmd.ExecuteScalar() as string;
    }

    /// <inheritdoc />
    public ItemPage? InputItems(string owner, string responseId, long notBeforeMs, in ItemPageQuery query)
    {
        using var c = Open();
        if (!Exists(c, owner, responseId, notBeforeMs))
        {
            return null;
        }

        long? from = null;
        var cursor = query.After ?? query.Before;
        if (cursor is not null && (from = CursorSeq(c, responseId, cursor)) is null)
        {
            return ItemPage.UnknownCursor;
        }

        // A page walks away from its cursor: "after" in the list's own order, "before" against it (then the
        // page is turned back into the list's order). Without a cursor, the list starts at its first item.
        var before = query.After is null && query.Before is not null;
        var ascending = before ? !query.Ascending : query.Ascending;
        var sql = "SELECT i.item_id, i.body FROM response_context x JOIN response_items i ON i.row = x.item WHERE x.response_id = $r AND x.output = 0"
            + (from is null ? "" : ascending ? " AND x.seq > $from" : " AND x.seq < $from")
            + (ascending ? " ORDER BY x.seq ASC" : " ORDER BY x.seq DESC") + " LIMIT $limit";
        using var cmd = Command(c, null, sql);
        cmd.Parameters.AddWithValue("$r", responseId);
        cmd.Parameters.AddWithValue("$from", from ?? 0);
        cmd.Parameters.AddWithValue("$limit", query.Limit + 1);
        var items = ReadItems(cmd);
        var hasMore = items.Count > query.Limit;
        if (hasMore)
        {
            items.RemoveAt(items.Count - 1);
        }

        if (before)
        {
            items.Reverse();
        }

        return new ItemPage(items, hasMore);
    }

    /// <inheritdoc />
    public bool Delete(string owner, string responseId, long notBeforeMs)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        if (!Exists(c, owner, responseId, notBeforeMs, tx))
        {
            return false;
        }

        using var cmd = Command(c, tx, """
            DELETE FROM response_items WHERE row IN (SELECT item FROM response_context WHERE response_id = $r)
              AND NOT EXISTS (SELECT 1 FROM response_context o WHERE o.item = response_items.row AND o.response_id <> $r);
            DELETE FROM response_context WHERE response_id = $r;
            DELETE FROM responses WHERE id = $r;
            """);
        cmd.Parameters.AddWithValue("$r", responseId);
        cmd.ExecuteNonQuery();
        tx.Commit();
        return true;
    }

    /// <inheritdoc />
    public int Purge(long notBeforeMs)
    {
        using var tx = writer.BeginTransaction();
        using (var context = Command(writer, tx, "DELETE FROM response_context WHERE response_id IN (SELECT id FROM responses WHERE created_at_ms < $nb)"))
        {
            context.Parameters.AddWithValue("$nb", notBeforeMs);
            context.ExecuteNonQuery();
        }

        using var responses = Command(writer, tx, "DELETE FROM responses WHERE created_at_ms < $nb");
        responses.Parameters.AddWithValue("$nb", notBeforeMs);
        var purged = responses.ExecuteNonQuery();
        using var orphans = Command(writer, tx, "DELETE FROM response_items WHERE NOT EXISTS (SELECT 1 FROM response_context x WHERE x.item = response_items.row)");
        orphans.ExecuteNonQuery();
        tx.Commit();
        return purged;
    }

    /// <inheritdoc />
    public void Dispose() => writer.Dispose();

    private SqliteConnection Open()
    {
        var c = new SqliteConnection(connectionString);
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"PRAGMA busy_timeout = {busyTimeoutMs}";
        cmd.ExecuteNonQuery();
        return c;
    }

    private static bool Exists(SqliteConnection c, string owner, string responseId, long notBeforeMs, SqliteTransaction? tx = null)
    {
        using var cmd = Command(c, tx, "SELECT 1 FROM responses WHERE id = $r AND owner = $owner AND created_at_ms >= $nb");
        AddKey(cmd, owner, responseId, notBeforeMs);
        return cmd.ExecuteScalar() is not null;
    }

    private static long? CursorSeq(SqliteConnection c, string responseId, string itemId)
    {
        using var cmd = Command(c, null, """
            SELECT x.seq FROM response_context x JOIN response_items i ON i.row = x.item
            WHERE x.response_id = $r AND x.output = 0 AND i.item_id = $id ORDER BY x.seq LIMIT 1
            """);
        cmd.Parameters.AddWithValue("$r", responseId);
        cmd.Parameters.AddWithValue("$id", itemId);
        return cmd.ExecuteScalar() as long?;
    }

    private static void AddKey(SqliteCommand cmd, string owner, string responseId, long notBeforeMs)
    {
        cmd.Parameters.AddWithValue("$r", responseId);
        cmd.Parameters.AddWithValue("$owner", owner);
        cmd.Parameters.AddWithValue("$nb", notBeforeMs);
    }

    private static List<StoredItem> ReadItems(SqliteCommand cmd)
    {
        using var rd = cmd.ExecuteReader();
        var items = new List<StoredItem>();
        while (rd.Read())
        {
            items.Add(new StoredItem(rd.GetString(0), rd.GetString(1)));
        }

        return items;
    }

    private static SqliteCommand Command(SqliteConnection c, SqliteTransaction? tx, string sql)
    {
        var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        return cmd;
    }

    /// <summary>
    /// Item rows of one write: an item already kept for the owner under the same id and with the same body is
    /// reused (a continued conversation brings its earlier items back), anything else gets a row of its own, so
    /// a client that reuses an id with new content never rewrites what an earlier response was answered from.
    /// </summary>
    private sealed class ItemRows(SqliteConnection c, SqliteTransaction tx, string owner) : IDisposable
    {
        private readonly SqliteCommand find = Prepared(c, tx, owner, "SELECT row, body FROM response_items WHERE owner = $owner AND item_id = $id ORDER BY row DESC LIMIT 16");
        private readonly SqliteCommand insert = Prepared(c, tx, owner, "INSERT INTO response_items (owner, item_id, body) VALUES ($owner, $id, $body) RETURNING row", body: true);

        public long RowOf(StoredItem item)
        {
            find.Parameters["$id"].Value = item.Id;
            using (var rd = find.ExecuteReader())
            {
                while (rd.Read())
                {
                    if (string.Equals(rd.GetString(1), item.Json, StringComparison.Ordinal))
                    {
                        return rd.GetInt64(0);
                    }
                }
            }

            insert.Parameters["$id"].Value = item.Id;
            insert.Parameters["$body"].Value = item.Json;
            return (long)insert.ExecuteScalar()!;
        }

        public void Dispose()
        {
            find.Dispose();
            insert.Dispose();
        }

        private static SqliteCommand Prepared(SqliteConnection c, SqliteTransaction tx, string owner, string sql, bool body = false)
        {
            var cmd = Command(c, tx, sql);
            cmd.Parameters.AddWithValue("$owner", owner);
            cmd.Parameters.Add("$id", SqliteType.Text);
            if (body)
            {
                cmd.Parameters.Add("$body", SqliteType.Text);
            }

            return cmd;
        }
    }
}
