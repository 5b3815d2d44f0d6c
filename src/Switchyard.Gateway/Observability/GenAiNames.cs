using System.Collections.Frozen;

namespace Switchyard.Observability;

/// <summary>
/// Attribute names (OpenTelemetry semantic conventions where they exist, <c>switchyard.*</c> for the gateway's own)
/// and the <c>gen_ai.provider.name</c> of a provider. One list, so a typo cannot make a second, silent series.
/// </summary>
internal static class GenAiNames
{
    public const string Operation = "gen_ai.operation.name";
    public const string Provider = "gen_ai.provider.name";
    public const string RequestModel = "gen_ai.request.model";
    public const string ResponseModel = "gen_ai.response.model";
    public const string TokenType = "gen_ai.token.type";
    public const string InputTokens = "gen_ai.usage.input_tokens";
    public const string OutputTokens = "gen_ai.usage.output_tokens";
    public const string ErrorType = "error.type";
    public const string Status = "http.response.status_code";

    public const string Alias = "switchyard.alias";
    public const string Deployment = "switchyard.deployment";
    public const string GatewayOperation = "switchyard.operation";
    public const string Outcome = "switchyard.outcome";
    public const string CacheResult = "switchyard.cache.result";
    public const string GuardrailRule = "switchyard.guardrail.rule";
    public const string GuardrailAction = "switchyard.guardrail.action";
    public const string GuardrailWhere = "switchyard.guardrail.where";
    public const string Reason = "switchyard.reason";
    public const string KeyId = "switchyard.key.id";
    public const string TeamId = "switchyard.team.id";
    public const string Stream = "switchyard.stream";
    public const string State = "switchyard.circuit.state";
    public const string RequestId = "switchyard.request.id";

    /// <summary>The semantic conventions' value for "none of the known ones".</summary>
    public const string Other = "_OTHER";

    /// <summary>
    /// The conventions' well-known provider names, by the preset or kind a provider was declared with. Anything
    /// else keeps its own preset name (a custom value, which the conventions allow): <c>together</c>, <c>ollama</c>,
    /// <c>openai-compatible</c> for a bare base URL. The names are config vocabulary (bounded by the catalog).
    /// </summary>
    /// <remarks>
    /// This belongs on the provider's descriptor (a telemetry name beside its kind); it is a table here because
    /// Providers/ was being edited in parallel when observability landed (docs/adr/0009-observability.md).
    /// </remarks>
    private static readonly FrozenDictionary<string, string> Known = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["openai"] = "openai",
        ["anthropic"] = "anthropic",
        ["bedrock"] = "aws.bedrock",
        ["vertex"] = "gcp.vertex_ai",
        ["gemini"] = "gcp.gemini",
        ["azure-openai"] = "azure.ai.openai",
        ["groq"] = "groq",
        ["deepseek"] = "deepseek",
        ["mistral"] = "mistral_ai",
        ["xai"] = "x_ai",
        ["perplexity"] = "perplexity",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary><c>gen_ai.provider.name</c> of <paramref name="provider"/>.</summary>
    public static string ProviderName(ProviderConfig provider) =>
        Known.TryGetValue(provider.Preset, out var byPreset) ? byPreset
        : Known.TryGetValue(provider.Kind, out var byKind) ? byKind
        : provider.Preset;
}
