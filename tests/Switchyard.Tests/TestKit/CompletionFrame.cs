using System.Text.Json.Nodes;

namespace Switchyard.Tests.TestKit;

/// <summary>
/// The per-response constants of one chat completion (id, created, model, ...). Every chunk of a stream repeats
/// them, exactly as OpenAI does, so one frame is built per request and shared by all chunks.
/// </summary>
internal sealed class CompletionFrame(string model, long created, string? systemFingerprint, string? serviceTier, bool includeUsage)
{
    private readonly string _toolCallSeed = FakeIds.Alnum(22);

    internal string Id { get; } = FakeIds.Completion();

    internal bool IncludeUsage => includeUsage;

    /// <summary>Tool call ids must be stable within a response (the non-stream message and the stream deltas agree).</summary>
    internal string ToolCallId(int index) => $"call_{_toolCallSeed}{index:D2}";

    /// <summary>A non-streaming <c>chat.completion</c> object with a single choice.</summary>
    internal JsonObject Completion(JsonObject message, string finishReason, FakeUsage usage)
    {
        var completion = Header("chat.completion");
        completion["choices"] = new JsonArray(new JsonObject
        {
            ["index"] = 0,
            ["message"] = message,
            ["logprobs"] = null,
            ["finish_reason"] = finishReason,
        });
        completion["usage"] = OpenAIWire.Usage(usage);
        return completion;
    }

    /// <summary>
    /// A <c>chat.completion.chunk</c> with one choice. With <c>include_usage</c> every such chunk carries
    /// <c>"usage": null</c>; without it the key is absent — both are what OpenAI sends.
    /// </summary>
    internal JsonObject Chunk(JsonObject delta, string? finishReason)
    {
        var chunk = Header("chat.completion.chunk");
        chunk["choices"] = new JsonArray(new JsonObject
        {
            ["index"] = 0,
            ["delta"] = delta,
            ["logprobs"] = null,
            ["finish_reason"] = finishReason,
        });
        if (includeUsage)
        {
            chunk["usage"] = null;
        }

        return chunk;
    }

    /// <summary>The extra chunk sent before <c>[DONE]</c> when <c>include_usage</c> is set: no choices, only usage.</summary>
    internal JsonObject UsageChunk(FakeUsage usage)
    {
        var chunk = Header("chat.completion.chunk");
        chunk["choices"] = new JsonArray();
        chunk["usage"] = OpenAIWire.Usage(usage);
        return chunk;
    }

    private JsonObject Header(string objectType) => new()
    {
        ["id"] = Id,
        ["object"] = objectType,
        ["created"] = created,
        ["model"] = model,
        ["service_tier"] = serviceTier,
        ["system_fingerprint"] = systemFingerprint,
    };
}
