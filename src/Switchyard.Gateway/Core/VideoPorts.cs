namespace Switchyard.Core;

/// <summary>
/// A provider's video jobs after the create (docs/adr/0017-beyond-chat.md, "Video jobs"): the create itself is a media
/// operation (<see cref="IMediaProvider"/>, whose answer carries an <see cref="AcceptedJob"/>); a poll, a download and a
/// delete go to the deployment that owns the job, never routed, through this port. Pure: it builds requests and reads
/// answers; the gateway renders the client's object (OpenAI's <c>video</c>) from <see cref="VideoState"/> and what it
/// stored at the create, so every provider answers in the same shape with the gateway's own id.
/// </summary>
public interface IVideoProvider
{
    /// <summary>The request that asks the provider for the job's state (OpenAI <c>GET /videos/{id}</c>, Veo's operation).</summary>
    HttpRequestMessage Poll(UpstreamObject job, DeploymentTarget deployment);

    /// <summary>The job's state from a 2xx answer to <see cref="Poll"/>.</summary>
    VideoState ReadPoll(ReadOnlySpan<byte> body);

    /// <summary>
    /// The request that downloads the finished video's <paramref name="variant"/> (<c>video</c>, <c>thumbnail</c>,
    /// <c>spritesheet</c>); throws <see cref="UnsupportedFeatureException"/> for a variant the provider has not.
    /// </summary>
    HttpRequestMessage Content(UpstreamObject job, VideoState state, string variant, DeploymentTarget deployment);

    /// <summary>The request that deletes the job's video at the provider, or null when it has no such call (Veo's files expire).</summary>
    HttpRequestMessage? Delete(UpstreamObject job, DeploymentTarget deployment);

    /// <summary>
    /// The request that makes a new job from the finished <paramref name="job"/> with the client's JSON
    /// <paramref name="body"/> (OpenAI's <c>{"prompt"}</c>); throws <see cref="UnsupportedFeatureException"/> when the
    /// provider has no remix (Veo).
    /// </summary>
    HttpRequestMessage Remix(UpstreamObject job, ReadOnlyMemory<byte> body, DeploymentTarget deployment);

    /// <summary>The job a 2xx answer to <see cref="Remix"/> says the provider accepted.</summary>
    AcceptedJob ReadAccepted(ReadOnlySpan<byte> body);
}

/// <summary>A job a provider accepted: its id there and what it said about it.</summary>
/// <param name="UpstreamId">The provider's id (OpenAI's <c>video_…</c>, Veo's operation name).</param>
/// <param name="State">Its state at acceptance.</param>
public sealed record AcceptedJob(string UpstreamId, VideoState State);

/// <summary>
/// What a provider says about a video job, in OpenAI's vocabulary: <c>queued</c>, <c>in_progress</c>, <c>completed</c>,
/// <c>failed</c>.
/// </summary>
/// <param name="Status">The status.</param>
/// <param name="Progress">Percent done (0-100), when the provider says.</param>
/// <param name="ErrorCode">Why it failed (a code), when it did.</param>
/// <param name="ErrorMessage">Why it failed, in words.</param>
/// <param name="ContentUri">Where the finished video is (Veo's file uri), when the provider gives one; null for OpenAI (its content endpoint).</param>
/// <param name="Seconds">Seconds of video the provider reports it made, when it does (else the seconds asked for are billed).</param>
public sealed record VideoState(string Status, int Progress = 0, string? ErrorCode = null, string? ErrorMessage = null, string? ContentUri = null, int? Seconds = null)
{
    /// <summary>True once the job can change no more.</summary>
    public bool IsFinal => Status is "completed" or "failed";
}

/// <summary>
/// Takes a job a provider accepted during a create (Dispatch hands it over on the upstream's 2xx): stores it under the
/// gateway's own id, owned by the caller's key, and returns the body the client gets (OpenAI's video object with that
/// id). Implemented where the jobs live (Jobs/VideoJobs); throws when the store fails.
/// </summary>
public interface IJobIntake
{
    /// <summary>Stores <paramref name="job"/>, accepted by <paramref name="deployment"/> for <paramref name="ctx"/>; the client's body.</summary>
    byte[] Accept(GatewayContext ctx, DeploymentTarget deployment, AcceptedJob job);
}
