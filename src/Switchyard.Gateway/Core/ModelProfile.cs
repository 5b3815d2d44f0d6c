namespace Switchyard.Core;

/// <summary>Whether a model reasons before answering, and whether that can be switched.</summary>
public enum ThinkingSupport
{
    /// <summary>Not in the catalog: the gateway forwards what the client asked and lets the provider judge.</summary>
    Unknown,

    /// <summary>The model has no thinking mode: a reasoning request is refused (or dropped under <c>drop_unsupported_params</c>).</summary>
    None,

    /// <summary>Thinking is off unless asked for, and <c>reasoning_effort: none</c> turns it off.</summary>
    Optional,

    /// <summary>The model always thinks (Gemini 2.5 Pro, OpenAI o-series): <c>none</c> cannot be honoured.</summary>
    Always,
}

/// <summary>Where a model takes prompt-cache checkpoints (Anthropic <c>cache_control</c>, Bedrock <c>cachePoint</c>).</summary>
[Flags]
public enum CachePlacement
{
    None = 0,
    System = 1,
    Messages = 2,
    Tools = 4,
    All = System | Messages | Tools,
}

/// <summary>An inclusive range a sampling parameter must lie in.</summary>
public readonly record struct NumberRange(double Min, double Max)
{
    public bool Contains(double value) => value >= Min && value <= Max;

    public double Clamp(double value) => Math.Clamp(value, Min, Max);

    public override string ToString() => FormattableString.Invariant($"{Min}–{Max}");
}

/// <summary>
/// What a model forbids or requires while it thinks (Anthropic: temperature exactly 1, no top_k, top_p of at
/// least 0.95, no forced tool, and a tool-use turn must be replayed with the thinking block that led to it).
/// </summary>
/// <param name="Temperature">The one temperature allowed while thinking, or null for any.</param>
/// <param name="TopK">Whether top_k may be set while thinking.</param>
/// <param name="TopPMin">The smallest top_p allowed while thinking, or null for any.</param>
/// <param name="ForcedToolChoice">Whether tool_choice may force a tool (required / a named function) while thinking.</param>
/// <param name="SignedToolTurns">Whether an assistant turn that called tools must be sent back starting with its signed thinking block.</param>
public sealed record ThinkingRules(double? Temperature, bool TopK, double? TopPMin, bool ForcedToolChoice, bool SignedToolTurns)
{
    /// <summary>No constraints.</summary>
    public static ThinkingRules Free { get; } = new(null, true, null, true, false);
}

/// <summary>
/// One model's entry in the catalog (<c>Providers/NAME/models.json</c>), merged with the deployment's
/// <c>catalog:</c> overrides: limits, capabilities and the parameter rules the provider enforces. Null or
/// <see cref="ThinkingSupport.Unknown"/> means "not known": the rule is not applied, and the provider judges.
/// Read by routing (capabilities, windows) and by the model rules applied before every translated attempt.
/// </summary>
public sealed record ModelProfile
{
    /// <summary>A model the catalog does not know: no rules.</summary>
    public static ModelProfile Unknown { get; } = new();

    /// <summary>The catalog entry's id (<c>claude-3-haiku</c>), or null when none matched.</summary>
    public string? Id { get; init; }

    /// <summary>Where the entry's facts come from (a documentation URL) and when they were last checked.</summary>
    public string? Source { get; init; }

    /// <summary>The date the entry was last checked against <see cref="Source"/> (yyyy-MM-dd).</summary>
    public string? Checked { get; init; }

    public int? ContextWindow { get; init; }

    public int? MaxOutputTokens { get; init; }

    public bool? Tools { get; init; }

    public bool? Vision { get; init; }

    public bool? Documents { get; init; }

    public bool? StructuredOutput { get; init; }

    public ThinkingSupport Thinking { get; init; }

    /// <summary>Where cache checkpoints may go; null = unknown (forwarded as the client sent them).</summary>
    public CachePlacement? CacheCheckpoints { get; init; }

    /// <summary>The most checkpoints one request may carry (Anthropic and Bedrock: 4).</summary>
    public int? MaxCacheCheckpoints { get; init; }

    public NumberRange? Temperature { get; init; }

    public NumberRange? TopP { get; init; }

    /// <summary>False when the model takes temperature or top_p but not both (Claude Sonnet 4.5, Haiku 4.5, Opus 4.1 and later).</summary>
    public bool? TemperatureWithTopP { get; init; }

    /// <summary>Constraints while thinking; null = none known.</summary>
    public ThinkingRules? WhileThinking { get; init; }

    /// <summary>The routing view of this profile, under the capabilities the deployment declares itself (<paramref name="declared"/> names them).</summary>
    public ModelCapabilities Capabilities(ModelCapabilities explicitly, IReadOnlySet<string> declared) =>
        new(
            declared.Contains("tools") ? explicitly.Tools : Tools ?? explicitly.Tools,
            declared.Contains("vision") ? explicitly.Vision : Vision ?? explicitly.Vision,
            declared.Contains("json_schema") ? explicitly.JsonSchema : StructuredOutput ?? explicitly.JsonSchema,
            declared.Contains("thinking") ? explicitly.Thinking : Thinking is ThinkingSupport.Optional or ThinkingSupport.Always || explicitly.Thinking,
            explicitly.ContextWindow ?? ContextWindow,
            explicitly.MaxOutputTokens ?? MaxOutputTokens);
}
