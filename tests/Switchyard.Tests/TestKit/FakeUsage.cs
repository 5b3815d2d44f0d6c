namespace Switchyard.Tests.TestKit;

/// <summary>
/// Token counts the fake reports in a chat completion's <c>usage</c> object. The detail counters that are not
/// configurable (audio, predictions) are always reported as 0, as OpenAI does for plain text models.
/// </summary>
/// <param name="PromptTokens">Reported as <c>usage.prompt_tokens</c>.</param>
/// <param name="CompletionTokens">Reported as <c>usage.completion_tokens</c>.</param>
public sealed record FakeUsage(int PromptTokens, int CompletionTokens)
{
    /// <summary>The counts used unless a behaviour says otherwise.</summary>
    public static FakeUsage Default { get; } = new(PromptTokens: 10, CompletionTokens: 5);

    /// <summary>Reported as <c>usage.prompt_tokens_details.cached_tokens</c> (a subset of the prompt tokens).</summary>
    public int CachedTokens { get; init; }

    /// <summary>Reported as <c>usage.completion_tokens_details.reasoning_tokens</c> (a subset of the completion tokens).</summary>
    public int ReasoningTokens { get; init; }

    /// <summary>Reported as <c>usage.total_tokens</c>; OpenAI always sends the sum, so it is derived rather than set.</summary>
    public int TotalTokens => PromptTokens + CompletionTokens;
}
