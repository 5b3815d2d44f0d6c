namespace Switchyard.Canonical;

/// <summary>Kinds of canonical stream events.</summary>
public enum StreamEventKind
{
    /// <summary>The answer began: <see cref="StreamEvent.Id"/>, <see cref="StreamEvent.Model"/>.</summary>
    Start,

    /// <summary>Text for the current text block.</summary>
    TextDelta,

    /// <summary>Thinking text.</summary>
    ThinkingDelta,

    /// <summary>The thinking block's signature (arrives once, at its end).</summary>
    ThinkingSignature,

    /// <summary>A tool call begins: <see cref="StreamEvent.Index"/> (tool-call ordinal), id, name.</summary>
    ToolCallStart,

    /// <summary>A fragment of a tool call's JSON arguments.</summary>
    ToolCallDelta,

    /// <summary>Usage so far (may arrive more than once; the last wins per field).</summary>
    Usage,

    /// <summary>Generation finished with <see cref="StreamEvent.Finish"/>.</summary>
    Finish,

    /// <summary>The upstream reported an error inside the stream.</summary>
    Error,
}

/// <summary>
/// One canonical stream event. A struct with a few fields rather than a class hierarchy: streams carry
/// thousands of them, and decoders/encoders switch on <see cref="Kind"/>.
/// </summary>
public readonly record struct StreamEvent(StreamEventKind Kind)
{
    public string? Text { get; init; }
    public string? Id { get; init; }
    public string? Name { get; init; }
    public string? Model { get; init; }
    public int Index { get; init; }
    public FinishReason Finish { get; init; }
    public TokenUsage Usage { get; init; }

    /// <summary>For <see cref="StreamEventKind.Error"/>: the provider's error type/code.</summary>
    public string? ErrorCode { get; init; }

    public static StreamEvent Started(string id, string model) => new(StreamEventKind.Start) { Id = id, Model = model };
    public static StreamEvent TextChunk(string text) => new(StreamEventKind.TextDelta) { Text = text };
    public static StreamEvent Thinking(string text) => new(StreamEventKind.ThinkingDelta) { Text = text };
    public static StreamEvent Signature(string signature) => new(StreamEventKind.ThinkingSignature) { Text = signature };
    public static StreamEvent ToolStart(int index, string id, string name) => new(StreamEventKind.ToolCallStart) { Index = index, Id = id, Name = name };
    public static StreamEvent ToolArgs(int index, string fragment) => new(StreamEventKind.ToolCallDelta) { Index = index, Text = fragment };
    public static StreamEvent UsageUpdate(TokenUsage usage) => new(StreamEventKind.Usage) { Usage = usage };
    public static StreamEvent Finished(FinishReason reason) => new(StreamEventKind.Finish) { Finish = reason };
    public static StreamEvent Failed(string message, string? code) => new(StreamEventKind.Error) { Text = message, ErrorCode = code };
}
