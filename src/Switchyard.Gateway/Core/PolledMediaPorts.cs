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

    /// <summary>
    /// What a job used whatever its end (a failed prediction on hardware-billed models is still billed its seconds), for a
    /// request that asked <paramref name="ask"/> (its size and quality price its images).
    /// </summary>
    MediaUsage Used(PolledJob job, MediaAsk? ask);
}

/// <summary>
/// A polled-job provider whose upstream also reports a job's progress by webhook (Replicate's <c>webhook</c>): the
/// gateway's <c>POST /v1/webhooks/{kind}/{deployment}</c> checks each delivery with <see cref="Verify"/> before it
/// believes a byte of it, reads it with <see cref="IPolledMediaProvider.Inspect"/>, updates the stored job and settles
/// its usage once, so a job whose client left is still billed when it ends. Pure, like the rest of the port.
/// </summary>
public interface IJobWebhooks
{
    /// <summary>
    /// Null when the delivery is authentic (signed with <paramref name="provider"/>'s signing secret) and fresh at
    /// <paramref name="now"/>; otherwise why it is refused. Never echoes the secret or the expected signature.
    /// </summary>
    string? Verify(Func<string, string?> header, ReadOnlySpan<byte> body, ProviderConfig provider, DateTimeOffset now);

    /// <summary>The URL the upstream should call for a job of <paramref name="deployment"/>, or null when none is configured.</summary>
    string? CallbackUrl(DeploymentTarget deployment);
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

/// <summary>
/// What the gateway keeps about a polled job in <see cref="IUpstreamObjectStore"/> (kind <see cref="Kind"/>), in the
/// object's detail JSON: enough for whoever sees the job end (the request's own poller, a webhook, another replica) to
/// price it and write its usage record with the right key, team, customer and operation.
/// </summary>
/// <param name="RequestId">The request that created it.</param>
/// <param name="Operation">Its <see cref="Core.Operation"/>, by name (<c>ImageGenerations</c>).</param>
/// <param name="Ask">What it asked for (the images' size and quality price them).</param>
/// <param name="TeamId">The key's team, or null.</param>
/// <param name="CustomerId">The customer it was made for, or null.</param>
public sealed record PolledJobDetail(string RequestId, string Operation, MediaAsk? Ask, string? TeamId, string? CustomerId)
{
    /// <summary>The store kind of these jobs: Replicate's word for them.</summary>
    public const string Kind = "prediction";

    /// <summary>The detail as JSON.</summary>
    public string ToJson()
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(192);
        using (var w = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("request_id", RequestId);
            w.WriteString("operation", Operation);
            w.WriteString("size", Ask?.Size);
            w.WriteString("quality", Ask?.Quality);
            w.WriteString("team", TeamId);
            w.WriteString("customer", CustomerId);
            w.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>The detail <see cref="ToJson"/> wrote; null for none or another shape.</summary>
    public static PolledJobDetail? Parse(string? json)
    {
        if (json is null)
        {
            return null;
        }

        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(json);
            var root = doc.RootElement;
            string? Get(string name) => root.TryGetProperty(name, out var v) ? v.GetString() : null;
            return new PolledJobDetail(Get("request_id") ?? "", Get("operation") ?? "", new MediaAsk(Size: Get("size"), Quality: Get("quality")), Get("team"), Get("customer"));
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidOperationException)
        {
            return null;
        }
    }
}
