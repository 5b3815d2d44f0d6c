using Microsoft.AspNetCore.Http;

namespace Switchyard.Tests.TestKit;

/// <summary>
/// How the fake answers one request. Build them with the static factories (<see cref="Text"/>,
/// <see cref="ToolCalls"/>, <see cref="RateLimited"/>, <see cref="Cut"/>, <see cref="Stall"/>, ...) and tweak
/// them with <c>with { ... }</c>; then pass them to <see cref="FakeOpenAIUpstream.Enqueue(UpstreamBehavior[])"/>
/// or <see cref="FakeOpenAIUpstream.SetDefault(UpstreamBehavior)"/>. Behaviours are immutable and reusable.
/// </summary>
public abstract record UpstreamBehavior
{
    /// <summary>The reply of the default chat behaviour.</summary>
    public const string DefaultReplyText = "Hello from the fake upstream!";

    private protected UpstreamBehavior()
    {
    }

    /// <summary>Extra response headers (e.g. <c>x-ratelimit-remaining-requests</c>) sent with this behaviour's response.</summary>
    public IReadOnlyDictionary<string, string>? Headers { get; init; }

    /// <summary>A successful assistant text reply, streamed in <paramref name="chunks"/> content pieces when the request streams.</summary>
    public static TextCompletionBehavior Text(string text = DefaultReplyText, int chunks = 3, FakeUsage? usage = null) =>
        new(text) { Chunks = chunks, Usage = usage ?? FakeUsage.Default };

    /// <summary>A successful assistant text reply streamed with exactly these content pieces.</summary>
    public static TextCompletionBehavior TextPieces(params string[] pieces) => new(string.Concat(pieces)) { Pieces = pieces };

    /// <summary>An assistant message with (parallel, when more than one) tool calls and <c>finish_reason: "tool_calls"</c>.</summary>
    public static ToolCallsBehavior ToolCalls(params FakeToolCall[] calls) => new(calls);

    /// <summary>A single tool call to <paramref name="name"/> with <paramref name="argumentsJson"/>.</summary>
    public static ToolCallsBehavior ToolCall(string name, string argumentsJson) => new([new FakeToolCall(name, argumentsJson)]);

    /// <summary>An HTTP error with OpenAI's error body.</summary>
    public static ErrorBehavior Error(int statusCode, string message, string type, string? param = null, string? code = null) =>
        new(statusCode, message, type, param, code);

    /// <summary>400 <c>invalid_request_error</c>.</summary>
    public static ErrorBehavior BadRequest(string message = "Invalid request: 'messages' is a required property.", string? param = "messages", string? code = null) =>
        new(StatusCodes.Status400BadRequest, message, "invalid_request_error", param, code);

    /// <summary>400 <c>context_length_exceeded</c> (a non-retryable error a gateway may want to surface or fall back on).</summary>
    public static ErrorBehavior ContextLengthExceeded() => new(
        StatusCodes.Status400BadRequest,
        "This model's maximum context length is 128000 tokens. However, your messages resulted in 130512 tokens. Please reduce the length of the messages.",
        "invalid_request_error",
        "messages",
        "context_length_exceeded");

    /// <summary>401 <c>invalid_api_key</c>.</summary>
    public static ErrorBehavior InvalidApiKey() => new(
        StatusCodes.Status401Unauthorized,
        "Incorrect API key provided: sk-fake****1234. You can find your API key at https://platform.openai.com/account/api-keys.",
        "invalid_request_error",
        null,
        "invalid_api_key");

    /// <summary>
    /// 429 <c>rate_limit_exceeded</c> with <c>Retry-After</c> (whole seconds, rounded up), <c>retry-after-ms</c> and
    /// <c>x-ratelimit-*</c> headers. Defaults to a 2 s retry hint.
    /// </summary>
    public static ErrorBehavior RateLimited(TimeSpan? retryAfter = null)
    {
        var wait = retryAfter ?? TimeSpan.FromSeconds(2);
        var seconds = (long)Math.Ceiling(wait.TotalSeconds);
        return new ErrorBehavior(
            StatusCodes.Status429TooManyRequests,
            $"Rate limit reached for requests per min (RPM): Limit 60, Used 60, Requested 1. Please try again in {seconds}s.",
            "requests",
            null,
            "rate_limit_exceeded")
        {
            Headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
            {
                ["Retry-After"] = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["retry-after-ms"] = ((long)wait.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["x-ratelimit-limit-requests"] = "60",
                ["x-ratelimit-remaining-requests"] = "0",
                ["x-ratelimit-reset-requests"] = $"{seconds}s",
                ["x-ratelimit-limit-tokens"] = "150000",
                ["x-ratelimit-remaining-tokens"] = "149000",
                ["x-ratelimit-reset-tokens"] = "400ms",
            },
        };
    }

    /// <summary>429 <c>insufficient_quota</c>: same status as a rate limit but retrying cannot help, and no <c>Retry-After</c>.</summary>
    public static ErrorBehavior QuotaExceeded() => new(
        StatusCodes.Status429TooManyRequests,
        "You exceeded your current quota, please check your plan and billing details.",
        "insufficient_quota",
        null,
        "insufficient_quota");

    /// <summary>500 <c>server_error</c>.</summary>
    public static ErrorBehavior ServerError() => new(
        StatusCodes.Status500InternalServerError,
        "The server had an error while processing your request. Sorry about that!",
        "server_error",
        null,
        null);

    /// <summary>503 overloaded.</summary>
    public static ErrorBehavior ServiceUnavailable() => new(
        StatusCodes.Status503ServiceUnavailable,
        "The server is overloaded or not ready yet.",
        "service_unavailable_error",
        null,
        "server_is_overloaded");

    /// <summary>Streams the first <paramref name="chunksBeforeCut"/> SSE events of <paramref name="source"/> (default: a text reply), then aborts the connection without <c>[DONE]</c>.</summary>
    public static CutStreamBehavior Cut(int chunksBeforeCut, CompletionBehavior? source = null) =>
        new(chunksBeforeCut) { Source = source ?? Text() };

    /// <summary>
    /// Sends headers and the first <paramref name="chunksBeforeStall"/> events, then goes silent until the client aborts,
    /// <paramref name="release"/> fires, <see cref="FakeOpenAIUpstream.ReleaseStalls"/> is called or the fake is disposed.
    /// </summary>
    public static StallBehavior Stall(int chunksBeforeStall = 0, CancellationToken release = default) =>
        new(chunksBeforeStall) { Release = release };

    /// <summary>Waits <paramref name="delay"/> (on the fake's clock, before any byte is sent), then behaves like <paramref name="then"/> or the endpoint's default.</summary>
    public static DelayBehavior Delay(TimeSpan delay, UpstreamBehavior? then = null) => new(delay, then);

    /// <summary>Streams <paramref name="chunksBeforeError"/> events, then <c>data: {"error": {...}}</c>, and ends the stream without <c>[DONE]</c>.</summary>
    public static InStreamErrorBehavior StreamError(
        int chunksBeforeError,
        string message = "The server had an error while processing your request. Sorry about that!",
        string type = "server_error",
        string? code = null) =>
        new(chunksBeforeError, message, type) { Code = code };

    /// <summary>Anything else: the handler owns the response.</summary>
    public static RawBehavior Raw(Func<HttpContext, RecordedRequest, Task> handler) => new(handler);

    /// <summary>A successful embeddings response (one vector per input).</summary>
    public static EmbeddingsBehavior Embeddings(int dimensions = EmbeddingsBehavior.DefaultDimensions) => new() { Dimensions = dimensions };

    /// <summary>A <c>GET /v1/models</c> list with these model ids.</summary>
    public static ModelsBehavior Models(params string[] ids) => new(ids);

    /// <summary>Runs the behaviour. Headers from <see cref="Headers"/> are already applied by the caller.</summary>
    internal abstract Task ExecuteAsync(BehaviorContext context);

    /// <summary>Whether the behaviour makes sense for the endpoint; checked when it is scripted so mistakes fail fast.</summary>
    internal virtual bool Supports(UpstreamEndpoint endpoint) => true;

    /// <summary>Throws when the behaviour is misconfigured; called when it is scripted.</summary>
    internal virtual void Validate()
    {
    }

    internal void ApplyHeaders(HttpResponse response)
    {
        if (Headers is null || response.HasStarted)
        {
            return;
        }

        foreach (var (name, value) in Headers)
        {
            response.Headers[name] = value;
        }
    }
}
