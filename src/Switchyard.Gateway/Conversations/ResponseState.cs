using System.Collections.Concurrent;
using System.Data.Common;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Switchyard.Conversations;

/// <summary>How a lookup in the response state ended: the closed set the stage and the endpoints answer from.</summary>
public enum StateOutcome
{
    /// <summary>There, owned by the caller, not expired.</summary>
    Found,

    /// <summary>Unknown, another key's, expired or deleted: all look the same to the caller.</summary>
    NotFound,

    /// <summary>The caller's answer went out but was not kept (too large, failed, store unavailable); the detail says why.</summary>
    NotKept,

    /// <summary>The store could not be read; the detail says why.</summary>
    Unavailable,
}

/// <summary>A lookup's outcome, its value when found, and the reason when not kept or unavailable.</summary>
public readonly record struct StateLookup<T>(StateOutcome Outcome, T? Value = null, string? Detail = null) where T : class;

/// <summary>
/// The gateway's Responses API state: reads for the Conversations stage and the <c>/v1/responses/{id}</c>
/// endpoints, and the write side (<see cref="IConversationSink"/>) that keeps complete answers without ever
/// making a client wait for the store. Answers are queued (bounded) and written by one loop off the request
/// path; a read that misses while the same owner has answers queued waits for them (bounded), so a client that
/// continues a conversation the moment its answer arrives still finds it. What could not be kept is remembered
/// (bounded) so that a later reference says why instead of a bare "not found".
/// </summary>
public sealed partial class ResponseState : IConversationSink, IAsyncDisposable
{
    /// <summary>Answers waiting for the writer, at most; beyond it an answer is not kept (and says so later).</summary>
    public const int QueueCapacity = 1024;

    /// <summary>The longest context (items) a kept response may have: the input_items and history bound.</summary>
    public const int MaxContextItems = 10_000;

    /// <summary>How long a read that missed waits for the same owner's queued answers.</summary>
    public static readonly TimeSpan PendingWait = TimeSpan.FromSeconds(5);

    /// <summary>Reasons kept for answers that were not stored, at most (oldest forgotten first).</summary>
    private const int NotKeptCapacity = 10_000;

    private readonly IResponseStore store;
    private readonly RouterState router;
    private readonly TimeProvider time;
    private readonly ILogger logger;
    private readonly ConcurrentDictionary<string, Pending> pending = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Owner, string Id), string> notKept = new();
    private readonly ConcurrentQueue<(string Owner, string Id)> notKeptOrder = new();

    /// <summary>Starts the writer loop over <paramref name="store"/>; retention and size bounds come from the live config.</summary>
    public ResponseState(IResponseStore store, RouterState router, TimeProvider time, ILogger<ResponseState> logger)
    {
        this.store = store;
        this.router = router;
        this.time = time;
        this.logger = logger;
        channel = Channel.CreateBounded<Pending>(new BoundedChannelOptions(QueueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        loop = Task.Run(RunAsync);
    }

    /// <summary>The store (tests read it directly).</summary>
    public IResponseStore Store => store;

    /// <summary>The conversation a continuation of <paramref name="responseId"/> starts from.</summary>
    public ValueTask<StateLookup<IReadOnlyList<StoredItem>>> ConversationAsync(string owner, string responseId) =>
        ReadAsync(owner, responseId, notBefore => store.Conversation(owner, responseId, notBefore));

    /// <summary>A stored item the caller may reference.</summary>
    public ValueTask<StateLookup<StoredItem>> ItemAsync(string owner, string itemId) =>
        ReadAsync(owner, null, notBefore => store.Item(owner, itemId, notBefore));

    /// <summary>The response object, as the client received it.</summary>
    public ValueTask<StateLookup<string>> ResponseAsync(string owner, string responseId) =>
        ReadAsync(owner, responseId, notBefore => store.Response(owner, responseId, notBefore));

    /// <summary>A page of the response's input items.</summary>
    public ValueTask<StateLookup<ItemPage>> InputItemsAsync(string owner, string responseId, ItemPageQuery query) =>
        ReadAsync(owner, responseId, notBefore => store.InputItems(owner, responseId, notBefore, query));

    /// <summary>Deletes the response; <see cref="StateOutcome.Found"/> when it was there.</summary>
    public ValueTask<StateLookup<string>> DeleteAsync(string owner, string responseId) =>
        ReadAsync(owner, responseId, notBefore => store.Delete(owner, responseId, notBefore) ? responseId : null);

    /// <summary>Everything created before this (Unix ms) has expired under the live retention.</summary>
    private long NotBefore() =>
        time.GetUtcNow().ToUnixTimeMilliseconds() - (long)router.Current.Config.Responses.Retention.TotalMilliseconds;

    /// <summary>One read, again after the owner's queued answers are written if it missed; storage failures become data.</summary>
    private async ValueTask<StateLookup<T>> ReadAsync<T>(string owner, string? responseId, Func<long, T?> read) where T : class
    {
        try
        {
            var value = read(NotBefore());
            if (value is null && await WaitForPendingAsync(owner).ConfigureAwait(false))
            {
                value = read(NotBefore());
            }

            if (value is not null)
            {
                return new(StateOutcome.Found, value);
            }

            return responseId is not null && notKept.TryGetValue((owner, responseId), out var reason)
                ? new(StateOutcome.NotKept, null, reason)
                : new(StateOutcome.NotFound);
        }
        catch (Exception ex) when (ex is DbException or IOException or InvalidOperationException)
        {
            Warn("reading it failed: " + ex.Message);
            return new(StateOutcome.Unavailable, null, ex.Message);
        }
    }

    /// <summary>Waits (bounded) for the owner's queued answers; false when there were none.</summary>
    private async ValueTask<bool> WaitForPendingAsync(string owner)
    {
        List<Task>? waits = null;
        foreach (var entry in pending.Values)
        {
            if (entry.Response.Owner == owner)
            {
                (waits ??= []).Add(entry.Done.Task);
            }
        }

        if (waits is null)
        {
            return false;
        }

        try
        {
            await Task.WhenAll(waits).WaitAsync(PendingWait, time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Read what is there: a stuck writer must not hold a request longer than this.
        }

        return true;
    }

    /// <summary>Remembers why an answer of <paramref name="owner"/> was not kept (bounded: the oldest reasons go first).</summary>
    private void RememberNotKept(string owner, string id, string reason)
    {
        if (notKept.TryAdd((owner, id), reason))
        {
            notKeptOrder.Enqueue((owner, id));
            while (notKeptOrder.Count > NotKeptCapacity && notKeptOrder.TryDequeue(out var oldest))
            {
                notKept.TryRemove(oldest, out _);
            }
        }
    }
}
