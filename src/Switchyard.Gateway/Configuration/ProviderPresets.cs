using System.Collections.Frozen;

namespace Switchyard.Configuration;

/// <summary>
/// A known OpenAI-compatible host: where it lives, which environment variable holds its key by
/// convention, and a few of its well-known model ids (used by <see cref="EnvironmentDefaults"/> to offer
/// working aliases with zero configuration). Every preset speaks <see cref="ProviderKind.OpenAICompatible"/>.
/// </summary>
/// <param name="Name">Preset name as written in <c>providers.NAME.preset</c>.</param>
/// <param name="BaseUrl">Default base URL (overridable with <c>base_url</c>).</param>
/// <param name="KeyEnv">Conventional API key variable, or null when the host takes no key.</param>
/// <param name="KeyRequired">False for local servers (Ollama, vLLM, LM Studio) that run without a key.</param>
/// <param name="Models">Well-known upstream model ids; empty when they depend on what the user runs.</param>
public sealed record ProviderPreset(string Name, Uri BaseUrl, string? KeyEnv, bool KeyRequired, IReadOnlyList<string> Models)
{
    /// <summary>The wire protocol (OpenAI-compatible unless the preset says otherwise).</summary>
    public ProviderKind Kind { get; init; } = ProviderKind.OpenAICompatible;

    /// <summary>True for servers a user runs themselves (no key needed, models unknown in advance).</summary>
    public bool IsLocal => !KeyRequired;
}

/// <summary>The built-in provider presets, by name.</summary>
public static class ProviderPresets
{
    /// <summary>The generic kind: any OpenAI-compatible server; <c>base_url</c> is required.</summary>
    public const string OpenAICompatible = "openai-compatible";

    /// <summary>Preset name recorded on the built-in offline echo provider.</summary>
    public const string Echo = "echo";

    /// <summary>Every preset, keyed by name (ordinal).</summary>
    public static FrozenDictionary<string, ProviderPreset> All { get; } = Build();

    /// <summary>Preset names in a stable, readable order (for messages and listings).</summary>
    public static IReadOnlyList<string> Names { get; } = [.. All.Keys.Order(StringComparer.Ordinal)];

    /// <summary>The preset called <paramref name="name"/>, or null.</summary>
    public static ProviderPreset? Find(string name) => All.GetValueOrDefault(name);

    private static FrozenDictionary<string, ProviderPreset> Build()
    {
        ProviderPreset[] presets =
        [
            Hosted("openai", "https://api.openai.com/v1", "OPENAI_API_KEY",
                "gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "o4-mini",
                "text-embedding-3-small", "text-embedding-3-large"),
            Hosted("groq", "https://api.groq.com/openai/v1", "GROQ_API_KEY",
                "llama-3.3-70b-versatile", "llama-3.1-8b-instant", "openai/gpt-oss-120b", "openai/gpt-oss-20b"),
            Hosted("together", "https://api.together.xyz/v1", "TOGETHER_API_KEY",
                "meta-llama/Llama-3.3-70B-Instruct-Turbo", "deepseek-ai/DeepSeek-V3", "Qwen/Qwen2.5-72B-Instruct-Turbo"),
            Hosted("fireworks", "https://api.fireworks.ai/inference/v1", "FIREWORKS_API_KEY",
                "accounts/fireworks/models/llama-v3p3-70b-instruct", "accounts/fireworks/models/deepseek-v3",
                "accounts/fireworks/models/qwen3-235b-a22b"),
            Hosted("deepseek", "https://api.deepseek.com/v1", "DEEPSEEK_API_KEY",
                "deepseek-chat", "deepseek-reasoner"),
            Hosted("mistral", "https://api.mistral.ai/v1", "MISTRAL_API_KEY",
                "mistral-large-latest", "mistral-small-latest", "codestral-latest", "mistral-embed"),
            Hosted("xai", "https://api.x.ai/v1", "XAI_API_KEY",
                "grok-4", "grok-3", "grok-3-mini"),
            Hosted("openrouter", "https://openrouter.ai/api/v1", "OPENROUTER_API_KEY",
                "openai/gpt-4o-mini", "anthropic/claude-sonnet-4", "google/gemini-2.5-flash",
                "meta-llama/llama-3.3-70b-instruct"),
            Hosted("moonshot", "https://api.moonshot.ai/v1", "MOONSHOT_API_KEY",
                "kimi-k2-0905-preview", "kimi-k2-turbo-preview", "kimi-k2-thinking"),
            Hosted("qwen", "https://dashscope-intl.aliyuncs.com/compatible-mode/v1", "DASHSCOPE_API_KEY",
                "qwen-max", "qwen-plus", "qwen-turbo"),
            Hosted("perplexity", "https://api.perplexity.ai", "PERPLEXITY_API_KEY",
                "sonar", "sonar-pro", "sonar-reasoning-pro"),
            Hosted("aimlapi", "https://api.aimlapi.com/v1", "AIMLAPI_API_KEY",
                "gpt-4o", "gpt-4o-mini", "google/gemma-3-4b-it"),

            // Native (non-OpenAI) protocols.
            Hosted("anthropic", "https://api.anthropic.com/v1", "ANTHROPIC_API_KEY",
                "claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-1") with { Kind = ProviderKind.Anthropic },
            Hosted("gemini", "https://generativelanguage.googleapis.com/v1beta", "GEMINI_API_KEY",
                "gemini-2.5-flash", "gemini-2.5-pro", "gemini-2.5-flash-lite") with { Kind = ProviderKind.Gemini },

            // Local servers: no key needed (vLLM accepts one if started with --api-key), and the models are
            // whatever the user loaded, so none are listed.
            new("vllm", new Uri("http://localhost:8000/v1"), "VLLM_API_KEY", KeyRequired: false, []),
            new("ollama", new Uri("http://localhost:11434/v1"), null, KeyRequired: false, []),
            new("lmstudio", new Uri("http://localhost:1234/v1"), null, KeyRequired: false, []),
        ];

        return presets.ToFrozenDictionary(p => p.Name, StringComparer.Ordinal);
    }

    private static ProviderPreset Hosted(string name, string baseUrl, string keyEnv, params string[] models) =>
        new(name, new Uri(baseUrl), keyEnv, KeyRequired: true, models);
}
