using System.Buffers;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Switchyard.Canonical;

namespace Switchyard.Providers.Bedrock;

/// <summary>
/// OpenAI image generation on Bedrock's <c>InvokeModel</c> (<c>POST /model/{modelId}/invoke</c>, signed with SigV4 like
/// the Converse calls): Amazon Titan Image Generator (and Nova Canvas) and Stability's models, translated both ways by
/// <see cref="BedrockImageBodies"/>. Both answer <c>{"images":[base64...]}</c>; Stability adds <c>finish_reasons</c>,
/// where a non-null reason (<c>Filter reason: prompt</c>, <c>Inference error</c>) marks an image withheld: it is
/// neither answered nor counted, as Imagen's filtered predictions are not.
/// </summary>
public sealed class BedrockImages(TimeProvider time, Func<string, string?> environment) : IMediaProvider
{
    private readonly ConditionalWeakTable<DeploymentTarget, BedrockTarget> targets = new();

    /// <inheritdoc />
    public OperationKinds Serves => OperationKinds.Images;

    /// <inheritdoc />
    public HttpRequestMessage Build(MediaCall call, DeploymentTarget deployment)
    {
        var model = deployment.Config.UpstreamModel;
        using var doc = JsonDocument.Parse(call.Body);
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            if (BedrockImageBodies.IsTitan(model))
            {
                BedrockImageBodies.Titan(w, doc.RootElement);
            }
            else if (BedrockImageBodies.IsStability(model))
            {
                BedrockImageBodies.Stability(w, doc.RootElement);
            }
            else
            {
                throw new UnsupportedFeatureException("model", $"'{model}' is not a Bedrock image model this gateway can translate to (Titan Image Generator, Nova Canvas, Stability)");
            }
        }

        var target = targets.GetValue(deployment, d => BedrockTarget.Create(d, environment));
        return BedrockInvoke.Create(deployment, buffer.WrittenSpan.ToArray(), target, time.GetUtcNow());
    }

    /// <inheritdoc />
    public MediaAnswer Read(ReadOnlySpan<byte> body, string? contentType, MediaCall call, DeploymentTarget deployment)
    {
        var reader = new Utf8JsonReader(body);
        using var doc = JsonDocument.ParseValue(ref reader);
        var root = doc.RootElement;
        var reasons = root.TryGetProperty("finish_reasons", out var r) && r.ValueKind == JsonValueKind.Array ? r : default;
        var buffer = new ArrayBufferWriter<byte>(body.Length + 64);
        var images = 0;
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("created", call.CreatedUnixSeconds);
            w.WriteStartArray("data");
            var index = 0;
            foreach (var image in root.GetProperty("images").EnumerateArray())
            {
                var withheld = reasons.ValueKind == JsonValueKind.Array && index < reasons.GetArrayLength() && reasons[index].ValueKind != JsonValueKind.Null;
                index++;
                if (!withheld && image.GetString() is { Length: > 0 } b64)
                {
                    w.WriteStartObject();
                    w.WriteString("b64_json", b64);
                    w.WriteEndObject();
                    images++;
                }
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        var ask = call.Head.Needs.Media;
        return new MediaAnswer(buffer.WrittenMemory, "application/json", new MediaUsage { Images = images, Size = ask?.Size, Quality = ask?.Quality }, default(TokenUsage));
    }
}

/// <summary>An <c>InvokeModel</c> request, authenticated as every Bedrock call is (a bearer API key, else SigV4 from the deployment's AWS keys).</summary>
internal static class BedrockInvoke
{
    /// <summary>The signed <c>POST /model/{modelId}/invoke</c> carrying <paramref name="body"/>.</summary>
    public static HttpRequestMessage Create(DeploymentTarget deployment, byte[] body, BedrockTarget target, DateTimeOffset now)
    {
        var baseUrl = deployment.Config.Provider.BaseUrl.ToString().TrimEnd('/');
        var message = new HttpRequestMessage(HttpMethod.Post, new Uri($"{baseUrl}/model/{Uri.EscapeDataString(deployment.Config.UpstreamModel)}/invoke"))
        {
            Content = new ByteArrayContent(body),
        };
        message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        foreach (var (name, value) in deployment.Config.Provider.Headers)
        {
            message.Headers.TryAddWithoutValidation(name, value);
        }

        if (deployment.LeaseBearer(message) is { } bearer)
        {
            message.Headers.Authorization = bearer;
        }
        else if (target.Credentials is { } credentials)
        {
            SigV4Signer.Sign(message, body, credentials, target.Region, BedrockAdapter.SigningService, now);
        }

        return message;
    }
}
