using System.Text.Json;

namespace Switchyard.Providers.Replicate;

/// <summary>
/// Reads a Replicate prediction object (what a create, a <c>GET /predictions/{id}</c>, a cancel and a webhook all carry):
/// <c>id</c>, <c>status</c> (<c>starting</c>, <c>processing</c>, <c>succeeded</c>, <c>failed</c>, <c>canceled</c>),
/// <c>output</c> (a model's own shape: for image models an array of file URLs, or a single URL), <c>error</c> and
/// <c>metrics.predict_time</c> (seconds of hardware time, what community models are billed by). Pure.
/// </summary>
internal static class ReplicatePrediction
{
    /// <summary>The job the body describes; throws <see cref="JsonException"/> or <see cref="KeyNotFoundException"/> when it is not a prediction.</summary>
    public static PolledJob Read(ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body);
        using var doc = JsonDocument.ParseValue(ref reader);
        return Read(doc.RootElement);
    }

    /// <summary>The job <paramref name="prediction"/> describes.</summary>
    public static PolledJob Read(JsonElement prediction)
    {
        var id = prediction.GetProperty("id").GetString() ?? throw new JsonException("the prediction has a null id");
        var status = prediction.GetProperty("status").GetString() ?? "";
        var phase = status switch
        {
            "starting" or "processing" => JobPhase.Running,
            "succeeded" => JobPhase.Succeeded,
            "failed" => JobPhase.Failed,
            "canceled" => JobPhase.Canceled,
            _ => throw new JsonException($"unknown prediction status '{status}'"),
        };

        var error = prediction.TryGetProperty("error", out var e) && e.ValueKind != JsonValueKind.Null
            ? e.ValueKind == JsonValueKind.String ? e.GetString() : e.GetRawText()
            : null;
        var seconds = prediction.TryGetProperty("metrics", out var metrics) && metrics.ValueKind == JsonValueKind.Object
            && metrics.TryGetProperty("predict_time", out var t) && t.TryGetDouble(out var s) ? s : 0;
        return new PolledJob(id, status, phase, phase == JobPhase.Succeeded ? Outputs(prediction) : [], error, seconds);
    }

    /// <summary>The output files: an array of URLs, or one URL; other shapes (text, objects) are not images.</summary>
    private static List<string> Outputs(JsonElement prediction)
    {
        var outputs = new List<string>();
        if (!prediction.TryGetProperty("output", out var output))
        {
            return outputs;
        }

        if (output.ValueKind == JsonValueKind.String)
        {
            outputs.Add(output.GetString()!);
        }
        else if (output.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in output.EnumerateArray())
            {
                outputs.Add(item.ValueKind == JsonValueKind.String ? item.GetString()! : throw new JsonException("an output that is not a file URL"));
            }
        }

        return outputs;
    }
}
