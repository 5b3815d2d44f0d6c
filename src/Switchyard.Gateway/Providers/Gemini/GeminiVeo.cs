using System.Net.Http.Headers;
using System.Text.Json;
using Switchyard.Canonical;

namespace Switchyard.Providers.Gemini;

/// <summary>
/// OpenAI's Videos API on Veo through the Gemini API, translated both ways. The create is
/// <c>POST models/{model}:predictLongRunning</c> with <c>{"instances":[{"prompt","image"?}],"parameters":{"durationSeconds",
/// "aspectRatio","resolution"}}</c>, answered with a long-running operation (<c>{"name": "models/…/operations/…"}</c>: the
/// job's id there). A poll is <c>GET {name}</c>: not <c>done</c> is <c>in_progress</c>; <c>done</c> with
/// <c>response.generateVideoResponse.generatedSamples[0].video.uri</c> is <c>completed</c> (the uri is downloaded with the
/// key), <c>done</c> with <c>error</c> or with every sample withheld by the safety filter (<c>raiMediaFilteredReasons</c>)
/// is <c>failed</c>. A size becomes an aspect ratio and resolution (1280x720 → 16:9 720p, 1920x1080 → 16:9 1080p, and
/// portrait alike); one Veo has not (1792x1024) and every field it cannot honour are refused by name, never dropped.
/// Veo has no delete: its files expire (two days), so a delete forgets the job at the gateway only.
/// </summary>
public sealed class GeminiVeo : IMediaProvider, IVideoProvider
{
    /// <inheritdoc />
    public OperationKinds Serves => OperationKinds.Videos;

    /// <inheritdoc />
    public HttpRequestMessage Build(MediaCall call, DeploymentTarget deployment)
    {
        using var doc = JsonDocument.Parse(call.Body);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            Write(w, doc.RootElement, call.Head.Needs.Media?.Seconds ?? 0, call.Form);
        }

        var message = Call(HttpMethod.Post, $"models/{Uri.EscapeDataString(deployment.Config.UpstreamModel)}:predictLongRunning", deployment);
        message.Content = new ByteArrayContent(buffer.WrittenSpan.ToArray());
        message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return message;
    }

    /// <summary>The <c>:predictLongRunning</c> body; throws <see cref="UnsupportedFeatureException"/> for what Veo cannot do.</summary>
    internal static void Write(Utf8JsonWriter w, JsonElement request, int seconds, UploadedForm? form)
    {
        string? prompt = null;
        (string Ratio, string Resolution)? shape = null;
        foreach (var field in request.EnumerateObject())
        {
            switch (field.Name)
            {
                case "model" or "seconds": // seconds: read by the head (a string or a number), passed below
                    break;
                case "prompt":
                    prompt = field.Value.GetString();
                    break;
                case "size":
                    shape = Shape(field.Value.GetString());
                    break;
                default:
                    throw new UnsupportedFeatureException(field.Name, "Veo's predictLongRunning API has no equivalent");
            }
        }

        w.WriteStartObject();
        w.WriteStartArray("instances");
        w.WriteStartObject();
        w.WriteString("prompt", prompt);
        WriteImage(w, form);
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteStartObject("parameters");
        w.WriteNumber("durationSeconds", seconds);
        if (shape is { } s)
        {
            w.WriteString("aspectRatio", s.Ratio);
            w.WriteString("resolution", s.Resolution);
        }

        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>
    /// The <c>input_reference</c> image as Veo's <c>image{bytesBase64Encoded, mimeType}</c>: the first frame. Read from
    /// its spooled file (bounded by <c>server.max_upload_size</c>), since Veo takes it inline.
    /// </summary>
    private static void WriteImage(Utf8JsonWriter w, UploadedForm? form)
    {
        if (form is null)
        {
            return;
        }

        foreach (var file in form.Files)
        {
            if (file.Name != "input_reference")
            {
                throw new UnsupportedFeatureException(file.Name, "Veo takes one reference image, 'input_reference'");
            }

            using var stream = file.Open();
            var bytes = new byte[file.Length];
            stream.ReadExactly(bytes);
            w.WriteStartObject("image");
            w.WriteBase64String("bytesBase64Encoded", bytes);
            w.WriteString("mimeType", file.ContentType ?? "image/png");
            w.WriteEndObject();
        }
    }

    /// <summary>Veo's aspect ratio and resolution for an OpenAI size; null for none (Veo's default, 16:9 720p).</summary>
    private static (string, string)? Shape(string? size) => size switch
    {
        null => null,
        "1280x720" => ("16:9", "720p"),
        "720x1280" => ("9:16", "720p"),
        "1920x1080" => ("16:9", "1080p"),
        "1080x1920" => ("9:16", "1080p"),
        _ => throw new UnsupportedFeatureException("size", $"Veo has no size '{size}' (it makes 1280x720, 720x1280, 1920x1080 and 1080x1920)"),
    };

    /// <inheritdoc />
    public MediaAnswer Read(ReadOnlySpan<byte> body, string? contentType, MediaCall call, DeploymentTarget deployment)
    {
        var reader = new Utf8JsonReader(body);
        using var doc = JsonDocument.ParseValue(ref reader);
        var name = doc.RootElement.GetProperty("name").GetString() ?? throw new InvalidOperationException("the operation has a null 'name'");
        var state = State(doc.RootElement);
        return new MediaAnswer(ReadOnlyMemory<byte>.Empty, "application/json", default, default(TokenUsage))
        {
            Job = new AcceptedJob(name, state.Status == "in_progress" ? state with { Status = "queued" } : state),
        };
    }

    /// <inheritdoc />
    public HttpRequestMessage Poll(UpstreamObject job, DeploymentTarget deployment) => Call(HttpMethod.Get, job.UpstreamId, deployment);

    /// <inheritdoc />
    public VideoState ReadPoll(ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body);
        using var doc = JsonDocument.ParseValue(ref reader);
        return State(doc.RootElement);
    }

    /// <summary>The state of a long-running operation (see the class summary).</summary>
    internal static VideoState State(JsonElement operation)
    {
        if (!operation.TryGetProperty("done", out var done) || !done.GetBoolean())
        {
            return new VideoState("in_progress");
        }

        if (operation.TryGetProperty("error", out var error))
        {
            return new VideoState("failed", 0, error.TryGetProperty("status", out var st) ? st.GetString() : "video_generation_failed",
                error.TryGetProperty("message", out var m) ? m.GetString() : null);
        }

        var video = operation.GetProperty("response").GetProperty("generateVideoResponse");
        if (video.TryGetProperty("generatedSamples", out var samples) && samples.GetArrayLength() > 0)
        {
            return new VideoState("completed", 100, ContentUri: samples[0].GetProperty("video").GetProperty("uri").GetString());
        }

        var reasons = video.TryGetProperty("raiMediaFilteredReasons", out var r) ? string.Join("; ", r.EnumerateArray().Select(x => x.GetString())) : null;
        return new VideoState("failed", 0, "content_filtered", reasons is { Length: > 0 } ? reasons : "Veo returned no video.");
    }

    /// <inheritdoc />
    public HttpRequestMessage Content(UpstreamObject job, VideoState state, string variant, DeploymentTarget deployment)
    {
        if (variant != "video")
        {
            throw new UnsupportedFeatureException("variant", "Veo makes the video only (no thumbnail or spritesheet)");
        }

        var uri = new Uri(state.ContentUri ?? throw new UnsupportedFeatureException("video_id", "Veo gave no file uri for this video"));
        var message = new HttpRequestMessage(HttpMethod.Get, uri);
        if (uri.Host == deployment.Config.Provider.BaseUrl.Host)
        {
            Authorize(message, deployment); // the key goes to the Gemini API's own host only, never to where a uri points
        }

        return message;
    }

    /// <inheritdoc />
    public HttpRequestMessage? Delete(UpstreamObject job, DeploymentTarget deployment) => null;

    /// <inheritdoc />
    public HttpRequestMessage Remix(UpstreamObject job, ReadOnlyMemory<byte> body, DeploymentTarget deployment) =>
        throw new UnsupportedFeatureException("video_id", "Veo on the Gemini API has no remix of a generated video");

    /// <inheritdoc />
    public AcceptedJob ReadAccepted(ReadOnlySpan<byte> body) => throw new NotSupportedException("Veo has no remix");

    private static HttpRequestMessage Call(HttpMethod method, string path, DeploymentTarget deployment)
    {
        var baseUrl = deployment.Config.Provider.BaseUrl.ToString().TrimEnd('/');
        var message = new HttpRequestMessage(method, $"{baseUrl}/{path}");
        Authorize(message, deployment);
        return message;
    }

    private static void Authorize(HttpRequestMessage message, DeploymentTarget deployment)
    {
        if (deployment.LeaseKey(message) is { } lease)
        {
            message.Headers.TryAddWithoutValidation("x-goog-api-key", lease.Key);
        }

        foreach (var (name, value) in deployment.Config.Provider.Headers)
        {
            message.Headers.TryAddWithoutValidation(name, value);
        }
    }
}
