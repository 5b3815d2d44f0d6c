namespace Switchyard.Canonical;

/// <summary>Why generation stopped, in canonical terms.</summary>
public enum FinishReason
{
    /// <summary>Natural end or a stop sequence.</summary>
    Stop,

    /// <summary>Hit the token cap.</summary>
    Length,

    /// <summary>The model called tools and waits for their results.</summary>
    ToolCalls,

    /// <summary>Blocked or cut by a content filter / refusal.</summary>
    ContentFilter,

    /// <summary>Ended by an error (a broken stream).</summary>
    Error,
}

/// <summary>Token accounting, including the cache and reasoning splits every provider reports differently.</summary>
public struct TokenUsage
{
    /// <summary>All input tokens, cached ones included (OpenAI prompt_tokens semantics).</summary>
    public long InputTokens;

    /// <summary>All output tokens, reasoning included.</summary>
    public long OutputTokens;

    /// <summary>Input tokens served from the prompt cache.</summary>
    public long CacheReadTokens;

    /// <summary>Input tokens written to the prompt cache (Anthropic cache_creation_input_tokens), whatever their lifetime.</summary>
    public long CacheWriteTokens;

    /// <summary>
    /// The part of <see cref="CacheWriteTokens"/> written for one hour (Anthropic
    /// <c>cache_creation.ephemeral_1h_input_tokens</c>), billed at a higher rate than the default five minutes.
    /// </summary>
    public long CacheWrite1hTokens;

    /// <summary>Output tokens spent on reasoning.</summary>
    public long ReasoningTokens;

    public readonly long TotalTokens => InputTokens + OutputTokens;

    /// <summary>Takes every non-zero field of <paramref name="update"/>: providers report input and output
    /// tokens in different events (Anthropic: message_start, then message_delta).</summary>
    public void Merge(in TokenUsage update)
    {
        InputTokens = update.InputTokens != 0 ? update.InputTokens : InputTokens;
        OutputTokens = update.OutputTokens != 0 ? update.OutputTokens : OutputTokens;
        CacheReadTokens = update.CacheReadTokens != 0 ? update.CacheReadTokens : CacheReadTokens;
        CacheWriteTokens = update.CacheWriteTokens != 0 ? update.CacheWriteTokens : CacheWriteTokens;
        CacheWrite1hTokens = update.CacheWrite1hTokens != 0 ? update.CacheWrite1hTokens : CacheWrite1hTokens;
        ReasoningTokens = update.ReasoningTokens != 0 ? update.ReasoningTokens : ReasoningTokens;
    }
}

/// <summary>A whole (non-streamed) answer.</summary>
public sealed class ChatResponse
{
    public required string Id { get; set; }

    /// <summary>The upstream model that answered.</summary>
    public required string Model { get; set; }

    /// <summary>Assistant content: text, tool calls, thinking.</summary>
    public List<ContentPart> Content { get; } = [];

    public FinishReason FinishReason { get; set; }

    /// <summary>Provider's raw stop reason/sequence, where it adds information (e.g. the stop sequence hit).</summary>
    public string? StopSequence { get; set; }

    /// <summary>Refusal text, when the model refused (OpenAI message.refusal).</summary>
    public string? Refusal { get; set; }

    public TokenUsage Usage;

    /// <summary>Unix seconds.</summary>
    public long Created { get; set; }
}
