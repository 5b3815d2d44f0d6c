using System.Net.Http.Headers;
using System.Text.Json;
using Switchyard.Canonical;

namespace Switchyard.Providers.OpenAI;

/// <summary>
/// OpenAI's endpoints beyond chat (moderations, images, audio) on an OpenAI-protocol deployment (the OpenAI family and
/// compatible hosts such as Groq's Whisper, Azure OpenAI through its own adapter): the client's request is already in
/// this protocol, so it is forwarded with only the model replaced: a JSON body spliced at the model's offsets, a
/// multipart upload rebuilt part by part from its spooled files (streamed, never read into memory). The answer goes
/// back unchanged; what it used is read off it (images returned, <c>usage</c> tokens or seconds).
/// </summary>
public sealed class OpenAIMedia(IProviderAdapter adapter) : IMediaProvider
{
    /// <summary>Everything OpenAI's API has beyond chat and embeddings, except rerank (no such OpenAI endpoint).</summary>
    public const OperationKinds All = OperationKinds.Moderations | OperationKinds.Images | OperationKinds.ImageEdits
        | OperationKinds.Speech | OperationKinds.Transcriptions | OperationKinds.Translations;

    /// <inheritdoc />
    public OperationKinds Serves => All | OperationKinds.Videos;

    /// <inheritdoc />
    public HttpRequestMessage Build(MediaCall call, DeploymentTarget deployment)
    {
        var message = new HttpRequestMessage(HttpMethod.Post, (Uri?)null)
        {
            Content = call.Form is { } form ? Multipart(form, deployment) : Json(call, deployment),
        };
        adapter.PreparePassthrough(message, deployment, call.Operation, stream: false);
        return message;
    }

    /// <summary>The client's JSON with the upstream model spliced in where the alias was.</summary>
    private static ByteArrayContent Json(MediaCall call, DeploymentTarget deployment)
    {
        var body = call.Body.Span;
        var head = call.Head;
        var model = deployment.EncodedModel;
        var bytes = new byte[body.Length - head.ModelLength + model.Length];
        body[..head.ModelStart].CopyTo(bytes);
        model.CopyTo(bytes.AsSpan(head.ModelStart));
        body[(head.ModelStart + head.ModelLength)..].CopyTo(bytes.AsSpan(head.ModelStart + model.Length));
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    /// <summary>The upload again, in its order: text fields (the model replaced), then each spooled file as a stream.</summary>
    private static MultipartFormDataContent Multipart(UploadedForm form, DeploymentTarget deployment)
    {
        var content = new MultipartFormDataContent();
        foreach (var (name, value) in form.Fields)
        {
            var text = new StringContent(name == "model" ? deployment.Config.UpstreamModel : value);
            text.Headers.ContentType = null; // a plain form field, as browsers and OpenAI's SDKs send them
            content.Add(text, name);
        }

        foreach (var file in form.Files)
        {
            var part = new StreamContent(file.Open(), 64 * 1024);
            part.Headers.ContentLength = file.Length;
            if (file.ContentType is { } type && MediaTypeHeaderValue.TryParse(type, out var parsed))
            {
                part.Headers.ContentType = parsed;
            }

            content.Add(part, file.Name, file.FileName);
        }

        return content;
    }

    /// <inheritdoc />
    public MediaAnswer Read(ReadOnlySpan<byte> body, string? contentType, MediaCall call, DeploymentTarget deployment)
    {
        var ask = call.Head.Needs.Media;
        var bytes = body.ToArray();
        var type = contentType ?? "application/json";
        if (!type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return new MediaAnswer(bytes, type, default, default); // text, srt, vtt transcripts: nothing to read off
        }

        using var doc = JsonDocument.Parse(bytes);
        var root = doc.RootElement;
        if (call.Operation == Operation.Videos)
        {
            return new MediaAnswer(bytes, type, default, default) { Job = OpenAIVideos.Accepted(root) };
        }

        var tokens = default(TokenUsage);
        var usage = default(MediaUsage);
        if (root.TryGetProperty("usage", out var u) && u.ValueKind == JsonValueKind.Object)
        {
            tokens = Tokens(u);
            usage = usage with { Seconds = u.TryGetProperty("seconds", out var s) && s.ValueKind == JsonValueKind.Number ? s.GetDouble() : 0 };
        }

        if (usage.Seconds == 0 && root.TryGetProperty("duration", out var d) && d.ValueKind == JsonValueKind.Number)
        {
            usage = usage with { Seconds = d.GetDouble() }; // verbose_json
        }

        if (call.Operation is Operation.ImageGenerations or Operation.ImageEdits && root.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Array)
        {
            usage = usage with { Images = data.GetArrayLength(), Size = ask?.Size, Quality = ask?.Quality };
        }

        return new MediaAnswer(bytes, type, usage, tokens);
    }

    /// <summary>
    /// Token usage as OpenAI reports it beyond chat: <c>input_tokens</c>/<c>output_tokens</c> (gpt-image-1,
    /// gpt-4o-transcribe) or <c>prompt_tokens</c>/<c>completion_tokens</c>.
    /// </summary>
    private static TokenUsage Tokens(JsonElement usage)
    {
        static long Read(JsonElement u, string a, string b) =>
            u.TryGetProperty(a, out var v) && v.TryGetInt64(out var n) ? n : u.TryGetProperty(b, out v) && v.TryGetInt64(out n) ? n : 0;

        return new TokenUsage { InputTokens = Read(usage, "input_tokens", "prompt_tokens"), OutputTokens = Read(usage, "output_tokens", "completion_tokens") };
    }
}
