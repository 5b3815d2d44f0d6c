using System.Text.Json;

namespace Switchyard.Canonical;

/// <summary>
/// The canonical chat request: a superset of what OpenAI Chat Completions, OpenAI Responses, Anthropic
/// Messages and Gemini generateContent can express. Inbound formats parse into it; provider adapters
/// render it. A field a target cannot express is refused or, where the route allows, dropped and
/// reported — never silently lost (see <see cref="TranslationReport"/>).
/// </summary>
public sealed class ChatRequest
{
    /// <summary>The model name the client sent (an alias).</summary>
    public required string Model { get; set; }

    /// <summary>System instructions, in order (Anthropic system blocks, OpenAI system/developer messages, Gemini systemInstruction).</summary>
    public List<ContentPart> System { get; } = [];

    /// <summary>The conversation. Tool results live as <see cref="ToolResultPart"/>s in user messages.</summary>
    public List<Message> Messages { get; } = [];

    /// <summary>Function tools the model may call.</summary>
    public List<ToolDefinition> Tools { get; } = [];

    /// <summary>How the model must use tools; null = provider default.</summary>
    public ToolChoice? ToolChoice { get; set; }

    /// <summary>Whether several tool calls may come in one turn; null = provider default.</summary>
    public bool? ParallelToolCalls { get; set; }

    /// <summary>Cap on generated tokens (OpenAI max_completion_tokens/max_tokens, Anthropic max_tokens, Gemini maxOutputTokens).</summary>
    public int? MaxTokens { get; set; }

    public double? Temperature { get; set; }
    public double? TopP { get; set; }
    public int? TopK { get; set; }
    public double? PresencePenalty { get; set; }
    public double? FrequencyPenalty { get; set; }
    public long? Seed { get; set; }

    /// <summary>Number of choices; only 1 is translatable beyond OpenAI.</summary>
    public int? N { get; set; }

    /// <summary>Stop sequences.</summary>
    public List<string> Stop { get; } = [];

    /// <summary>Text, JSON mode or JSON schema output.</summary>
    public ResponseFormat? ResponseFormat { get; set; }

    /// <summary>Reasoning effort / thinking budget.</summary>
    public ReasoningConfig? Reasoning { get; set; }

    /// <summary>Stream the answer.</summary>
    public bool Stream { get; set; }

    /// <summary>The client asked for a usage chunk in the stream (OpenAI <c>stream_options.include_usage</c>).</summary>
    public bool StreamUsage { get; set; }

    /// <summary>End-user id for the provider's abuse monitoring (OpenAI user, Anthropic metadata.user_id).</summary>
    public string? User { get; set; }

    /// <summary>Client fields accepted but with no canonical form (e.g. Gemini <c>safetySettings</c>); reported in
    /// <c>x-switchyard-dropped-params</c> with whatever the adapter drops, so nothing disappears unannounced.</summary>
    public List<string> InboundDropped { get; } = [];

    /// <summary>
    /// A copy for one attempt to change (model rules clamp a range or turn thinking off for one deployment while
    /// the next deployment must still see what the client sent). Lists are copied; messages and parts are shared,
    /// so a rule that edits a message replaces it in the copy's list.
    /// </summary>
    public ChatRequest Copy()
    {
        var copy = new ChatRequest
        {
            Model = Model,
            ToolChoice = ToolChoice,
            ParallelToolCalls = ParallelToolCalls,
            MaxTokens = MaxTokens,
            Temperature = Temperature,
            TopP = TopP,
            TopK = TopK,
            PresencePenalty = PresencePenalty,
            FrequencyPenalty = FrequencyPenalty,
            Seed = Seed,
            N = N,
            ResponseFormat = ResponseFormat,
            Reasoning = Reasoning,
            Stream = Stream,
            StreamUsage = StreamUsage,
            User = User,
        };
        copy.System.AddRange(System);
        copy.Messages.AddRange(Messages);
        copy.Tools.AddRange(Tools);
        copy.Stop.AddRange(Stop);
        copy.InboundDropped.AddRange(InboundDropped);
        return copy;
    }
}

/// <summary>Who speaks.</summary>
public enum Role
{
    User,
    Assistant,
}

/// <summary>One turn of the conversation.</summary>
public sealed class Message(Role role)
{
    public Role Role { get; } = role;

    /// <summary>Text, images, documents, tool calls (assistant), tool results (user), thinking (assistant).</summary>
    public List<ContentPart> Content { get; } = [];

    /// <summary>Optional participant name (OpenAI <c>name</c>).</summary>
    public string? Name { get; set; }
}

/// <summary>A prompt-cache breakpoint (Anthropic <c>cache_control</c>), carried so it is not lost in translation.</summary>
public sealed record CacheControl(string Type = "ephemeral", string? Ttl = null);

/// <summary>A piece of message content.</summary>
public abstract record ContentPart
{
    /// <summary>Cache breakpoint after this part, if the client set one.</summary>
    public CacheControl? Cache { get; init; }
}

/// <summary>Plain text.</summary>
public sealed record TextPart(string Text) : ContentPart;

/// <summary>An image by URL or inline base64 data.</summary>
/// <param name="Url">http(s) URL, or null when inline.</param>
/// <param name="MediaType">e.g. image/png (required for inline data).</param>
/// <param name="Data">Base64 payload, without the data: prefix.</param>
/// <param name="Detail">OpenAI detail hint (low/high/auto).</param>
public sealed record ImagePart(string? Url, string? MediaType, string? Data, string? Detail = null) : ContentPart
{
    /// <summary>Parses a <c>data:image/png;base64,...</c> URL into an inline image; other URLs stay URLs.</summary>
    public static ImagePart FromUrl(string url, string? detail = null)
    {
        if (url.StartsWith("data:", StringComparison.Ordinal))
        {
            var comma = url.IndexOf(',', StringComparison.Ordinal);
            var meta = comma > 5 ? url[5..comma] : "";
            var mediaType = meta.Split(';')[0];
            return new ImagePart(null, mediaType.Length > 0 ? mediaType : null, comma > 0 ? url[(comma + 1)..] : "", detail);
        }

        return new ImagePart(url, null, null, detail);
    }

    /// <summary>The image as a URL (a data: URL for inline images).</summary>
    public string AsUrl() => Url ?? $"data:{MediaType ?? "application/octet-stream"};base64,{Data}";
}

/// <summary>A document (PDF or text) by URL or inline base64.</summary>
public sealed record DocumentPart(string? Url, string? MediaType, string? Data, string? Title = null) : ContentPart;

/// <summary>A call of a function tool by the assistant.</summary>
/// <param name="Id">Call id, echoed by the matching <see cref="ToolResultPart"/>.</param>
/// <param name="Name">Function name.</param>
/// <param name="Arguments">Arguments as a JSON text (OpenAI's representation; Anthropic/Gemini objects are serialised).</param>
public sealed record ToolCallPart(string Id, string Name, string Arguments) : ContentPart;

/// <summary>The result of a tool call, sent back by the client.</summary>
public sealed record ToolResultPart(string ToolCallId, IReadOnlyList<ContentPart> Content, bool IsError = false, string? Name = null) : ContentPart;

/// <summary>Model reasoning shown to the client (Anthropic thinking, Gemini thought parts).</summary>
/// <param name="Text">The thinking text (empty for redacted thinking).</param>
/// <param name="Signature">Provider signature that must be sent back unchanged in multi-turn use.</param>
/// <param name="RedactedData">Opaque redacted thinking payload.</param>
public sealed record ThinkingPart(string Text, string? Signature = null, string? RedactedData = null) : ContentPart;

/// <summary>A function the model may call.</summary>
/// <param name="Parameters">JSON Schema of the arguments, kept as raw JSON.</param>
public sealed record ToolDefinition(string Name, string? Description, JsonElement? Parameters, bool? Strict = null)
{
    public CacheControl? Cache { get; init; }
}

/// <summary>Tool use requirement.</summary>
public enum ToolChoiceKind
{
    Auto,
    None,
    Required,
    Function,
}

/// <summary>Tool choice, with the forced function's name for <see cref="ToolChoiceKind.Function"/>.</summary>
public sealed record ToolChoice(ToolChoiceKind Kind, string? FunctionName = null);

/// <summary>Output format kind.</summary>
public enum ResponseFormatKind
{
    Text,
    JsonObject,
    JsonSchema,
}

/// <summary>Structured output settings; <see cref="Schema"/> is raw JSON Schema.</summary>
public sealed record ResponseFormat(ResponseFormatKind Kind, string? Name = null, JsonElement? Schema = null, bool? Strict = null);

/// <summary>
/// Reasoning control: an effort level (OpenAI reasoning_effort) and/or a token budget (Anthropic
/// thinking.budget_tokens, Gemini thinkingBudget). Adapters convert one into the other where needed.
/// </summary>
public sealed record ReasoningConfig(string? Effort, int? BudgetTokens, bool IncludeThoughts = true)
{
    /// <summary>A budget for an effort level when the target only takes budgets (documented approximation).</summary>
    public int BudgetOr(int maxTokens) => BudgetTokens ?? Effort switch
    {
        "minimal" => 1024,
        "low" => 2048,
        "medium" => 8192,
        "high" => 24576,
        _ => Math.Max(1024, maxTokens / 2),
    };

    /// <summary>An effort level for a budget when the target only takes efforts.</summary>
    public string EffortOrDefault() => Effort ?? BudgetTokens switch
    {
        null => "medium",
        <= 2048 => "low",
        <= 12288 => "medium",
        _ => "high",
    };
}
