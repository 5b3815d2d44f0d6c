using Microsoft.AspNetCore.Http;

namespace Switchyard.Tests.TestKit.Anthropic;

/// <summary>
/// How the fake Anthropic upstream answers one <c>POST /v1/messages</c>. Build with the factories and tweak with
/// <c>with { ... }</c>; pass to <see cref="FakeAnthropicUpstream.Enqueue"/>. Immutable and reusable.
/// </summary>
public abstract record AnthropicBehavior
{
    /// <summary>The default reply text.</summary>
    public const string DefaultReplyText = "Hello from the fake Anthropic upstream!";

    private protected AnthropicBehavior()
    {
    }

    /// <summary>Extra response headers.</summary>
    public IReadOnlyDictionary<string, string>? Headers { get; init; }

    /// <summary>A text answer (<c>end_turn</c>), streamed in <paramref name="chunks"/> text deltas.</summary>
    public static AnthropicMessageBehavior Text(string text = DefaultReplyText, int chunks = 3, AnthropicUsage? usage = null) =>
        new([new AnthropicTextBlock(text)], "end_turn") { Chunks = chunks, Usage = usage ?? AnthropicUsage.Default };

    /// <summary>An answer that calls tools (<c>tool_use</c>), optionally after some text.</summary>
    public static AnthropicMessageBehavior ToolUse(string? preamble, params AnthropicToolUseBlock[] calls) =>
        new([.. preamble is null ? Array.Empty<AnthropicBlock>() : [new AnthropicTextBlock(preamble)], .. calls], "tool_use");

    /// <summary>Thinking (with a signature) followed by text.</summary>
    public static AnthropicMessageBehavior ThinkingThenText(string thinking, string signature, string text) =>
        new([new AnthropicThinkingBlock(thinking, signature), new AnthropicTextBlock(text)], "end_turn");

    /// <summary>An HTTP error with Anthropic's envelope.</summary>
    public static AnthropicErrorBehavior Error(int status, string type, string message) => new(status, type, message);

    /// <summary>429 <c>rate_limit_error</c> with <c>retry-after</c> (seconds) and Anthropic's rate-limit headers.</summary>
    public static AnthropicErrorBehavior RateLimited(int retryAfterSeconds = 2) =>
        new(429, "rate_limit_error", "This request would exceed the rate limit for your organization of 50 requests per minute.")
        {
            Headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
            {
                ["retry-after"] = retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["anthropic-ratelimit-requests-limit"] = "50",
                ["anthropic-ratelimit-requests-remaining"] = "0",
            },
        };

    /// <summary>529 <c>overloaded_error</c>.</summary>
    public static AnthropicErrorBehavior Overloaded() => new(529, "overloaded_error", "Overloaded");

    /// <summary>400 for a prompt over the context window.</summary>
    public static AnthropicErrorBehavior PromptTooLong() => new(400, "invalid_request_error", "prompt is too long: 215337 tokens > 200000 maximum");

    /// <summary>A text stream that sends <paramref name="eventsBefore"/> events, then <c>event: error</c>, and ends.</summary>
    public static AnthropicStreamFailureBehavior StreamError(int eventsBefore, string type = "overloaded_error", string message = "Overloaded") =>
        new(eventsBefore, type, message, DropConnection: false);

    /// <summary>A text stream that sends <paramref name="eventsBefore"/> events, then drops the connection.</summary>
    public static AnthropicStreamFailureBehavior Cut(int eventsBefore) => new(eventsBefore, null, null, DropConnection: true);

    /// <summary>Anything else: the handler owns the response.</summary>
    public static AnthropicRawBehavior Raw(Func<HttpContext, AnthropicRecordedRequest, Task> handler) => new(handler);
}

/// <summary>A successful message, whole or streamed (per the request's <c>stream</c>).</summary>
/// <param name="Content">The content blocks, in order.</param>
/// <param name="StopReason">The <c>stop_reason</c>.</param>
public sealed record AnthropicMessageBehavior(IReadOnlyList<AnthropicBlock> Content, string StopReason) : AnthropicBehavior
{
    public AnthropicUsage Usage { get; init; } = AnthropicUsage.Default;

    /// <summary>Deltas per block when streamed.</summary>
    public int Chunks { get; init; } = 3;

    /// <summary>The matched stop sequence (with <c>stop_reason: stop_sequence</c>).</summary>
    public string? StopSequence { get; init; }

    /// <summary>The reported model; null echoes the request's.</summary>
    public string? ResponseModel { get; init; }

    /// <summary>The message id; null generates one.</summary>
    public string? Id { get; init; }
}

/// <summary>An HTTP error with <c>{"type":"error","error":{...}}</c>.</summary>
public sealed record AnthropicErrorBehavior(int Status, string Type, string Message) : AnthropicBehavior;

/// <summary>A text stream broken after some events, by an error event or a dropped connection.</summary>
public sealed record AnthropicStreamFailureBehavior(int EventsBefore, string? Type, string? Message, bool DropConnection) : AnthropicBehavior
{
    /// <summary>The stream that is broken.</summary>
    public AnthropicMessageBehavior Source { get; init; } = Text("One two three four five six", chunks: 6);
}

/// <summary>A handler that writes the whole response itself.</summary>
public sealed record AnthropicRawBehavior(Func<HttpContext, AnthropicRecordedRequest, Task> Handler) : AnthropicBehavior;
