using System.Buffers;
using System.Text.Json;

namespace Switchyard.Jobs;

/// <summary>
/// What the gateway keeps about a video job beside the store's columns (<see cref="UpstreamObject.Detail"/>): what was
/// asked (seconds, size), whom to bill (team, customer: the key is the owner), and what the provider last said (progress,
/// error, the file uri Veo downloads from). The prompt is not kept: the store is not a place for what clients wrote.
/// </summary>
/// <param name="Seconds">Seconds asked for: billed at completion unless the provider reports its own.</param>
/// <param name="Size">The size asked for (<c>1280x720</c>), or null for the model's default.</param>
/// <param name="TeamId">The creating key's team, for the completion's record.</param>
/// <param name="CustomerId">The customer the create was made for, for the completion's record.</param>
/// <param name="State">What the provider last said.</param>
/// <param name="CompletedAtMs">When the gateway first saw it completed (Unix ms), or null.</param>
public sealed record VideoDetail(int Seconds, string? Size, string? TeamId, string? CustomerId, VideoState State, long? CompletedAtMs = null)
{
    /// <summary>The gateway id of the video this one remixes, or null.</summary>
    public string? RemixedFrom { get; init; }

    /// <summary>The JSON stored in <see cref="UpstreamObject.Detail"/>.</summary>
    public string ToJson()
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("seconds", Seconds);
            Optional(w, "size", Size);
            Optional(w, "team", TeamId);
            Optional(w, "customer", CustomerId);
            w.WriteNumber("progress", State.Progress);
            Optional(w, "error_code", State.ErrorCode);
            Optional(w, "error_message", State.ErrorMessage);
            Optional(w, "content_uri", State.ContentUri);
            Optional(w, "remixed_from", RemixedFrom);
            if (State.Seconds is { } made)
            {
                w.WriteNumber("made_seconds", made);
            }

            if (CompletedAtMs is { } done)
            {
                w.WriteNumber("completed_at_ms", done);
            }

            w.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>The detail of <paramref name="job"/> (its status is the store's column).</summary>
    public static VideoDetail Of(UpstreamObject job)
    {
        using var doc = JsonDocument.Parse(job.Detail ?? "{}");
        var d = doc.RootElement;
        var state = new VideoState(job.Status, Int(d, "progress") ?? 0, Str(d, "error_code"), Str(d, "error_message"), Str(d, "content_uri"), Int(d, "made_seconds"));
        return new VideoDetail(Int(d, "seconds") ?? 0, Str(d, "size"), Str(d, "team"), Str(d, "customer"), state,
            d.TryGetProperty("completed_at_ms", out var c) ? c.GetInt64() : null) { RemixedFrom = Str(d, "remixed_from") };
    }

    /// <summary>The seconds billed: what the provider says it made, else what was asked.</summary>
    public int BilledSeconds => State.Seconds ?? Seconds;

    private static void Optional(Utf8JsonWriter w, string name, string? value)
    {
        if (value is not null)
        {
            w.WriteString(name, value);
        }
    }

    private static string? Str(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static int? Int(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.TryGetInt32(out var n) ? n : null;
}
