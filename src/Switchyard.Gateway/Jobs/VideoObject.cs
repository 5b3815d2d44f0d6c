using System.Buffers;
using System.Text.Json;

namespace Switchyard.Jobs;

/// <summary>
/// OpenAI's <c>video</c> object (its Videos API reference: <c>id</c>, <c>object</c>, <c>model</c>, <c>status</c>,
/// <c>progress</c>, <c>created_at</c>, <c>completed_at</c>, <c>expires_at</c>, <c>size</c>, <c>seconds</c> as a string,
/// <c>quality</c>, <c>remixed_from_video_id</c>, <c>error</c>), rendered from what the gateway stored: every provider's
/// job answers in this one shape under the gateway's id, and no provider id reaches the client.
/// </summary>
public static class VideoObject
{
    /// <summary>The object for <paramref name="job"/> as <paramref name="detail"/> last saw it.</summary>
    public static byte[] Render(UpstreamObject job, VideoDetail detail)
    {
        var buffer = new ArrayBufferWriter<byte>(384);
        using (var w = new Utf8JsonWriter(buffer))
        {
            Write(w, job, detail);
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Writes the object.</summary>
    public static void Write(Utf8JsonWriter w, UpstreamObject job, VideoDetail detail)
    {
        var state = detail.State;
        w.WriteStartObject();
        w.WriteString("id", job.Id);
        w.WriteString("object", "video");
        w.WriteString("model", job.Route);
        w.WriteString("status", job.Status);
        w.WriteNumber("progress", job.Status == "completed" ? 100 : state.Progress);
        w.WriteNumber("created_at", job.CreatedAtMs / 1000);
        if (detail.CompletedAtMs is { } done)
        {
            w.WriteNumber("completed_at", done / 1000);
        }
        else
        {
            w.WriteNull("completed_at");
        }

        w.WriteNull("expires_at");
        w.WriteString("size", detail.Size);
        w.WriteString("seconds", detail.BilledSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        w.WriteString("quality", "standard");
        w.WriteString("remixed_from_video_id", detail.RemixedFrom);
        if (job.Status == "failed")
        {
            w.WriteStartObject("error");
            w.WriteString("code", state.ErrorCode ?? "video_generation_failed");
            w.WriteString("message", state.ErrorMessage ?? "The provider reported the job as failed.");
            w.WriteEndObject();
        }
        else
        {
            w.WriteNull("error");
        }

        w.WriteEndObject();
    }

    /// <summary>A page of the caller's jobs: OpenAI's list object (<c>data</c>, <c>first_id</c>, <c>last_id</c>, <c>has_more</c>).</summary>
    public static byte[] RenderList(UpstreamObjectPage page)
    {
        var buffer = new ArrayBufferWriter<byte>(256 + (page.Items.Count * 384));
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("object", "list");
            w.WriteStartArray("data");
            foreach (var job in page.Items)
            {
                Write(w, job, VideoDetail.Of(job));
            }

            w.WriteEndArray();
            w.WriteString("first_id", page.Items.Count > 0 ? page.Items[0].Id : null);
            w.WriteString("last_id", page.Items.Count > 0 ? page.Items[^1].Id : null);
            w.WriteBoolean("has_more", page.HasMore);
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
