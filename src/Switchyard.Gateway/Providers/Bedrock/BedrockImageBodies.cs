using System.Globalization;
using System.Text.Json;

namespace Switchyard.Providers.Bedrock;

/// <summary>
/// OpenAI image requests as Bedrock <c>InvokeModel</c> bodies (shapes read 2026-12-06 with the search tool: AWS's
/// Titan Image Generator InvokeModel example and the Stability model pages of the Bedrock user guide). Pure.
/// <list type="bullet">
/// <item>Amazon Titan Image Generator v2 (and Nova Canvas, same schema): <c>{"taskType":"TEXT_IMAGE",
/// "textToImageParams":{"text"},"imageGenerationConfig":{"numberOfImages","width","height","quality"}}</c>; OpenAI's
/// <c>hd</c>/<c>high</c> quality is Titan's <c>premium</c>, <c>standard</c> its <c>standard</c>.</item>
/// <item>Stability (SD3.5 Large, Stable Image Core and Ultra): <c>{"prompt","mode":"text-to-image","aspect_ratio",
/// "output_format"}</c>, one image per call, so <c>n</c> above 1 is refused.</item>
/// </list>
/// Both answer base64 images only, so <c>response_format: url</c> is refused (another deployment may serve it) and
/// no <c>response_format</c> means <c>b64_json</c>, as for Imagen. Every other field without an equivalent is refused by
/// name; <c>user</c> (an abuse-monitoring id) is the one left out.
/// </summary>
internal static class BedrockImageBodies
{
    /// <summary>Titan's sizes (its user guide's table); OpenAI's 256x256 and the DALL-E 3 wide sizes have none.</summary>
    private static readonly HashSet<string> TitanSizes =
    [
        "1024x1024", "768x768", "512x512", "768x1152", "384x576", "1152x768", "576x384", "768x1280", "384x640", "1280x768", "640x384",
        "896x1152", "448x576", "1152x896", "576x448", "768x1408", "384x704", "1408x768", "704x384", "640x1408", "320x704",
        "1408x640", "704x320", "1152x640", "1173x640",
    ];

    /// <summary>True for a model id this class can write a body for.</summary>
    public static bool IsTitan(string model) =>
        model.Contains("titan-image", StringComparison.OrdinalIgnoreCase) || model.Contains("nova-canvas", StringComparison.OrdinalIgnoreCase);

    /// <summary>True for a Stability image model on Bedrock (bare, a cross-region profile, or an ARN).</summary>
    public static bool IsStability(string model) => model.Contains("stability.", StringComparison.OrdinalIgnoreCase);

    /// <summary>The Titan body.</summary>
    public static void Titan(Utf8JsonWriter w, JsonElement request)
    {
        string? prompt = null, size = null, quality = null;
        var count = 1;
        foreach (var field in request.EnumerateObject())
        {
            switch (field.Name)
            {
                case "prompt": prompt = field.Value.GetString(); break;
                case "n": count = field.Value.GetInt32(); break;
                case "size" when field.Value.GetString() is "auto": break;
                case "size" when TitanSizes.Contains(field.Value.GetString() ?? ""): size = field.Value.GetString(); break;
                case "size": throw new UnsupportedFeatureException("size", $"Titan Image Generator has no size '{field.Value.GetString()}' (1024x1024, 512x512, 1152x640, ... see its user guide)");
                case "quality": quality = TitanQuality(field.Value.GetString()); break;
                default: Common(field); break;
            }
        }

        w.WriteStartObject();
        w.WriteString("taskType", "TEXT_IMAGE");
        w.WriteStartObject("textToImageParams");
        w.WriteString("text", prompt);
        w.WriteEndObject();
        w.WriteStartObject("imageGenerationConfig");
        w.WriteNumber("numberOfImages", count);
        if (size is not null)
        {
            var x = size.IndexOf('x', StringComparison.Ordinal);
            w.WriteNumber("width", int.Parse(size.AsSpan(0, x), CultureInfo.InvariantCulture));
            w.WriteNumber("height", int.Parse(size.AsSpan(x + 1), CultureInfo.InvariantCulture));
        }

        if (quality is not null)
        {
            w.WriteString("quality", quality);
        }

        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>The Stability body.</summary>
    public static void Stability(Utf8JsonWriter w, JsonElement request)
    {
        string? prompt = null, ratio = null, format = null;
        foreach (var field in request.EnumerateObject())
        {
            switch (field.Name)
            {
                case "prompt": prompt = field.Value.GetString(); break;
                case "n" when field.Value.GetInt32() == 1: break;
                case "n": throw new UnsupportedFeatureException("n", "Stability models on Bedrock make one image per request");
                case "size": ratio = StabilityRatio(field.Value.GetString()); break;
                case "output_format": format = StabilityFormat(field.Value.GetString()); break;
                case "quality" when field.Value.GetString() is "auto" or "standard": break;
                default: Common(field); break;
            }
        }

        w.WriteStartObject();
        w.WriteString("prompt", prompt);
        w.WriteString("mode", "text-to-image");
        if (ratio is not null)
        {
            w.WriteString("aspect_ratio", ratio);
        }

        if (format is not null)
        {
            w.WriteString("output_format", format);
        }

        w.WriteEndObject();
    }

    /// <summary>Fields both families treat alike: the model (in the URL), the end-user id (left out), the answer format (bytes only).</summary>
    private static void Common(JsonProperty field)
    {
        switch (field.Name)
        {
            case "model" or "user":
                return;
            case "response_format" when field.Value.GetString() is "b64_json":
                return;
            case "response_format":
                throw new UnsupportedFeatureException("response_format", "Bedrock image models return image bytes, not URLs; ask for 'b64_json'");
            default:
                throw new UnsupportedFeatureException(field.Name, "Bedrock's image models take no equivalent parameter");
        }
    }

    private static string? TitanQuality(string? quality) => quality switch
    {
        "auto" => null,
        "standard" => "standard",
        "hd" or "high" => "premium",
        _ => throw new UnsupportedFeatureException("quality", $"Titan has 'standard' and 'premium' ('hd'), not '{quality}'"),
    };

    /// <summary>Stability's aspect ratio for an OpenAI size; null for <c>auto</c>.</summary>
    private static string? StabilityRatio(string? size) => size switch
    {
        null or "auto" => null,
        "256x256" or "512x512" or "1024x1024" => "1:1",
        "1792x1024" => "16:9",
        "1024x1792" => "9:16",
        "1536x1024" => "3:2",
        "1024x1536" => "2:3",
        _ => throw new UnsupportedFeatureException("size", $"Stability models have no aspect ratio for '{size}'"),
    };

    private static string StabilityFormat(string? format) => format switch
    {
        "png" or "jpeg" => format,
        _ => throw new UnsupportedFeatureException("output_format", $"Stability models on Bedrock write png or jpeg, not '{format}'"),
    };
}
