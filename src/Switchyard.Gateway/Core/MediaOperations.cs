namespace Switchyard.Core;

/// <summary>
/// The operations a deployment can serve, as a set: a provider kind declares what its upstream has
/// (<see cref="ProviderDescriptor.Serves"/>), a deployment what its model does (<c>operations:</c>, else inferred from
/// the model id), and the planner leaves out a deployment whose set lacks the request's (docs/adr/0017-beyond-chat.md).
/// </summary>
[Flags]
public enum OperationKinds
{
    /// <summary>Nothing.</summary>
    None = 0,

    /// <summary>Chat in any format: Chat Completions, Responses, Messages, generateContent.</summary>
    Chat = 1,

    /// <summary>Embeddings.</summary>
    Embeddings = 2,

    /// <summary>Moderation (<c>/v1/moderations</c>).</summary>
    Moderations = 4,

    /// <summary>Rerank (<c>/v1/rerank</c>).</summary>
    Rerank = 8,

    /// <summary>Image generation (<c>/v1/images/generations</c>).</summary>
    Images = 16,

    /// <summary>Image edits (<c>/v1/images/edits</c>).</summary>
    ImageEdits = 32,

    /// <summary>Text to speech (<c>/v1/audio/speech</c>).</summary>
    Speech = 64,

    /// <summary>Speech to text (<c>/v1/audio/transcriptions</c>).</summary>
    Transcriptions = 128,

    /// <summary>Speech to English text (<c>/v1/audio/translations</c>).</summary>
    Translations = 256,

    /// <summary>Video generation as asynchronous jobs (<c>/v1/videos</c>).</summary>
    Videos = 512,
    /// <summary>
    /// Files and batches (<c>/v1/files</c>, <c>/v1/batches</c>; docs/adr/0017-beyond-chat.md, "Files and batches"): the
    /// deployment's host keeps uploaded files and runs batches of requests to its model. Never inferred from a model id
    /// (not every OpenAI-compatible host has these endpoints): a deployment lists it in <c>operations:</c>.
    /// </summary>
    Batches = 1024,

    /// <summary>What a chat deployment does unless it says otherwise: today's behaviour, chat and embeddings.</summary>
    ChatDefault = Chat | Embeddings,
}

/// <summary>Facts about each <see cref="Operation"/> beyond chat: its capability, its upstream path, its config name.</summary>
public static class MediaOperations
{
    /// <summary>The names written in a deployment's <c>operations:</c> list, in <see cref="OperationKinds"/> bit order.</summary>
    public static IReadOnlyList<string> Names { get; } =
        ["chat", "embeddings", "moderations", "rerank", "images", "image_edits", "speech", "transcriptions", "translations", "videos", "batches"];

    /// <summary>
    /// True for the operations <c>MediaAttempts</c> serves and that meter themselves (everything but chat, embeddings, files,
    /// batches and unknown paths): the video create and its job calls included, since a video's body is parsed as media.
    /// </summary>
    public static bool IsMedia(Operation operation) => operation is >= Operation.Moderations and <= Operation.VideoRemix;

    /// <summary>True for the operations whose body is <c>multipart/form-data</c> (a file upload).</summary>
    public static bool IsMultipart(Operation operation) =>
        operation is Operation.ImageEdits or Operation.Transcriptions or Operation.Translations;

    /// <summary>True for an operation that takes either JSON or <c>multipart/form-data</c> (a video with an <c>input_reference</c> image).</summary>
    public static bool MayBeMultipart(Operation operation) => operation == Operation.Videos;

    /// <summary>The capability <paramref name="operation"/> needs from a deployment.</summary>
    public static OperationKinds KindOf(Operation operation) => operation switch
    {
        Operation.Embeddings => OperationKinds.Embeddings,
        Operation.Moderations => OperationKinds.Moderations,
        Operation.Rerank => OperationKinds.Rerank,
        Operation.ImageGenerations => OperationKinds.Images,
        Operation.ImageEdits => OperationKinds.ImageEdits,
        Operation.Speech => OperationKinds.Speech,
        Operation.Transcriptions => OperationKinds.Transcriptions,
        Operation.Translations => OperationKinds.Translations,
        Operation.Files or Operation.Batches or >= Operation.FileUpload => OperationKinds.Batches, // each call on a file or batch
        >= Operation.Videos => OperationKinds.Videos,
        _ => OperationKinds.Chat,
    };

    /// <summary>The OpenAI API path of a media operation under the base URL (<c>images/generations</c>), or null.</summary>
    public static string? OpenAIPath(Operation operation) => operation switch
    {
        Operation.Moderations => "moderations",
        Operation.Rerank => "rerank",
        Operation.ImageGenerations => "images/generations",
        Operation.ImageEdits => "images/edits",
        Operation.Speech => "audio/speech",
        Operation.Transcriptions => "audio/transcriptions",
        Operation.Translations => "audio/translations",
        Operation.Videos => "videos",
        Operation.Files => "files",
        Operation.Batches => "batches",
        _ => null,
    };

    /// <summary>The name of one capability (<c>images</c>), as in config files, exclusions and errors.</summary>
    public static string Name(OperationKinds kind)
    {
        var bit = System.Numerics.BitOperations.TrailingZeroCount((int)kind);
        return kind != OperationKinds.None && bit < Names.Count ? Names[bit] : "none";
    }

    /// <summary>The capability named <paramref name="name"/>, or <see cref="OperationKinds.None"/>.</summary>
    public static OperationKinds Parse(string name)
    {
        for (var i = 0; i < Names.Count; i++)
        {
            if (string.Equals(Names[i], name, StringComparison.Ordinal))
            {
                return (OperationKinds)(1 << i);
            }
        }

        return OperationKinds.None;
    }

    /// <summary>
    /// What a deployment of <paramref name="model"/> does when its file does not say (<c>operations:</c>), from the
    /// vendors' documented id families: <c>dall-e-*</c>, <c>gpt-image-*</c>, <c>imagen-*</c> and Bedrock's <c>*titan-image*</c>, <c>*nova-canvas*</c>, <c>stability.*</c> make images;
    /// <c>tts-*</c> and <c>*-tts</c> speak; <c>whisper-*</c> transcribes and translates; <c>*-transcribe</c> transcribes;
    /// <c>*moderation*</c> moderates; <c>*rerank*</c> reranks; <c>sora-*</c> and <c>veo-*</c> make videos. Anything else is a chat model (chat and embeddings, as
    /// before this operation set existed). The kind's own set (<see cref="ProviderDescriptor.Serves"/>) narrows it further.
    /// </summary>
    public static OperationKinds Infer(string model)
    {
        var id = model.AsSpan();
        var slash = id.LastIndexOf('/');
        id = slash >= 0 ? id[(slash + 1)..] : id; // "openai/whisper-large-v3" and Together-style org prefixes
        return id switch
        {
            _ when id.StartsWith("dall-e", StringComparison.OrdinalIgnoreCase) || id.StartsWith("gpt-image", StringComparison.OrdinalIgnoreCase)
                => OperationKinds.Images | OperationKinds.ImageEdits,
            _ when id.StartsWith("imagen", StringComparison.OrdinalIgnoreCase) => OperationKinds.Images,
            _ when id.Contains("titan-image", StringComparison.OrdinalIgnoreCase) || id.Contains("nova-canvas", StringComparison.OrdinalIgnoreCase)
                || id.Contains("stability.", StringComparison.OrdinalIgnoreCase) => OperationKinds.Images, // Bedrock's image models
            _ when id.StartsWith("tts", StringComparison.OrdinalIgnoreCase) || id.EndsWith("-tts", StringComparison.OrdinalIgnoreCase)
                || id.Contains("-tts-", StringComparison.OrdinalIgnoreCase) => OperationKinds.Speech,
            _ when id.StartsWith("whisper", StringComparison.OrdinalIgnoreCase) => OperationKinds.Transcriptions | OperationKinds.Translations,
            _ when id.Contains("transcribe", StringComparison.OrdinalIgnoreCase) => OperationKinds.Transcriptions,
            _ when id.Contains("moderation", StringComparison.OrdinalIgnoreCase) => OperationKinds.Moderations,
            _ when id.Contains("rerank", StringComparison.OrdinalIgnoreCase) => OperationKinds.Rerank,
            _ when id.StartsWith("sora-", StringComparison.OrdinalIgnoreCase) || id.StartsWith("veo-", StringComparison.OrdinalIgnoreCase)
                => OperationKinds.Videos,
            _ => OperationKinds.ChatDefault,
        };
    }
}
