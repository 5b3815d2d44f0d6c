using System.Text;
using System.Text.Json.Nodes;

namespace Switchyard.Tests.TestKit.Bedrock;

/// <summary>
/// The fake Bedrock's <c>InvokeModel</c> for image models, strict like the real schemas (read 2026-12-06 with the search
/// tool: AWS's Titan Image Generator InvokeModel example, the Stable Diffusion 3.5 Large, Stable Image Core and Ultra
/// request/response pages). Titan (<c>amazon.titan-image-generator-v2:0</c>): <c>taskType</c> must be TEXT_IMAGE,
/// <c>textToImageParams</c> takes <c>text</c>/<c>negativeText</c>, <c>imageGenerationConfig</c> takes
/// <c>numberOfImages</c> (1–5), <c>width</c>, <c>height</c>, <c>quality</c> (standard|premium), <c>cfgScale</c>,
/// <c>seed</c>; answers <c>{"images":[base64…],"error":null}</c>. Stability (<c>stability.*</c>): <c>prompt</c>,
/// <c>mode</c>, <c>aspect_ratio</c>, <c>output_format</c> (jpeg|png), <c>seed</c>, <c>negative_prompt</c>; answers
/// <c>{"seeds","finish_reasons","images"}</c>, and a prompt containing "forbidden" is filtered
/// (<c>finish_reasons: ["Filter reason: prompt"]</c>, no image). Anything else: 400 ValidationException naming it.
/// </summary>
public static class BedrockImageModels
{
    private static readonly HashSet<string> TitanTop = ["taskType", "textToImageParams", "imageGenerationConfig"];
    private static readonly HashSet<string> TitanText = ["text", "negativeText"];
    private static readonly HashSet<string> TitanConfig = ["numberOfImages", "width", "height", "quality", "cfgScale", "seed"];
    private static readonly HashSet<string> StabilityFields = ["prompt", "mode", "aspect_ratio", "output_format", "seed", "negative_prompt"];
    private static readonly HashSet<string> Ratios = ["16:9", "1:1", "21:9", "2:3", "3:2", "4:5", "5:4", "9:16", "9:21"];

    /// <summary>The bytes of image <paramref name="index"/> the fake makes.</summary>
    public static byte[] Image(int index) => Encoding.ASCII.GetBytes($"\u0089PNG-bedrock-{index}");

    /// <summary>The reply for an <c>invoke</c> of <paramref name="modelId"/> with <paramref name="body"/>.</summary>
    public static BedrockReply Invoke(string modelId, string body)
    {
        if (JsonNode.Parse(body) is not JsonObject json)
        {
            return Invalid("the body is not a JSON object");
        }

        if (modelId.Contains("titan-image", StringComparison.Ordinal))
        {
            return Titan(json) is { } problem ? Invalid(problem) : Images(json["imageGenerationConfig"]?["numberOfImages"]?.GetValue<int>() ?? 1, stability: false);
        }

        if (modelId.StartsWith("stability.", StringComparison.Ordinal))
        {
            return Stability(json) is { } problem ? Invalid(problem)
                : json["prompt"]!.GetValue<string>().Contains("forbidden", StringComparison.Ordinal)
                    ? BedrockReply.Json("""{"seeds":[42],"finish_reasons":["Filter reason: prompt"],"images":[null]}""")
                    : Images(1, stability: true);
        }

        return BedrockReply.Error(404, "ResourceNotFoundException", $"model {modelId} does not support InvokeModel in this fake");
    }

    private static string? Titan(JsonObject json)
    {
        return Unknown(json, TitanTop, "") ?? (json["taskType"]?.GetValue<string>() != "TEXT_IMAGE" ? "taskType: expected TEXT_IMAGE"
            : json["textToImageParams"] is not JsonObject text || text["text"] is null ? "textToImageParams.text: required"
            : Unknown(text, TitanText, "textToImageParams.")
              ?? (json["imageGenerationConfig"] is JsonObject config
                  ? Unknown(config, TitanConfig, "imageGenerationConfig.") ?? TitanValues(config)
                  : null));
    }

    private static string? TitanValues(JsonObject config) =>
        config["numberOfImages"]?.GetValue<int>() is < 1 or > 5 ? "imageGenerationConfig.numberOfImages: 1 to 5"
        : config["quality"]?.GetValue<string>() is { } q && q is not ("standard" or "premium") ? "imageGenerationConfig.quality: standard or premium"
        : (config["width"] is null) != (config["height"] is null) ? "imageGenerationConfig: width and height go together"
        : null;

    private static string? Stability(JsonObject json) =>
        Unknown(json, StabilityFields, "") ?? (json["prompt"] is null ? "prompt: required"
            : json["aspect_ratio"]?.GetValue<string>() is { } r && !Ratios.Contains(r) ? "aspect_ratio: not an allowed ratio"
            : json["output_format"]?.GetValue<string>() is { } f && f is not ("jpeg" or "png") ? "output_format: jpeg or png"
            : json["mode"]?.GetValue<string>() is { } m && m != "text-to-image" ? "mode: only text-to-image without an image"
            : null);

    private static string? Unknown(JsonObject json, HashSet<string> allowed, string prefix) =>
        json.Select(p => p.Key).FirstOrDefault(k => !allowed.Contains(k)) is { } unknown ? $"{prefix}{unknown}: extraneous key [{unknown}] is not permitted" : null;

    private static BedrockReply Invalid(string message) => BedrockReply.Error(400, "ValidationException", message);

    private static BedrockReply Images(int count, bool stability)
    {
        var images = new JsonArray([.. Enumerable.Range(0, count).Select(i => (JsonNode)JsonValue.Create(Convert.ToBase64String(Image(i))))]);
        var body = stability
            ? new JsonObject { ["seeds"] = new JsonArray(42), ["finish_reasons"] = new JsonArray((JsonNode?)null), ["images"] = images }
            : new JsonObject { ["images"] = images, ["error"] = null };
        return BedrockReply.Json(body.ToJsonString());
    }
}
