using Npgsql;

namespace Switchyard.Storage.Postgres;

/// <summary>Pages, lookups and the plumbing every call shares.</summary>
public sealed partial class PostgresResponseStore
{
    /// <summary>Runs <paramref name="work"/> on a pooled connection; a lost server clears the pool and the exception flies on.</summary>
    private T Run<T>(Func<NpgsqlConnection, T> work)
    {
        try
        {
            using var c = database.Open();
            return work(c);
        }
        catch (Exception ex) when (database.Failed(ex))
        {
            throw;
        }
    }

    private static ItemPage? Page(NpgsqlConnection c, string owner, string responseId, long notBeforeMs, ItemPageQuery query)
    {
        if (!Exists(c, null, owner, responseId, notBeforeMs))
        {
            return null;
        }

        long? from = null;
        var cursor = query.After ?? query.Before;
        if (cursor is not null && (from = CursorSeq(c, responseId, cursor)) is null)
        {
            return ItemPage.UnknownCursor;
        }

        // As in the SQLite store: a page walks away from its cursor, "before" against the list's order (then turned back).
        var before = query.After is null && query.Before is not null;
        var ascending = before ? !query.Ascending : query.Ascending;
        var sql = "SELECT i.item_id, i.body FROM response_context x JOIN response_items i ON i.item_row = x.item WHERE x.response_id = @r AND NOT x.output"
            + (from is null ? "" : ascending ? " AND x.seq > @from" : " AND x.seq < @from")
            + (ascending ? " ORDER BY x.seq ASC" : " ORDER BY x.seq DESC") + " LIMIT @limit";
        using var cmd = Command(c, null, sql, ("r", responseId), ("from", (int)(from ?? 0)), ("limit", query.Limit + 1));
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

    private static bool Exists(NpgsqlConnection c, NpgsqlTransaction? tx, string owner, string responseId, long notBeforeMs)
    {
        using var cmd = Command(c, tx, "SELECT 1 FROM responses WHERE id = @r AND owner = @owner AND created_at_ms >= @nb",
            ("r", responseId), ("owner", owner), ("nb", notBeforeMs));
        return cmd.ExecuteScalar() is not null;
    }

    private static long? CursorSeq(NpgsqlConnection c, string responseId, string itemId)
    {
        using var cmd = Command(c, null, """
            SELECT x.seq FROM response_context x JOIN response_items i ON i.item_row = x.item
            WHERE x.response_id = @r AND NOT x.output AND i.item_id = @id ORDER BY x.seq LIMIT 1
            """, ("r", responseId), ("id", itemId));
        return cmd.ExecuteScalar() is int seq ? seq : null;
    }

    private static List<StoredItem> ReadItems(NpgsqlCommand cmd)
    {
        using var rd = cmd.ExecuteReader();
        var items = new List<StoredItem>();
        while (rd.Read())
        {
            items.Add(new StoredItem(rd.GetString(0), rd.GetString(1)));
        }

        return items;
    }

    private static NpgsqlCommand Command(NpgsqlConnection c, NpgsqlTransaction? tx, string sql, params (string Name, object? Value)[] parameters)
    {
        var cmd = new NpgsqlCommand(sql, c, tx);
        foreach (var (name, value) in parameters)
        {
            cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return cmd;
    }

    /// <summary>
    /// Item rows of one write, as in the SQLite store: an item already kept for the owner under the same id and
    /// with the same body is reused, anything else gets a row of its own.
    /// </summary>
    private sealed class ItemRows(NpgsqlConnection c, NpgsqlTransaction tx, string owner)
    {
        public long RowOf(StoredItem item)
        {
            using (var find = Command(c, tx, "SELECT item_row, body FROM response_items WHERE owner = @owner AND item_id = @id ORDER BY item_row DESC LIMIT 16",
                ("owner", owner), ("id", item.Id)))
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

            using var insert = Command(c, tx, "INSERT INTO response_items (owner, item_id, body) VALUES (@owner, @id, @body) RETURNING item_row",
                ("owner", owner), ("id", item.Id), ("body", item.Json));
            return (long)insert.ExecuteScalar()!;
        }
    }
}
