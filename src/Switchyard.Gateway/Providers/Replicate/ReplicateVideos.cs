namespace Switchyard.Providers.Replicate;

/// <summary>
/// A Replicate video model (<c>kwaivgi/kling-…</c>, <c>minimax/video-01</c>, ...) behind <c>/v1/videos</c> after its create
/// (<see cref="ReplicateImages"/> builds the create and reads it as an <see cref="AcceptedJob"/>): the prediction is polled
/// at <c>GET /predictions/{id}</c> (with the token), its status read in OpenAI's words (<c>starting</c> → queued,
/// <c>processing</c> → in_progress, <c>succeeded</c> → completed with the output file as the content URI, <c>failed</c>
/// and <c>canceled</c> → failed), and the video downloaded from that file URL without the token. Replicate has no
/// thumbnail, spritesheet, remix or delete of a prediction (an API prediction's files are removed after an hour), so
/// those are refused by name or, for delete, forgotten at the gateway only.
/// </summary>
public sealed class ReplicateVideos : IVideoProvider
{
    private readonly ReplicateAdapter auth = new();

    /// <inheritdoc />
    public HttpRequestMessage Poll(UpstreamObject job, DeploymentTarget deployment)
    {
        var message = new HttpRequestMessage(HttpMethod.Get, deployment.MediaUri("predictions/" + Uri.EscapeDataString(job.UpstreamId)));
        auth.PreparePassthrough(message, deployment, Operation.Videos, stream: false);
        return message;
    }

    /// <inheritdoc />
    public VideoState ReadPoll(ReadOnlySpan<byte> body) => State(ReplicatePrediction.Read(body));

    /// <inheritdoc />
    public HttpRequestMessage Content(UpstreamObject job, VideoState state, string variant, DeploymentTarget deployment) =>
        variant != "video" ? throw new UnsupportedFeatureException("variant", $"Replicate gives the video only, not a '{variant}'")
        : state.ContentUri is { } uri && Uri.TryCreate(uri, UriKind.Absolute, out var file) && file.Scheme is "https" or "http"
            ? new HttpRequestMessage(HttpMethod.Get, file) // the delivery URL takes no token: it is not sent
            : throw new UnsupportedFeatureException("variant", $"prediction '{job.UpstreamId}' has no video file");

    /// <inheritdoc />
    public HttpRequestMessage? Delete(UpstreamObject job, DeploymentTarget deployment) => null;

    /// <inheritdoc />
    public HttpRequestMessage Remix(UpstreamObject job, ReadOnlyMemory<byte> body, DeploymentTarget deployment) =>
        throw new UnsupportedFeatureException("video_id", "Replicate has no remix of a prediction");

    /// <inheritdoc />
    public AcceptedJob ReadAccepted(ReadOnlySpan<byte> body) => Accepted(ReplicatePrediction.Read(body));

    /// <summary>The job a create's prediction is.</summary>
    internal static AcceptedJob Accepted(PolledJob prediction) => new(prediction.Id, State(prediction));

    /// <summary>A prediction's state in OpenAI's video words.</summary>
    internal static VideoState State(PolledJob prediction) => prediction.Phase switch
    {
        JobPhase.Running => new VideoState(prediction.Status == "starting" ? "queued" : "in_progress"),
        JobPhase.Succeeded => new VideoState("completed", 100, ContentUri: prediction.Outputs.Count > 0 ? prediction.Outputs[0] : null),
        _ => new VideoState("failed", 0, "replicate_" + prediction.Status, prediction.Error ?? $"the prediction was {prediction.Status}"),
    };
}
