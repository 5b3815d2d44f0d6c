using System.Text.Json;

namespace Switchyard.Providers.OpenAI;

/// <summary>
/// OpenAI's Videos API (sora-2, sora-2-pro) after the create, on an OpenAI-protocol deployment: <c>GET /videos/{id}</c>
/// for the state, <c>GET /videos/{id}/content?variant=</c> for the MP4 (or its <c>thumbnail</c>/<c>spritesheet</c>),
/// <c>DELETE /videos/{id}</c>. The client speaks this protocol already, so nothing is translated: the upstream's video
/// object is read for its status, progress and error, and the gateway answers with its own id in the same shape.
/// </summary>
public sealed class OpenAIVideos(IProviderAdapter adapter) : IVideoProvider
{
    /// <inheritdoc />
    public HttpRequestMessage Poll(UpstreamObject job, DeploymentTarget deployment) => Call(HttpMethod.Get, $"videos/{Uri.EscapeDataString(job.UpstreamId)}", deployment);

    /// <inheritdoc />
    public VideoState ReadPoll(ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body);
        using var doc = JsonDocument.ParseValue(ref reader);
        return State(doc.RootElement);
    }

    /// <inheritdoc />
    public HttpRequestMessage Content(UpstreamObject job, VideoState state, string variant, DeploymentTarget deployment) =>
        Call(HttpMethod.Get, $"videos/{Uri.EscapeDataString(job.UpstreamId)}/content?variant={Uri.EscapeDataString(variant)}", deployment);

    /// <inheritdoc />
    public HttpRequestMessage? Delete(UpstreamObject job, DeploymentTarget deployment) => Call(HttpMethod.Delete, $"videos/{Uri.EscapeDataString(job.UpstreamId)}", deployment);

    /// <inheritdoc />
    public HttpRequestMessage Remix(UpstreamObject job, ReadOnlyMemory<byte> body, DeploymentTarget deployment)
    {
        var message = Call(HttpMethod.Post, $"videos/{Uri.EscapeDataString(job.UpstreamId)}/remix", deployment);
        message.Content = new ReadOnlyMemoryContent(body);
        message.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        return message;
    }

    /// <inheritdoc />
    public AcceptedJob ReadAccepted(ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body);
        using var doc = JsonDocument.ParseValue(ref reader);
        return Accepted(doc.RootElement);
    }

    /// <summary>The job OpenAI accepted: its <c>id</c> and state, from the video object the create answered with.</summary>
    public static AcceptedJob Accepted(JsonElement video) =>
        new(video.GetProperty("id").GetString() ?? throw new InvalidOperationException("the video object has a null 'id'"), State(video));

    /// <summary>The state in an OpenAI video object: <c>status</c>, <c>progress</c>, <c>error{code,message}</c>, <c>seconds</c>.</summary>
    public static VideoState State(JsonElement video)
    {
        var status = video.GetProperty("status").GetString() switch
        {
            "queued" => "queued",
            "in_progress" => "in_progress",
            "completed" => "completed",
            "failed" => "failed",
            var other => throw new InvalidOperationException($"unknown video status '{other}'"),
        };
        var progress = video.TryGetProperty("progress", out var p) && p.TryGetInt32(out var n) ? n : 0;
        string? code = null, message = null;
        if (video.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
        {
            code = error.TryGetProperty("code", out var c) ? c.GetString() : null;
            message = error.TryGetProperty("message", out var m) ? m.GetString() : null;
        }

        int? seconds = video.TryGetProperty("seconds", out var s) && s.ValueKind == JsonValueKind.String && int.TryParse(s.GetString(), out var secs) ? secs : null;
        return new VideoState(status, progress, code, message, null, seconds);
    }

    private HttpRequestMessage Call(HttpMethod method, string path, DeploymentTarget deployment)
    {
        var message = new HttpRequestMessage(method, (Uri?)null);
        adapter.PreparePassthrough(message, deployment, Operation.Videos, stream: false);
        message.RequestUri = deployment.MediaUri(path);
        return message;
    }
}
