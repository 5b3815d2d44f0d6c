using System.Diagnostics;

namespace Switchyard.Core;

/// <summary>
/// Sees every finished request: Settle calls each registered observer once per request (never for a dry run),
/// after the usage record is built. The port lets Usage feed metrics and traces without importing Observability
/// (they are peers; docs/adr/0009-observability.md). Implementations must be cheap, must not block and must not
/// throw: they run on the request's own thread, before its pooled buffers are released.
/// </summary>
public interface IRequestObserver
{
    /// <summary>Records <paramref name="ctx"/>, whose usage record is <paramref name="record"/>.</summary>
    void Observe(GatewayContext ctx, UsageRecord record);
}

/// <summary>
/// The gateway's spans (<see cref="ActivitySource"/> <see cref="SourceName"/>) and the OpenTelemetry GenAI vocabulary
/// the request path needs to name them. Dispatch starts an attempt span on <see cref="Source"/>; nothing is made
/// (and nothing allocated) while no listener is registered, which is the case unless traces are exported.
/// </summary>
public static class GatewayTracing
{
    /// <summary>The activity source's name (a collector's filter, <c>AddSource</c>).</summary>
    public const string SourceName = "Switchyard.Gateway";

    /// <summary>The operation name of an attempt span before its display name is set (<c>{operation} {model}</c>).</summary>
    public const string AttemptOperation = "switchyard.attempt";

    /// <summary>The source. Stateless: a listener is what decides whether a span is made.</summary>
    public static ActivitySource Source { get; } = new(SourceName, typeof(GatewayTracing).Assembly.GetName().Version?.ToString());

    /// <summary>
    /// <c>gen_ai.operation.name</c> of <paramref name="operation"/> (semantic conventions' well-known values: Chat
    /// Completions, Anthropic Messages and the Responses API are all <c>chat</c>); null for what is not a model call.
    /// </summary>
    public static string? OperationName(Operation operation) => operation switch
    {
        Operation.ChatCompletions or Operation.Messages or Operation.Responses => "chat",
        Operation.GenerateContent => "generate_content",
        Operation.Embeddings => "embeddings",
        Operation.ImageGenerations or Operation.ImageEdits => "image_generation",
        Operation.Speech => "text_to_speech",
        Operation.Transcriptions or Operation.Translations => "speech_to_text",
        Operation.Moderations => "moderation",
        Operation.Rerank => "rerank",
        Operation.Videos => "video_generation",
        _ => null,
    };
}
