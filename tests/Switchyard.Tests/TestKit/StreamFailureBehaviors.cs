using System.Text;

namespace Switchyard.Tests.TestKit;

/// <summary>
/// Sends the first <see cref="ChunksBeforeCut"/> SSE events of <see cref="Source"/> and then aborts the TCP
/// connection: no <c>[DONE]</c>, no terminating HTTP chunk, so the client sees a truncated body / IOException.
/// For a non-streaming request it sends the headers (with the full <c>Content-Length</c>) and half the JSON body, then aborts.
/// </summary>
/// <param name="ChunksBeforeCut">How many <c>data:</c> events (role delta counts as the first) to send before cutting.</param>
public sealed record CutStreamBehavior(int ChunksBeforeCut) : UpstreamBehavior
{
    /// <summary>The completion whose stream is cut short.</summary>
    public CompletionBehavior Source { get; init; } = Text();

    internal override bool Supports(UpstreamEndpoint endpoint) => endpoint == UpstreamEndpoint.ChatCompletions;

    internal override void Validate() => Source.Validate();

    internal override Task ExecuteAsync(BehaviorContext context)
    {
        var frame = Source.CreateFrame(context);
        if (context.Request.IsStream)
        {
            var events = Source.BuildChunks(frame).Take(ChunksBeforeCut).Select(SseWriter.Frame).ToList();
            return ConnectionCutter.SendAndCutAsync(context, SseWriter.ContentType, events, contentLength: null);
        }

        var body = Encoding.UTF8.GetBytes(Source.BuildCompletionJson(frame));
        return ConnectionCutter.SendAndCutAsync(context, "application/json", [body[..(body.Length / 2)]], body.Length);
    }
}

/// <summary>
/// Sends the first <see cref="ChunksBeforeError"/> events of <see cref="Source"/>, then
/// <c>data: {"error":{...}}</c>, and ends the response normally without <c>[DONE]</c> — how OpenAI reports a failure
/// after a stream has started (the HTTP status is already 200). A non-streaming request gets a 500 with the same error body.
/// </summary>
/// <param name="ChunksBeforeError">How many <c>data:</c> events to send before the error event.</param>
/// <param name="Message"><c>error.message</c>.</param>
/// <param name="Type"><c>error.type</c>.</param>
public sealed record InStreamErrorBehavior(int ChunksBeforeError, string Message, string Type) : UpstreamBehavior
{
    /// <summary><c>error.param</c>.</summary>
    public string? Param { get; init; }

    /// <summary><c>error.code</c>.</summary>
    public string? Code { get; init; }

    /// <summary>The completion whose stream fails part-way.</summary>
    public CompletionBehavior Source { get; init; } = Text();

    internal override bool Supports(UpstreamEndpoint endpoint) => endpoint == UpstreamEndpoint.ChatCompletions;

    internal override void Validate() => Source.Validate();

    internal override async Task ExecuteAsync(BehaviorContext context)
    {
        var error = OpenAIWire.Serialize(OpenAIWire.Error(Message, Type, Param, Code));
        if (!context.Request.IsStream)
        {
            await context.WriteJsonAsync(500, error);
            return;
        }

        var frame = Source.CreateFrame(context);
        await SseWriter.BeginAsync(context.Response, context.Aborted);
        foreach (var chunk in Source.BuildChunks(frame).Take(ChunksBeforeError))
        {
            await SseWriter.WriteDataAsync(context.Response, chunk, context.Aborted);
        }

        await SseWriter.WriteDataAsync(context.Response, error, context.Aborted);
    }
}
