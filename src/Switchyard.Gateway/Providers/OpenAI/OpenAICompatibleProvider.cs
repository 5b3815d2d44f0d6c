namespace Switchyard.Providers.OpenAI;

/// <summary>
/// <c>kind: openai-compatible</c>: OpenAI Chat Completions and Embeddings over HTTP, for OpenAI itself and every
/// host that copies its API. The catalog's generic kind: any server at a <c>base_url</c> the file gives.
/// OpenAI clients are relayed untranslated (<see cref="OpenAIPassthrough"/>).
/// </summary>
public sealed class OpenAICompatibleProvider : ProviderDescriptor
{
    /// <summary>The kind name.</summary>
    public const string KindName = "openai-compatible";

    // Model ids are each host's own documented names; they only seed the zero-configuration aliases.
    private static readonly ProviderPreset[] Known =
    [
        ProviderPreset.Hosted("openai", "https://api.openai.com/v1", "OPENAI_API_KEY",
            "gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "o4-mini",
            "text-embedding-3-small", "text-embedding-3-large") with { Unprefixed = true },
        ProviderPreset.Hosted("groq", "https://api.groq.com/openai/v1", "GROQ_API_KEY",
            "llama-3.3-70b-versatile", "llama-3.1-8b-instant", "openai/gpt-oss-120b", "openai/gpt-oss-20b"),
        ProviderPreset.Hosted("together", "https://api.together.xyz/v1", "TOGETHER_API_KEY",
            "meta-llama/Llama-3.3-70B-Instruct-Turbo", "deepseek-ai/DeepSeek-V3", "Qwen/Qwen2.5-72B-Instruct-Turbo"),
        ProviderPreset.Hosted("fireworks", "https://api.fireworks.ai/inference/v1", "FIREWORKS_API_KEY",
            "accounts/fireworks/models/llama-v3p3-70b-instruct", "accounts/fireworks/models/deepseek-v3",
            "accounts/fireworks/models/qwen3-235b-a22b"),
        ProviderPreset.Hosted("deepseek", "https://api.deepseek.com/v1", "DEEPSEEK_API_KEY",
            "deepseek-chat", "deepseek-reasoner"),
        ProviderPreset.Hosted("mistral", "https://api.mistral.ai/v1", "MISTRAL_API_KEY",
            "mistral-large-latest", "mistral-small-latest", "codestral-latest", "mistral-embed"),
        ProviderPreset.Hosted("xai", "https://api.x.ai/v1", "XAI_API_KEY",
            "grok-4", "grok-3", "grok-3-mini"),
        ProviderPreset.Hosted("openrouter", "https://openrouter.ai/api/v1", "OPENROUTER_API_KEY",
            "openai/gpt-4o-mini", "anthropic/claude-sonnet-4", "google/gemini-2.5-flash",
            "meta-llama/llama-3.3-70b-instruct"),
        ProviderPreset.Hosted("moonshot", "https://api.moonshot.ai/v1", "MOONSHOT_API_KEY",
            "kimi-k2-0905-preview", "kimi-k2-turbo-preview", "kimi-k2-thinking"),
        ProviderPreset.Hosted("qwen", "https://dashscope-intl.aliyuncs.com/compatible-mode/v1", "DASHSCOPE_API_KEY",
            "qwen-max", "qwen-plus", "qwen-turbo"),
        ProviderPreset.Hosted("perplexity", "https://api.perplexity.ai", "PERPLEXITY_API_KEY",
            "sonar", "sonar-pro", "sonar-reasoning-pro"),
        ProviderPreset.Hosted("aimlapi", "https://api.aimlapi.com/v1", "AIMLAPI_API_KEY",
            "gpt-4o", "gpt-4o-mini", "google/gemma-3-4b-it"),

        // Local servers: no key needed (vLLM accepts one if started with --api-key), and the models are
        // whatever the user loaded, so none are listed.
        ProviderPreset.Local("vllm", "http://localhost:8000/v1", "VLLM_BASE_URL", keyEnv: "VLLM_API_KEY"),
        ProviderPreset.Local("ollama", "http://localhost:11434/v1", "OLLAMA_BASE_URL"),
        ProviderPreset.Local("lmstudio", "http://localhost:1234/v1", "LMSTUDIO_BASE_URL"),
    ];

    /// <inheritdoc />
    public override string Kind => KindName;

    /// <inheritdoc />
    public override string? ModelCatalog => "OpenAI";

    /// <inheritdoc />
    public override IReadOnlyList<ProviderPreset> Presets => Known;

    /// <inheritdoc />
    public override bool RequiresBaseUrl => true;

    /// <inheritdoc />
    public override bool IsGeneric => true;

    /// <summary>
    /// The prices of the hosts whose pricing pages could be sourced, one file per preset beside this file
    /// (<c>prices.openai.json</c>, <c>prices.groq.json</c>, <c>prices.xai.json</c>). A provider declared with
    /// <c>kind: openai-compatible</c> and a <c>base_url</c> has no preset to price it by, so it needs <c>price:</c>.
    /// </summary>
    public static PriceBook Book { get; } = PriceBook.FromResources(typeof(OpenAICompatibleProvider).Assembly,
        typeof(OpenAICompatibleProvider).Namespace + ".prices.openai.json",
        typeof(OpenAICompatibleProvider).Namespace + ".prices.groq.json",
        typeof(OpenAICompatibleProvider).Namespace + ".prices.xai.json");

    /// <inheritdoc />
    public override PriceBook Prices => Book;

    /// <inheritdoc />
    public override IProviderAdapter CreateAdapter(ProviderServices services) => new OpenAIChatAdapter();

    /// <inheritdoc />
    public override IPassthroughProtocol CreatePassthrough() => new OpenAIPassthrough();

    /// <summary>For clients of other formats (Gemini's embedContent); OpenAI clients pass through.</summary>
    public override IEmbeddingsProvider CreateEmbeddings(ProviderServices services) => new OpenAIEmbeddings(new OpenAIChatAdapter());

    /// <summary>
    /// OpenAI's moderations, images and audio, passed through to any OpenAI-compatible host that has them (OpenAI, Groq's
    /// Whisper and TTS, Together's and Fireworks' images); a deployment's model id decides which it serves.
    /// </summary>
    public override OperationKinds Serves => OperationKinds.ChatDefault | OpenAIMedia.All | OperationKinds.Videos | OperationKinds.Batches;

    /// <summary>OpenAI's Videos API (sora-2, sora-2-pro) after the create: poll, download, delete, passed through.</summary>
    public override IVideoProvider CreateVideos(ProviderServices services) => new OpenAIVideos(new OpenAIChatAdapter());

    /// <inheritdoc />
    public override IMediaProvider CreateMedia(ProviderServices services) => new OpenAIMedia(new OpenAIChatAdapter());
}
