namespace Switchyard.Core;

/// <summary>
/// What one client request cost and how it was served. Written off the request path (see
/// <see cref="UsageWriter"/>); one record per request, whatever its outcome.
/// </summary>
public sealed class UsageRecord
{
    /// <summary>The <c>x-request-id</c> returned to the client.</summary>
    public required string RequestId { get; init; }

    /// <summary>UTC start of the request, in Unix milliseconds.</summary>
    public long StartedAtMs { get; init; }

    /// <summary>Public id of the client key ("master", a configured id, or "anonymous"). Never the key.</summary>
    public string? KeyId { get; init; }

    /// <summary>Operation: <c>chat.completions</c> or <c>embeddings</c>.</summary>
    public required string Operation { get; init; }

    /// <summary>The model name the client asked for.</summary>
    public string? Alias { get; init; }

    /// <summary>The conditional route that applied (<c>routes.NAME</c>), if any.</summary>
    public string? Route { get; init; }

    /// <summary>The deployment routing chose first (the intended one).</summary>
    public string? IntendedDeployment { get; init; }

    /// <summary>The deployment whose answer reached the client (or the last one tried).</summary>
    public string? FinalDeployment { get; init; }

    /// <summary>The upstream model name of <see cref="FinalDeployment"/>.</summary>
    public string? FinalModel { get; init; }

    /// <summary>A second attempt raced the first (hedging); both count in <see cref="Attempts"/>.</summary>
    public bool Hedged { get; init; }

    /// <summary>Every attempt with its outcome and duration, in order: <c>deployment:outcome:ms</c>, comma-separated;
    /// null when the only attempt succeeded.</summary>
    public string? AttemptLog { get; init; }

    /// <summary>Upstream attempts made (0 when refused before any).</summary>
    public int Attempts { get; init; }

    /// <summary>Why the final deployment differs from the intended one, or why a retry happened (snake_case failure kind).</summary>
    public string? FallbackReason { get; init; }

    /// <summary>Whether the client asked for a stream.</summary>
    public bool Stream { get; init; }

    /// <summary>HTTP status returned to the client (200 for a stream that started, even if it later broke).</summary>
    public int Status { get; init; }

    /// <summary>Failure kind of the outcome (snake_case), null on success.</summary>
    public string? ErrorKind { get; init; }

    public long PromptTokens { get; init; }
    public long CompletionTokens { get; init; }
    /// <summary>Prompt tokens read from the provider's prompt cache.</summary>
    public long CachedTokens { get; init; }

    /// <summary>Prompt tokens written to the provider's prompt cache.</summary>
    public long CacheWriteTokens { get; init; }

    /// <summary>Completion tokens spent on reasoning.</summary>
    public long ReasoningTokens { get; init; }

    /// <summary>Transport/format the client used (e.g. <c>openai.chat</c>, <c>anthropic.messages</c>).</summary>
    public string? Format { get; init; }

    /// <summary>Request fields dropped in translation (comma-separated), when the route allowed dropping.</summary>
    public string? DroppedParams { get; init; }
    public long TotalTokens { get; init; }

    /// <summary>Whole request, as the gateway saw it, in milliseconds.</summary>
    public double LatencyMs { get; init; }

    /// <summary>Time to the first byte sent to the client (first token for streams), in milliseconds.</summary>
    public double? TimeToFirstTokenMs { get; init; }
}
