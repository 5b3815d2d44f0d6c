namespace Switchyard.Core;

/// <summary>
/// Durable map from the ids the gateway hands out for things that live at a provider (a video job, an uploaded file,
/// a batch, a prediction) to the provider side: which deployment owns it, its id there, and which key created it.
/// It is what lets a poll, a download or a cancel reach the replica-independent owner after a restart, keeps one key
/// from reading another's objects, and (<see cref="TrySettle"/>) makes the usage of a long-running job recorded exactly
/// once however many pollers, webhooks and replicas see it finish. Implementations throw on storage failures.
/// </summary>
public interface IUpstreamObjectStore : IDisposable
{
    /// <summary>Stores a new object; false (and nothing changed) when its id is already taken.</summary>
    bool Add(UpstreamObject item);

    /// <summary>The object <paramref name="id"/> if <paramref name="owner"/> created it, else null (unknown or another key's).</summary>
    UpstreamObject? Get(string owner, string id);

    /// <summary>
    /// The object of <paramref name="kind"/> a provider knows as <paramref name="upstreamId"/> at <paramref name="deployment"/>,
    /// whoever owns it: for a provider's webhook, which names only its own id. Null when none.
    /// </summary>
    UpstreamObject? FindByUpstream(string kind, string deployment, string upstreamId);

    /// <summary>
    /// One page of <paramref name="owner"/>'s objects of <paramref name="kind"/>, newest first (OpenAI's list order):
    /// those created before the object <paramref name="after"/> when given (a cursor that is not the owner's object of
    /// that kind gives an empty page), at most <paramref name="limit"/>, and whether more follow.
    /// </summary>
    UpstreamObjectPage List(string owner, string kind, string? after, int limit);

    /// <summary>Records what the provider last said: its status and the feature's detail JSON; false when not found.</summary>
    bool Update(string id, string status, string? detail, long nowMs);

    /// <summary>
    /// Marks the object's usage as recorded, once: true for the single caller that did it, false when it was already
    /// settled (by this replica or another) or does not exist. Call it before writing the usage record.
    /// </summary>
    bool TrySettle(string id, long nowMs);

    /// <summary>
    /// Objects of <paramref name="kind"/> not settled yet, oldest first, at most <paramref name="limit"/>: what a
    /// background poller has to follow so a job's usage is recorded even when its client never asks again.
    /// </summary>
    IReadOnlyList<UpstreamObject> Unsettled(string kind, int limit);

    /// <summary>Forgets the object if <paramref name="owner"/> created it; false when not found.</summary>
    bool Delete(string owner, string id);
}

/// <summary>
/// One object that lives at a provider, as the gateway knows it.
/// </summary>
/// <param name="Id">The id the client sees (unique across kinds).</param>
/// <param name="Kind">What it is: <c>video</c>, <c>file</c>, <c>batch</c>, <c>prediction</c> (the feature's own word).</param>
/// <param name="Owner">The id of the virtual key that created it (the caller's key id).</param>
/// <param name="Route">The model or alias the client asked for (for records and explain), or empty.</param>
/// <param name="Deployment">The deployment that owns it upstream (its config name).</param>
/// <param name="UpstreamId">The provider's own id (an OpenAI <c>file-…</c>, a Veo operation name, a prediction id).</param>
/// <param name="Status">The status the provider last reported, in the feature's vocabulary.</param>
/// <param name="CreatedAtMs">When the gateway created it (Unix ms).</param>
/// <param name="UpdatedAtMs">When its status was last recorded (Unix ms).</param>
/// <param name="Detail">The feature's own JSON (what it needs to answer a poll or settle the usage), or null.</param>
/// <param name="SettledAtMs">When its usage was recorded (Unix ms), or null while it has not been.</param>
public sealed record UpstreamObject(
    string Id,
    string Kind,
    string Owner,
    string Route,
    string Deployment,
    string UpstreamId,
    string Status,
    long CreatedAtMs,
    long UpdatedAtMs,
    string? Detail,
    long? SettledAtMs = null);

/// <summary>One page of a key's objects, newest first, and whether older ones follow.</summary>
public sealed record UpstreamObjectPage(IReadOnlyList<UpstreamObject> Items, bool HasMore);
