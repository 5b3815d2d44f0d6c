using System.Text.Json.Nodes;

namespace Switchyard.Tests.TestKit.Media;

/// <summary>
/// The request fields each media API documents, and its answers, as the fake serves them. Sources (read 2026-12-06 with
/// the search tool): OpenAI's API reference (images, audio, moderations), Google's Imagen <c>:predict</c> (instances /
/// parameters / predictions.bytesBase64Encoded), Cohere's v2 rerank (results, meta.billed_units.search_units), Jina's
/// rerank (results with document.text, usage.total_tokens), Voyage's rerank (top_k, truncation; data, usage.total_tokens).
/// A field outside these sets is refused with the provider's own kind of 400, as the real APIs do.
/// </summary>
public static class MediaWire
{
    /// <summary>POST /v1/images/generations.</summary>
    public static readonly HashSet<string> ImageGeneration =
        ["model", "prompt", "n", "size", "quality", "response_format", "style", "user", "background", "moderation", "output_format", "output_compression"];

    /// <summary>POST /v1/images/edits (multipart; image[] for several images).</summary>
    public static readonly HashSet<string> ImageEdit =
        ["model", "prompt", "image", "image[]", "mask", "n", "size", "quality", "response_format", "user", "background", "input_fidelity", "output_format"];

    /// <summary>POST /v1/audio/speech.</summary>
    public static readonly HashSet<string> Speech = ["model", "input", "voice", "response_format", "speed", "instructions", "stream_format"];

    /// <summary>POST /v1/audio/transcriptions (multipart).</summary>
    public static readonly HashSet<string> Transcription =
        ["file", "model", "language", "prompt", "response_format", "temperature", "timestamp_granularities[]", "include[]", "stream", "chunking_strategy"];

    /// <summary>POST /v1/audio/translations (multipart).</summary>
    public static readonly HashSet<string> Translation = ["file", "model", "prompt", "response_format", "temperature"];

    /// <summary>POST /v1/moderations.</summary>
    public static readonly HashSet<string> Moderation = ["model", "input"];

    /// <summary>Imagen :predict, top level / instance / parameters.</summary>
    public static readonly HashSet<string> ImagenTop = ["instances", "parameters"];

    /// <summary>Imagen :predict instance fields.</summary>
    public static readonly HashSet<string> ImagenInstance = ["prompt"];

    /// <summary>Imagen :predict parameters.</summary>
    public static readonly HashSet<string> ImagenParameters = ["sampleCount", "aspectRatio", "personGeneration", "imageSize"];

    /// <summary>Cohere POST /v2/rerank.</summary>
    public static readonly HashSet<string> CohereRerank = ["model", "query", "documents", "top_n", "max_tokens_per_doc"];

    /// <summary>Jina POST /v1/rerank.</summary>
    public static readonly HashSet<string> JinaRerank = ["model", "query", "documents", "top_n", "return_documents"];

    /// <summary>Voyage POST /v1/rerank.</summary>
    public static readonly HashSet<string> VoyageRerank = ["model", "query", "documents", "top_k", "return_documents", "truncation"];

    /// <summary>The thirteen categories an omni-moderation answer carries.</summary>
    public static readonly string[] ModerationCategories =
    [
        "hate", "hate/threatening", "harassment", "harassment/threatening", "self-harm", "self-harm/intent", "self-harm/instructions",
        "sexual", "sexual/minors", "violence", "violence/graphic", "illicit", "illicit/violent",
    ];

    /// <summary>A moderation answer flagging <paramref name="flaggedCategory"/> (or nothing).</summary>
    public static string ModerationAnswer(string model, string? flaggedCategory)
    {
        var categories = new JsonObject();
        var scores = new JsonObject();
        var types = new JsonObject();
        foreach (var c in ModerationCategories)
        {
            categories[c] = c == flaggedCategory;
            scores[c] = c == flaggedCategory ? 0.97 : 0.0001;
            types[c] = new JsonArray("text");
        }

        var result = new JsonObject
        {
            ["flagged"] = flaggedCategory is not null,
            ["categories"] = categories,
            ["category_scores"] = scores,
            ["category_applied_input_types"] = types,
        };
        return new JsonObject { ["id"] = "modr-fake", ["model"] = model, ["results"] = new JsonArray(result) }.ToJsonString();
    }

    /// <summary>An images answer of <paramref name="count"/> images, bytes or URLs, with gpt-image-1's token usage when given.</summary>
    public static string ImagesAnswer(int count, bool urls, (int Input, int Output)? tokens = null)
    {
        var data = new JsonArray();
        for (var i = 0; i < count; i++)
        {
            data.Add(urls
                ? new JsonObject { ["url"] = $"https://images.example/fake-{i}.png", ["revised_prompt"] = "a fake image" }
                : new JsonObject { ["b64_json"] = Convert.ToBase64String(FakeImage(i)) });
        }

        var answer = new JsonObject { ["created"] = 1_765_000_000, ["data"] = data };
        if (tokens is { } t)
        {
            answer["usage"] = new JsonObject
            {
                ["total_tokens"] = t.Input + t.Output, ["input_tokens"] = t.Input, ["output_tokens"] = t.Output,
                ["input_tokens_details"] = new JsonObject { ["text_tokens"] = t.Input, ["image_tokens"] = 0 },
            };
        }

        return answer.ToJsonString();
    }

    /// <summary>A few bytes that start like a PNG, different per image.</summary>
    public static byte[] FakeImage(int i) => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, (byte)i, 42];
}
