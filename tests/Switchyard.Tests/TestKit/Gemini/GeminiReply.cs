using System.Text.Json.Nodes;

namespace Switchyard.Tests.TestKit.Gemini;

/// <summary>Token counts the fake reports in <c>usageMetadata</c>.</summary>
public sealed record GeminiUsage(int Prompt, int Candidates, int Thoughts = 0, int Cached = 0)
{
    internal JsonObject ToJson(bool final)
    {
        var u = new JsonObject { ["promptTokenCount"] = Prompt };
        if (final)
        {
            u["candidatesTokenCount"] = Candidates;
        }

        u["totalTokenCount"] = Prompt + (final ? Candidates + Thoughts : 0);
        if (Cached > 0)
        {
            u["cachedContentTokenCount"] = Cached;
        }

        u["promptTokensDetails"] = new JsonArray(new JsonObject { ["modality"] = "TEXT", ["tokenCount"] = Prompt });
        if (final && Thoughts > 0)
        {
            u["thoughtsTokenCount"] = Thoughts;
        }

        return u;
    }
}

/// <summary>
/// How the fake Gemini answers one request. Content replies (<see cref="Text"/>, <see cref="FunctionCalls"/>)
/// answer both <c>generateContent</c> (one indented JSON body, as Google sends it) and
/// <c>streamGenerateContent</c> (one chunk per piece; the last carries <c>finishReason</c> and the final usage,
/// then the connection closes: Gemini streams have no terminator). The failure replies reproduce Google's
/// error envelope and what a broken connection looks like.
/// </summary>
public abstract record GeminiReply
{
    private protected GeminiReply()
    {
    }

    /// <summary>A text answer streamed in <paramref name="chunks"/> pieces.</summary>
    public static ContentReply Text(string text, int chunks = 3, GeminiUsage? usage = null) =>
        new(TextSplitter.Split(text, chunks).Select(p => new JsonObject { ["text"] = p }).ToArray(), usage ?? new GeminiUsage(8, 5));

    /// <summary>Function calls (in one chunk when streamed, as Gemini sends them), with <c>finishReason: STOP</c>.</summary>
    public static ContentReply FunctionCalls(params (string Name, string ArgsJson)[] calls) =>
        new([new JsonObject { ["parts"] = new JsonArray(calls.Select(c => (JsonNode)new JsonObject
        {
            ["functionCall"] = new JsonObject { ["name"] = c.Name, ["args"] = JsonNode.Parse(c.ArgsJson) },
        }).ToArray()) }], new GeminiUsage(30, 12)) { PartsGiven = true };

    /// <summary>An error with Google's envelope.</summary>
    public static ErrorReply Error(int code, string status, string message, JsonArray? details = null) => new(code, status, message, details);

    /// <summary>429 RESOURCE_EXHAUSTED with a <c>google.rpc.RetryInfo</c> detail.</summary>
    public static ErrorReply RateLimited(TimeSpan retryDelay) => new(429, "RESOURCE_EXHAUSTED",
        "You exceeded your current quota, please check your plan and billing details.",
        new JsonArray(
            new JsonObject { ["@type"] = "type.googleapis.com/google.rpc.Help", ["links"] = new JsonArray(new JsonObject { ["description"] = "Learn more about Gemini API quotas", ["url"] = "https://ai.google.dev/gemini-api/docs/rate-limits" }) },
            new JsonObject { ["@type"] = "type.googleapis.com/google.rpc.RetryInfo", ["retryDelay"] = $"{retryDelay.TotalSeconds:0.###}s" }));

    /// <summary>Streams the first <paramref name="chunks"/> chunks of <paramref name="source"/> (none with a finish reason), then ends the response.</summary>
    public static CutReply Cut(int chunks, ContentReply source) => new(chunks, source);

    /// <summary>Streams the first <paramref name="chunks"/> chunks of <paramref name="source"/>, then an in-stream <c>{"error":...}</c> event.</summary>
    public static StreamErrorReply StreamError(int chunks, ContentReply source) => new(chunks, source);
}

/// <summary>A successful answer: its parts, split into stream chunks.</summary>
public sealed record ContentReply(JsonObject[] Pieces, GeminiUsage Usage) : GeminiReply
{
    /// <summary>Pieces are whole <c>content</c> objects (function calls) rather than single text parts.</summary>
    internal bool PartsGiven { get; init; }

    /// <summary>The finish reason of the last chunk.</summary>
    public string FinishReason { get; init; } = "STOP";

    internal JsonArray PartsOf(int piece) => PartsGiven
        ? (JsonArray)Pieces[piece]["parts"]!.DeepClone()
        : new JsonArray(Pieces[piece].DeepClone());

    /// <summary>The whole answer as one response.</summary>
    internal JsonObject Whole(string model, string responseId)
    {
        var parts = new JsonArray();
        if (PartsGiven)
        {
            foreach (var p in Pieces.SelectMany((_, i) => PartsOf(i)))
            {
                parts.Add(p!.DeepClone());
            }
        }
        else
        {
            parts.Add(new JsonObject { ["text"] = string.Concat(Pieces.Select(p => (string?)p["text"])) });
        }

        return Response(parts, FinishReason, Usage.ToJson(final: true), model, responseId);
    }

    /// <summary>Stream chunk <paramref name="index"/>; the last carries the finish reason and final usage.</summary>
    internal JsonObject Chunk(int index, string model, string responseId)
    {
        var last = index == Pieces.Length - 1;
        return Response(PartsOf(index), last ? FinishReason : null, Usage.ToJson(final: last), model, responseId);
    }

    internal static JsonObject Response(JsonArray parts, string? finishReason, JsonObject usage, string model, string responseId)
    {
        var candidate = new JsonObject
        {
            ["content"] = new JsonObject { ["parts"] = parts, ["role"] = "model" },
        };
        if (finishReason is not null)
        {
            candidate["finishReason"] = finishReason;
        }

        candidate["index"] = 0;
        return new JsonObject
        {
            ["candidates"] = new JsonArray(candidate),
            ["usageMetadata"] = usage,
            ["modelVersion"] = model,
            ["responseId"] = responseId,
        };
    }
}

/// <summary>An HTTP error in Google's envelope.</summary>
public sealed record ErrorReply(int Code, string Status, string Message, JsonArray? Details) : GeminiReply
{
    internal JsonObject Body()
    {
        var error = new JsonObject { ["code"] = Code, ["message"] = Message, ["status"] = Status };
        if (Details is not null)
        {
            error["details"] = Details.DeepClone();
        }

        return new JsonObject { ["error"] = error };
    }
}

/// <summary>A stream cut after some chunks.</summary>
public sealed record CutReply(int Chunks, ContentReply Source) : GeminiReply;

/// <summary>A stream ended by an in-stream error event after some chunks.</summary>
public sealed record StreamErrorReply(int Chunks, ContentReply Source) : GeminiReply
{
    /// <summary>
    /// Pause before the error event. The gateway still falls back when content and an error arrive in the same
    /// read, so a test of the committed case leaves the content time to be read on its own.
    /// </summary>
    public TimeSpan DelayBeforeError { get; init; } = TimeSpan.FromMilliseconds(150);
}
