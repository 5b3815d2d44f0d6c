using System.Net.Http.Headers;
using System.Text.Json;
using Switchyard.Canonical;

namespace Switchyard.Providers.Gemini;

/// <summary>
/// OpenAI image generation on Imagen through the Gemini API's <c>models/{model}:predict</c>
/// (<c>{"instances":[{"prompt"}],"parameters":{"sampleCount","aspectRatio"}}</c> →
/// <c>{"predictions":[{"bytesBase64Encoded","mimeType"}]}</c>), translated both ways. Imagen answers with bytes only,
/// so a request for <c>url</c> answers is refused (400, or the next deployment of the plan); no <c>response_format</c>
/// means <c>b64_json</c>, as for gpt-image-1. A size becomes Imagen's aspect ratio when it has one (1:1, 16:9, 9:16,
/// 4:3, 3:4), and every field Imagen cannot honour is refused by name, never dropped (<c>user</c>, an end-user id for
/// abuse monitoring that changes no image, is the one field left out).
/// </summary>
public sealed class GeminiImagen : IMediaProvider
{
    /// <inheritdoc />
    public OperationKinds Serves => OperationKinds.Images;

    /// <inheritdoc />
    public HttpRequestMessage Build(MediaCall call, DeploymentTarget deployment)
    {
        using var doc = JsonDocument.Parse(call.Body);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            Write(w, doc.RootElement);
        }

        var model = deployment.Config.UpstreamModel;
        var baseUrl = deployment.Config.Provider.BaseUrl.ToString().TrimEnd('/');
        var message = new HttpRequestMessage(HttpMethod.Post, $"{baseUrl}/models/{Uri.EscapeDataString(model)}:predict")
        {
            Content = new ByteArrayContent(buffer.WrittenSpan.ToArray()),
        };
        message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (deployment.LeaseKey(message) is { } lease)
        {
            message.Headers.TryAddWithoutValidation("x-goog-api-key", lease.Key);
        }

        foreach (var (name, value) in deployment.Config.Provider.Headers)
        {
            message.Headers.TryAddWithoutValidation(name, value);
        }

        return message;
    }

    /// <summary>The <c>:predict</c> body; throws <see cref="UnsupportedFeatureException"/> for what Imagen cannot do.</summary>
    internal static void Write(Utf8JsonWriter w, JsonElement request)
    {
        string? prompt = null, ratio = null;
        int? count = null;
        foreach (var field in request.EnumerateObject())
        {
            switch (field.Name)
            {
                case "model" or "user":
                    break;
                case "prompt":
                    prompt = field.Value.GetString();
                    break;
                case "n":
                    count = field.Value.GetInt32();
                    break;
                case "size":
                    ratio = AspectRatio(field.Value.GetString());
                    break;
                case "response_format" when field.Value.GetString() == "url":
                    throw new UnsupportedFeatureException("response_format", "Imagen returns image bytes, not URLs; ask for 'b64_json'");
                case "response_format" when field.Value.GetString() == "b64_json":
                    break;
                case "quality" when field.Value.GetString() is "auto" or "standard":
                    break;
                default:
                    throw new UnsupportedFeatureException(field.Name, "Imagen's predict API has no equivalent");
            }
        }

        w.WriteStartObject();
        w.WriteStartArray("instances");
        w.WriteStartObject();
        w.WriteString("prompt", prompt);
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteStartObject("parameters");
        w.WriteNumber("sampleCount", count ?? 1);
        if (ratio is not null)
        {
            w.WriteString("aspectRatio", ratio);
        }

        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>Imagen's aspect ratio for an OpenAI size (DALL-E 3's 1792x1024 is taken as 16:9); null for <c>auto</c>.</summary>
    private static string? AspectRatio(string? size) => size switch
    {
        null or "auto" => null,
        "256x256" or "512x512" or "1024x1024" or "2048x2048" => "1:1",
        "1792x1024" or "1408x768" => "16:9",
        "1024x1792" or "768x1408" => "9:16",
        "1280x896" or "1024x768" => "4:3",
        "896x1280" or "768x1024" => "3:4",
        _ => throw new UnsupportedFeatureException("size", $"Imagen has no aspect ratio for '{size}' (it takes 1:1, 16:9, 9:16, 4:3 and 3:4)"),
    };

    /// <inheritdoc />
    public MediaAnswer Read(ReadOnlySpan<byte> body, string? contentType, MediaCall call, DeploymentTarget deployment)
    {
        var reader = new Utf8JsonReader(body);
        using var doc = JsonDocument.ParseValue(ref reader);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(body.Length + 64);
        var images = 0;
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("created", call.CreatedUnixSeconds);
            w.WriteStartArray("data");
            if (doc.RootElement.TryGetProperty("predictions", out var predictions))
            {
                foreach (var prediction in predictions.EnumerateArray())
                {
                    // A prediction withheld by Imagen's safety filter carries raiFilteredReason and no bytes: not an image.
                    if (prediction.TryGetProperty("bytesBase64Encoded", out var bytes))
                    {
                        w.WriteStartObject();
                        w.WriteString("b64_json", bytes.GetString());
                        w.WriteEndObject();
                        images++;
                    }
                }
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        var ask = call.Head.Needs.Media;
        return new MediaAnswer(buffer.WrittenMemory, "application/json", new MediaUsage { Images = images, Size = ask?.Size, Quality = ask?.Quality }, default(TokenUsage));
    }
}
