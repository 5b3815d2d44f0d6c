namespace Switchyard.Core;

/// <summary>
/// A media provider whose upstream answers a create with a job that may still be running (Replicate's predictions:
/// <c>starting</c>, <c>processing</c>, then <c>succeeded</c>, <c>failed</c> or <c>canceled</c>). The dispatcher sends
/// <see cref="IMediaProvider.Build"/>'s create, then, while the job runs, the polls this port builds, on the gateway's
/// clock and within the attempt's deadline; it cancels the job when the client goes away or the deadline passes, fetches
/// the outputs the client's answer needs as bytes, and hands everything back to <see cref="Finish"/>. Like
/// <see cref="IMediaProvider"/> it is pure: it builds requests and reads bodies, the dispatcher does the I/O.
/// Once the upstream has accepted the job (a 2xx create with an id), nothing falls back: the job is billed where it runs.
/// </summary>
public interface IPolledMediaProvider : IMediaProvider
{
    /// <summary>The job a 2xx create or poll answer describes. Throws a <see cref="System.Text.Json.JsonException"/> for a body that is not one.</summary>
    PolledJob Inspect(ReadOnlySpan<byte> body);

    /// <summary>How long to wait between two polls of a running job on <paramref name="deployment"/>.</summary>
    TimeSpan PollInterval(DeploymentTarget deployment);

    /// <summary>The request that reads the job's current state.</summary>
    HttpRequestMessage BuildPoll(PolledJob job, DeploymentTarget deployment);

    /// <summary>The request that cancels the job (sent when the client left or the deadline passed).</summary>
    HttpRequestMessage BuildCancel(PolledJob job, DeploymentTarget deployment);

    /// <summary>
    /// The outputs of a succeeded job whose bytes the client's answer needs (an image asked as <c>b64_json</c> that the
    /// upstream gives as a URL); empty when the answer carries the URLs themselves.
    /// </summary>
    IReadOnlyList<Uri> Downloads(PolledJob job, MediaCall call);

    /// <summary>
    /// The client's answer for a succeeded job, with the bytes of <see cref="Downloads"/> in the same order. Throws
    /// <see cref="UnsupportedFeatureException"/> when an output cannot be given in the shape asked.
    /// </summary>
    MediaAnswer Finish(PolledJob job, IReadOnlyList<byte[]> downloads, MediaCall call, DeploymentTarget deployment);

    /// <summary>What a job used whatever its end (a failed prediction on hardware-billed models is still billed its seconds).</summary>
    MediaUsage Used(PolledJob job, MediaCall call);
}

/// <summary>Where a polled job stands.</summary>
public enum JobPhase
{
    /// <summary>Queued or running (<c>starting</c>, <c>processing</c>).</summary>
    Running,

    /// <summary>Finished with its outputs (<c>succeeded</c>).</summary>
    Succeeded,

    /// <summary>Finished without them (<c>failed</c>): <see cref="PolledJob.Error"/> says why.</summary>
    Failed,

    /// <summary>Cancelled (by the gateway, or by someone else with the account's key).</summary>
    Canceled,
}

/// <summary>One observation of a job at its provider.</summary>
/// <param name="Id">The provider's id for it.</param>
/// <param name="Status">The provider's own word for its state (<c>starting</c>, <c>processing</c>, ...).</param>
/// <param name="Phase">That state in the gateway's terms.</param>
/// <param name="Outputs">Its outputs (URLs or data URIs), empty until it succeeded.</param>
/// <param name="Error">Why it failed, or null.</param>
/// <param name="Seconds">The compute time the provider reports (Replicate's <c>metrics.predict_time</c>), or 0.</param>
public sealed record PolledJob(string Id, string Status, JobPhase Phase, IReadOnlyList<string> Outputs, string? Error, double Seconds)
{
    /// <summary>True when the job will not change any more.</summary>
    public bool IsFinal => Phase != JobPhase.Running;
}
