using System.Text.Json;

namespace Switchyard.Providers.Replicate;

/// <summary>
/// An OpenAI image request as a Replicate prediction's <c>input</c>, in the parameter names Replicate's image models
/// share (FLUX's schema: <c>prompt</c>, <c>num_outputs</c>, <c>aspect_ratio</c>, <c>output_format</c>,
/// <c>output_quality</c>). Pure. Every field with no equivalent is refused by name, never dropped (<c>user</c>, an abuse
/// monitoring id that changes no image, is the one left out); <c>response_format</c> is the gateway's to honour
/// (<see cref="ReplicateImages"/>), not the model's, so it is read but not sent.
/// </summary>
internal static class ReplicateInput
{
    /// <summary>Writes <c>"input": {...}</c>; throws <see cref="UnsupportedFeatureException"/> for what cannot be sent.</summary>
    public static void Write(Utf8JsonWriter w, JsonElement request)
    {
        w.WriteStartObject("input");
        foreach (var field in request.EnumerateObject())
        {
            switch (field.Name)
            {
                case "model" or "user" or "response_format":
                    break;
                case "prompt":
                    w.WriteString("prompt", field.Value.GetString());
                    break;
                case "n":
                    w.WriteNumber("num_outputs", field.Value.GetInt32());
                    break;
                case "size" when AspectRatio(field.Value.GetString()) is { } ratio:
                    w.WriteString("aspect_ratio", ratio);
                    break;
                case "size":
                    break; // auto: the model's default
                case "output_format":
                    w.WriteString("output_format", Format(field.Value.GetString()));
                    break;
                case "output_compression":
                    w.WriteNumber("output_quality", field.Value.GetInt32());
                    break;
                case "quality" when field.Value.GetString() is "auto" or "standard":
                    break;
                default:
                    throw new UnsupportedFeatureException(field.Name, "Replicate's image models take no equivalent input");
            }
        }

        w.WriteEndObject();
    }

    /// <summary>
    /// An OpenAI video request (<c>prompt</c>, <c>seconds</c>, <c>size</c>) as the input of Replicate's video models
    /// (Kling's and most others' names: <c>prompt</c>, <c>duration</c>, <c>aspect_ratio</c>); an <c>input_reference</c>
    /// upload and every other field are refused by name.
    /// </summary>
    public static void WriteVideo(Utf8JsonWriter w, JsonElement request)
    {
        w.WriteStartObject("input");
        foreach (var field in request.EnumerateObject())
        {
            switch (field.Name)
            {
                case "model" or "user":
                    break;
                case "prompt":
                    w.WriteString("prompt", field.Value.GetString());
                    break;
                case "seconds":
                    w.WriteNumber("duration", int.Parse(field.Value.ValueKind == JsonValueKind.String ? field.Value.GetString()! : field.Value.GetRawText(), System.Globalization.CultureInfo.InvariantCulture));
                    break;
                case "size":
                    w.WriteString("aspect_ratio", field.Value.GetString() switch
                    {
                        "1280x720" or "1920x1080" => "16:9",
                        "720x1280" or "1080x1920" => "9:16",
                        var other => throw new UnsupportedFeatureException("size", $"Replicate's video models have no aspect ratio for '{other}'"),
                    });
                    break;
                default:
                    throw new UnsupportedFeatureException(field.Name, "Replicate's video models take no equivalent input");
            }
        }

        w.WriteEndObject();
    }

    /// <summary>The answer format asked: <c>url</c> (OpenAI's default for DALL-E, and what Replicate gives) or <c>b64_json</c>.</summary>
    public static bool WantsBytes(JsonElement request)
    {
        if (!request.TryGetProperty("response_format", out var format) || format.ValueKind == JsonValueKind.Null)
        {
            return false;
        }

        return format.GetString() switch
        {
            "b64_json" => true,
            "url" => false,
            var other => throw new UnsupportedFeatureException("response_format", $"'{other}' is neither 'url' nor 'b64_json'"),
        };
    }

    /// <summary>
    /// FLUX's aspect ratio for an OpenAI size (DALL-E 3's 1792x1024 taken as 16:9, gpt-image-1's 1536x1024 as 3:2); null
    /// for <c>auto</c>; anything else refused rather than silently reshaped.
    /// </summary>
    private static string? AspectRatio(string? size) => size switch
    {
        null or "auto" => null,
        "256x256" or "512x512" or "1024x1024" => "1:1",
        "1792x1024" => "16:9",
        "1024x1792" => "9:16",
        "1536x1024" => "3:2",
        "1024x1536" => "2:3",
        _ => throw new UnsupportedFeatureException("size", $"Replicate's image models have no aspect ratio for '{size}' (sizes taken: 1024x1024, 1792x1024, 1024x1792, 1536x1024, 1024x1536)"),
    };

    /// <summary>gpt-image-1's format names in FLUX's (<c>jpeg</c> is <c>jpg</c> there).</summary>
    private static string Format(string? format) => format switch
    {
        "png" => "png",
        "webp" => "webp",
        "jpeg" => "jpg",
        _ => throw new UnsupportedFeatureException("output_format", $"'{format}' is not png, jpeg or webp"),
    };
}
