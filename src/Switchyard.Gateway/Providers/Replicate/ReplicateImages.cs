using System.Buffers;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using Switchyard.Canonical;

namespace Switchyard.Providers.Replicate;

/// <summary>
/// OpenAI image generation as a Replicate prediction. The create goes to <c>POST /models/{owner}/{name}/predictions</c>
/// (official models) or <c>POST /predictions</c> with <c>version</c> (a deployment model <c>owner/name:version</c>), with
/// <c>Prefer: wait=N</c> so a fast model answers in the create itself; a prediction still running is then polled at
/// <c>GET /predictions/{id}</c> and, when the client leaves or the deadline passes, cancelled at
/// <c>POST /predictions/{id}/cancel</c>. Those URLs are built from the configured base, never taken from the answer's
/// <c>urls</c>, so the API token only ever goes to the host the operator named. Outputs are file URLs: they become
/// <c>data[].url</c>, or, for <c>b64_json</c>, are fetched without the token (the dispatcher bounds their size).
/// </summary>
public sealed class ReplicateImages : IPolledMediaProvider, IJobWebhooks
{
    private static readonly TimeSpan DefaultPollInterval = TimeSpan.FromSeconds(1);

    private readonly ReplicateAdapter auth = new();

    /// <inheritdoc />
    public OperationKinds Serves => OperationKinds.Images | OperationKinds.Videos;

    /// <inheritdoc />
    public HttpRequestMessage Build(MediaCall call, DeploymentTarget deployment)
    {
        if (call.Operation == Operation.Videos)
        {
            return BuildVideo(call, deployment);
        }

        using var doc = JsonDocument.Parse(call.Body);
        ReplicateInput.WantsBytes(doc.RootElement); // an unknown response_format is refused before anything is sent
        var (path, version) = Target(deployment.Config.UpstreamModel);
        var buffer = new ArrayBufferWriter<byte>(call.Body.Length + 64);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            if (version is not null)
            {
                w.WriteString("version", version);
            }

            ReplicateInput.Write(w, doc.RootElement);
            if (CallbackUrl(deployment) is { } webhook)
            {
                // Only the end is needed: it settles a job whose client left (docs/adr/0017-beyond-chat.md).
                w.WriteString("webhook", webhook);
                w.WriteStartArray("webhook_events_filter");
                w.WriteStringValue("completed");
                w.WriteEndArray();
            }

            w.WriteEndObject();
        }

        var message = new HttpRequestMessage(HttpMethod.Post, deployment.MediaUri(path)) { Content = new ByteArrayContent(buffer.WrittenSpan.ToArray()) };
        message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        message.Headers.TryAddWithoutValidation("Prefer", "wait=" + WaitSeconds(deployment).ToString(CultureInfo.InvariantCulture));
        auth.PreparePassthrough(message, deployment, call.Operation, stream: false);
        return message;
    }

    /// <summary>
    /// A video create (<c>/v1/videos</c>): the prediction is taken in as a job (<see cref="ReplicateVideos"/>) and answered at
    /// once, so no <c>Prefer: wait</c>; an <c>input_reference</c> upload is refused (Replicate takes files as URLs).
    /// </summary>
    private HttpRequestMessage BuildVideo(MediaCall call, DeploymentTarget deployment)
    {
        if (call.Form is { Files.Count: > 0 })
        {
            throw new UnsupportedFeatureException("input_reference", "Replicate's video models take a start image as a URL, not an upload");
        }

        using var doc = JsonDocument.Parse(call.Body);
        var (path, version) = Target(deployment.Config.UpstreamModel);
        var buffer = new ArrayBufferWriter<byte>(call.Body.Length + 64);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            if (version is not null)
            {
                w.WriteString("version", version);
            }

            ReplicateInput.WriteVideo(w, doc.RootElement);
            w.WriteEndObject();
        }

        var message = new HttpRequestMessage(HttpMethod.Post, deployment.MediaUri(path)) { Content = new ByteArrayContent(buffer.WrittenSpan.ToArray()) };
        message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        auth.PreparePassthrough(message, deployment, call.Operation, stream: false);
        return message;
    }

    /// <summary>
    /// The create path and version of a deployment model: <c>owner/name</c> runs the official model, <c>owner/name:version</c>
    /// that version of a community model.
    /// </summary>
    internal static (string Path, string? Version) Target(string model)
    {
        var colon = model.IndexOf(':', StringComparison.Ordinal);
        var name = colon < 0 ? model : model[..colon];
        var slash = name.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == name.Length - 1 || name.IndexOf('/', slash + 1) >= 0)
        {
            throw new UnsupportedFeatureException("model", $"a Replicate model is 'owner/name' or 'owner/name:version', not '{model}'");
        }

        return colon < 0
            ? ($"models/{Uri.EscapeDataString(name[..slash])}/{Uri.EscapeDataString(name[(slash + 1)..])}/predictions", null)
            : ("predictions", model[(colon + 1)..]);
    }

    /// <summary>
    /// How long Replicate may hold the create (<c>settings.wait</c>, default 60 s, its maximum), kept a second under the
    /// deployment's first-byte timeout so that the hold never looks like a dead upstream.
    /// </summary>
    private static int WaitSeconds(DeploymentTarget deployment)
    {
        var configured = int.TryParse(deployment.Config.Provider.Setting("wait"), NumberStyles.None, CultureInfo.InvariantCulture, out var w)
            ? w : ReplicateProvider.MaxWaitSeconds;
        var underFirstByte = (int)Math.Floor(deployment.Config.Timeouts.FirstByte.TotalSeconds) - 1;
        return Math.Clamp(Math.Min(configured, underFirstByte), 1, ReplicateProvider.MaxWaitSeconds);
    }

    /// <inheritdoc />
    public string? Verify(Func<string, string?> header, ReadOnlySpan<byte> body, ProviderConfig provider, DateTimeOffset now) =>
        ReplicateWebhooks.Verify(header, body, provider.Setting("webhook_secret"), now);

    /// <summary><c>settings.webhook_url</c> (the gateway's public <c>…/v1/webhooks/replicate</c>) and the deployment's name, or null.</summary>
    public string? CallbackUrl(DeploymentTarget deployment) =>
        deployment.Config.Provider.Setting("webhook_url") is { Length: > 0 } root ? root.TrimEnd('/') + "/" + Uri.EscapeDataString(deployment.Name) : null;

    /// <inheritdoc />
    public PolledJob Inspect(ReadOnlySpan<byte> body) => ReplicatePrediction.Read(body);

    /// <inheritdoc />
    public TimeSpan PollInterval(DeploymentTarget deployment) =>
        deployment.Config.Provider.Setting("poll_interval") is { } text && ValueParsers.TryParseDuration(text, out var interval, out _)
            ? interval : DefaultPollInterval;

    /// <inheritdoc />
    public HttpRequestMessage BuildPoll(PolledJob job, DeploymentTarget deployment)
    {
        var message = new HttpRequestMessage(HttpMethod.Get, deployment.MediaUri("predictions/" + Uri.EscapeDataString(job.Id)));
        auth.PreparePassthrough(message, deployment, Operation.ImageGenerations, stream: false);
        return message;
    }

    /// <inheritdoc />
    public HttpRequestMessage BuildCancel(PolledJob job, DeploymentTarget deployment)
    {
        var message = new HttpRequestMessage(HttpMethod.Post, deployment.MediaUri("predictions/" + Uri.EscapeDataString(job.Id) + "/cancel"));
        auth.PreparePassthrough(message, deployment, Operation.ImageGenerations, stream: false);
        return message;
    }

    /// <inheritdoc />
    public IReadOnlyList<Uri> Downloads(PolledJob job, MediaCall call)
    {
        using var doc = JsonDocument.Parse(call.Body);
        if (!ReplicateInput.WantsBytes(doc.RootElement))
        {
            return [];
        }

        var urls = new List<Uri>(job.Outputs.Count);
        foreach (var output in job.Outputs)
        {
            if (!output.StartsWith("data:", StringComparison.Ordinal))
            {
                urls.Add(Uri.TryCreate(output, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http"
                    ? uri : throw new JsonException("an output that is not an http(s) URL"));
            }
        }

        return urls;
    }

    /// <inheritdoc />
    public MediaAnswer Finish(PolledJob job, IReadOnlyList<byte[]> downloads, MediaCall call, DeploymentTarget deployment)
    {
        using var doc = JsonDocument.Parse(call.Body);
        var bytes = ReplicateInput.WantsBytes(doc.RootElement);
        var buffer = new ArrayBufferWriter<byte>(256 + downloads.Sum(d => d.Length * 4 / 3));
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("created", call.CreatedUnixSeconds);
            w.WriteStartArray("data");
            var next = 0;
            foreach (var output in job.Outputs)
            {
                w.WriteStartObject();
                if (!bytes)
                {
                    w.WriteString("url", output);
                }
                else
                {
                    w.WriteString("b64_json", output.StartsWith("data:", StringComparison.Ordinal) ? DataUriPayload(output) : Convert.ToBase64String(downloads[next++]));
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return new MediaAnswer(buffer.WrittenMemory, "application/json", Used(job, call.Head.Needs.Media), default(TokenUsage));
    }

    /// <inheritdoc />
    public MediaUsage Used(PolledJob job, MediaAsk? ask)
    {
        return new MediaUsage { Images = job.Phase == JobPhase.Succeeded ? job.Outputs.Count : 0, Size = ask?.Size, Quality = ask?.Quality, Seconds = job.Seconds };
    }

    /// <inheritdoc />
    public MediaAnswer Read(ReadOnlySpan<byte> body, string? contentType, MediaCall call, DeploymentTarget deployment)
    {
        var job = Inspect(body);
        if (call.Operation == Operation.Videos)
        {
            return new MediaAnswer(body.ToArray(), "application/json", default, default(TokenUsage)) { Job = ReplicateVideos.Accepted(job) };
        }

        return job.Phase == JobPhase.Succeeded && Downloads(job, call).Count == 0
            ? Finish(job, [], call, deployment)
            : throw new InvalidOperationException($"prediction '{job.Id}' is {job.Status}: it must be followed, not read once");
    }

    /// <summary>The base64 payload of a <c>data:image/png;base64,...</c> output (Replicate's inline files).</summary>
    private static string DataUriPayload(string uri)
    {
        var comma = uri.IndexOf(',', StringComparison.Ordinal);
        return comma > 0 && uri.AsSpan(0, comma).EndsWith(";base64", StringComparison.Ordinal)
            ? uri[(comma + 1)..]
            : throw new UnsupportedFeatureException("response_format", "the model returned an inline output that is not base64");
    }
}
