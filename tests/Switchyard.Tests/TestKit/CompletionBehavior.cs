using System.Text.Json.Nodes;

namespace Switchyard.Tests.TestKit;

/// <summary>
/// A successful chat completion, answered as a <c>chat.completion</c> object or, when the request has
/// <c>"stream": true</c>, as <c>chat.completion.chunk</c> SSE events ending with <c>data: [DONE]</c>. Also the
/// "source" of chunks for the failure behaviours (<see cref="CutStreamBehavior"/>, <see cref="StallBehavior"/>,
/// <see cref="InStreamErrorBehavior"/>) so those fail part-way through a realistic stream.
/// </summary>
/// <param name="FinishReason">The <c>finish_reason</c> of the choice (e.g. <c>stop</c>, <c>length</c>, <c>tool_calls</c>).</param>
public abstract record CompletionBehavior(string FinishReason) : UpstreamBehavior
{
    /// <summary>Token counts reported in <c>usage</c> (the final chunk when streaming with <c>include_usage</c>).</summary>
    public FakeUsage Usage { get; init; } = FakeUsage.Default;

    /// <summary>The <c>model</c> reported back; null echoes the requested model (real OpenAI may answer with a dated snapshot name).</summary>
    public string? ResponseModel { get; init; }

    /// <summary>Reported as <c>system_fingerprint</c>.</summary>
    public string? SystemFingerprint { get; init; } = "fp_f4ke5e7d1c";

    /// <summary>Reported as <c>service_tier</c>.</summary>
    public string? ServiceTier { get; init; } = "default";

    internal override bool Supports(UpstreamEndpoint endpoint) => endpoint == UpstreamEndpoint.ChatCompletions;

    /// <summary>The non-streaming <c>choices[0].message</c>.</summary>
    internal abstract JsonObject BuildMessage(CompletionFrame frame);

    /// <summary>The streamed deltas up to (not including) the final empty delta that carries <c>finish_reason</c>.</summary>
    internal abstract IEnumerable<JsonObject> BuildDeltas(CompletionFrame frame);

    internal CompletionFrame CreateFrame(BehaviorContext context) => new(
        ResponseModel ?? context.Request.Model ?? "unknown-model",
        context.UnixNow,
        SystemFingerprint,
        ServiceTier,
        context.Request.IncludeUsage);

    internal string BuildCompletionJson(CompletionFrame frame) =>
        OpenAIWire.Serialize(frame.Completion(BuildMessage(frame), FinishReason, Usage));

    /// <summary>Every SSE payload of the stream except <c>[DONE]</c>, in order.</summary>
    internal IReadOnlyList<string> BuildChunks(CompletionFrame frame)
    {
        var chunks = BuildDeltas(frame).Select(delta => OpenAIWire.Serialize(frame.Chunk(delta, finishReason: null))).ToList();
        chunks.Add(OpenAIWire.Serialize(frame.Chunk(new JsonObject(), FinishReason)));
        if (frame.IncludeUsage)
        {
            chunks.Add(OpenAIWire.Serialize(frame.UsageChunk(Usage)));
        }

        return chunks;
    }

    internal override async Task ExecuteAsync(BehaviorContext context)
    {
        var frame = CreateFrame(context);
        if (!context.Request.IsStream)
        {
            await context.WriteJsonAsync(200, BuildCompletionJson(frame));
            return;
        }

        await SseWriter.BeginAsync(context.Response, context.Aborted);
        foreach (var chunk in BuildChunks(frame))
        {
            await SseWriter.WriteDataAsync(context.Response, chunk, context.Aborted);
        }

        await SseWriter.WriteDoneAsync(context.Response, context.Aborted);
    }
}
