namespace Switchyard.Core;

/// <summary>
/// Durable storage of Responses API state: responses and the items they were given and produced, scoped to an
/// owner (the caller's key id). Every read takes <c>notBeforeMs</c>: anything created earlier has expired and
/// is never returned, whether or not it has been purged yet. Implementations throw on storage failures; the
/// Conversations feature turns that into an answer the client can act on.
/// </summary>
public interface IResponseStore : IDisposable
{
    /// <summary>Stores one response with its context (input items, in order) and its output items, atomically.</summary>
    void Write(StoredResponse response);

    /// <summary>
    /// What a continuation of <paramref name="responseId"/> starts from: its input items then its output items, in
    /// order; null when there is no such response for <paramref name="owner"/> (unknown, another owner's, expired).
    /// </summary>
    IReadOnlyList<StoredItem>? Conversation(string owner, string responseId, long notBeforeMs);

    /// <summary>The item <paramref name="itemId"/> of a live response of <paramref name="owner"/>, or null.</summary>
    StoredItem? Item(string owner, string itemId, long notBeforeMs);

    /// <summary>The response object as the client received it, or null.</summary>
    string? Response(string owner, string responseId, long notBeforeMs);

    /// <summary>One page of the input items of <paramref name="responseId"/>; null when the response is not found.</summary>
    ItemPage? InputItems(string owner, string responseId, long notBeforeMs, in ItemPageQuery query);

    /// <summary>Deletes a response (and the items no other response refers to); false when not found.</summary>
    bool Delete(string owner, string responseId, long notBeforeMs);

    /// <summary>Deletes everything created before <paramref name="notBeforeMs"/>; returns how many responses went.</summary>
    int Purge(long notBeforeMs);
}

/// <summary>One Responses item (a message, function call, function call output, reasoning) as JSON, with its id.</summary>
public sealed record StoredItem(string Id, string Json);

/// <summary>
/// A response to store: the response object as the client received it, the whole context it was answered from
/// (the conversation it continued, then its own input) and its output items.
/// </summary>
public sealed record StoredResponse(
    string Id,
    string Owner,
    long CreatedAtMs,
    string? PreviousResponseId,
    string Status,
    string Json,
    IReadOnlyList<StoredItem> Input,
    IReadOnlyList<StoredItem> Output);

/// <summary>
/// A page request over a response's input items: a cursor (<c>after</c> or <c>before</c>, item ids), a size and
/// an order (ascending is the order the model read them).
/// </summary>
public readonly record struct ItemPageQuery(string? After, string? Before, int Limit, bool Ascending);

/// <summary>One page of items; <see cref="UnknownCursor"/> when the cursor names no item of the response.</summary>
public sealed record ItemPage(IReadOnlyList<StoredItem> Items, bool HasMore)
{
    /// <summary>The page for a cursor that is not an input item of the response.</summary>
    public static ItemPage UnknownCursor { get; } = new([], false);
}
