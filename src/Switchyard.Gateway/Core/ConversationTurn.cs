using System.Collections.Frozen;

namespace Switchyard.Core;

/// <summary>
/// An inbound format whose requests can continue a conversation the gateway stored (the OpenAI Responses API:
/// <c>previous_response_id</c>, <c>item_reference</c> items, <c>store</c>). The Conversations stage reads the
/// references, resolves them from the store before routing and binds the result with <see cref="Bind"/>; the
/// format reads it when it parses the request and reports its answer to it when it writes one. A capability,
/// not part of <see cref="IInboundFormat"/>: stateless formats do not implement it.
/// </summary>
public interface IConversationFormat
{
    /// <summary>
    /// Reads what <paramref name="body"/> refers to (no store access). Null on success, else the 400 to send (a
    /// reference without an id, a wrongly typed field).
    /// </summary>
    ClientError? ReadReferences(ReadOnlySpan<byte> body, out ConversationReferences references);

    /// <summary>
    /// Binds this request's turn. A bound format instance serves that one request: binding an instance twice
    /// throws, so a format shared between requests cannot mix two conversations up.
    /// </summary>
    void Bind(ConversationTurn turn);
}

/// <summary>What a request refers to in the store, as read by <see cref="IConversationFormat.ReadReferences"/>.</summary>
public sealed class ConversationReferences
{
    /// <summary>The client's <c>store</c> (true unless it sent <c>false</c>).</summary>
    public bool Store { get; init; } = true;

    /// <summary>The response this one continues, if any.</summary>
    public string? PreviousResponseId { get; init; }

    /// <summary>The ids of the stored items the input refers to, each once, in order of first use.</summary>
    public IReadOnlyList<string> ItemIds { get; init; } = [];
}

/// <summary>Where a turn's outcome goes (the Conversations feature's write queue).</summary>
public interface IConversationSink
{
    /// <summary>The answer is complete and was written to the client: keep it. Must not block.</summary>
    void Answered(ConversationTurn turn, StoredAnswer answer);

    /// <summary>The answer failed after its id reached the client (a cut stream): nothing is kept, and later references say why.</summary>
    void Failed(ConversationTurn turn, string reason);
}

/// <summary>A complete answer as the format wrote it: its status, the response object and its output items.</summary>
public sealed record StoredAnswer(string Status, string Json, IReadOnlyList<StoredItem> Output);

/// <summary>
/// One Responses request's place in a stored conversation. The Conversations stage sets what it continues
/// (resolved before routing, so every provider gets the whole conversation) and the id its answer gets; the
/// format adds the request's own input items when it parses it and reports the answer when it writes it.
/// </summary>
/// <param name="responseId">The id the answer gets (<c>resp_...</c>), unique: the gateway's, never an upstream's.</param>
/// <param name="owner">Who may read or continue it later (the caller's key id).</param>
/// <param name="store">Whether the answer is kept.</param>
public sealed class ConversationTurn(string responseId, string owner, bool store)
{
    private static readonly IReadOnlyDictionary<string, StoredItem> NoItems = FrozenDictionary<string, StoredItem>.Empty;

    /// <summary>Conversations: the id the answer gets.</summary>
    public string ResponseId { get; } = responseId;

    /// <summary>Conversations: the owner (key id).</summary>
    public string Owner { get; } = owner;

    /// <summary>Conversations: whether the answer is kept (the client did not send <c>store: false</c>, and the gateway stores).</summary>
    public bool Store { get; } = store;

    /// <summary>Conversations: the response this one continues, if any.</summary>
    public string? PreviousResponseId { get; init; }

    /// <summary>Conversations: the conversation <see cref="PreviousResponseId"/> ended with (its input, then its output), in order.</summary>
    public IReadOnlyList<StoredItem> History { get; init; } = [];

    /// <summary>Conversations: the stored items the input refers to, by id.</summary>
    public IReadOnlyDictionary<string, StoredItem> Referenced { get; init; } = NoItems;

    /// <summary>Conversations: where the outcome goes; null when nothing is kept (or in a dry run).</summary>
    public IConversationSink? Sink { get; init; }

    /// <summary>Format (parse): this request's own input items as they are kept, ids assigned, references resolved. Filled only when storing.</summary>
    public List<StoredItem> Input { get; } = [];

    /// <summary>Format: the answer is complete (written, or about to be flushed, to the client).</summary>
    public void Complete(StoredAnswer answer) => Sink?.Answered(this, answer);

    /// <summary>Format: the answer failed after the client saw its id.</summary>
    public void Fail(string reason) => Sink?.Failed(this, reason);
}
