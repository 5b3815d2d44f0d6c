using System.Text;

namespace Switchyard.Tests.TestKit;

/// <summary>
/// Sends status and headers (plus the first <see cref="ChunksBeforeStall"/> events when streaming), then sends nothing
/// until the client aborts (counted in <see cref="FakeOpenAIUpstream.AbortedCount"/>), <see cref="Release"/> fires,
/// <see cref="FakeOpenAIUpstream.ReleaseStalls"/> is called, <see cref="MaxDuration"/> elapses on the fake's clock, or the fake
/// is disposed. Use it for idle-timeout / first-token-timeout and cancellation-propagation tests.
/// </summary>
/// <param name="ChunksBeforeStall">How many <c>data:</c> events to send before going silent (0 = headers only).</param>
public sealed record StallBehavior(int ChunksBeforeStall) : UpstreamBehavior
{
    /// <summary>The completion being (slowly) produced.</summary>
    public CompletionBehavior Source { get; init; } = Text();

    /// <summary>Ends the stall early (in addition to <see cref="FakeOpenAIUpstream.ReleaseStalls"/>).</summary>
    public CancellationToken Release { get; init; }

    /// <summary>A safety net so a forgotten stall cannot hang a test run forever.</summary>
    public TimeSpan MaxDuration { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// When released (not aborted): true sends the rest of the response (remaining chunks and <c>[DONE]</c>, or the JSON body);
    /// false ends the stream there without <c>[DONE]</c> (a non-streaming response is then dropped mid-body).
    /// </summary>
    public bool CompleteOnRelease { get; init; } = true;

    internal override bool Supports(UpstreamEndpoint endpoint) => endpoint == UpstreamEndpoint.ChatCompletions;

    internal override void Validate() => Source.Validate();

    internal override async Task ExecuteAsync(BehaviorContext context)
    {
        var frame = Source.CreateFrame(context);
        var response = context.Response;
        IReadOnlyList<string> chunks = [];
        byte[] body = [];
        if (context.Request.IsStream)
        {
            chunks = Source.BuildChunks(frame);
            await SseWriter.BeginAsync(response, context.Aborted);
            foreach (var chunk in chunks.Take(ChunksBeforeStall))
            {
                await SseWriter.WriteDataAsync(response, chunk, context.Aborted);
            }
        }
        else
        {
            body = Encoding.UTF8.GetBytes(Source.BuildCompletionJson(frame));
            response.StatusCode = 200;
            response.ContentType = "application/json";
            response.ContentLength = body.Length;
            await response.StartAsync(context.Aborted);
            await response.Body.FlushAsync(context.Aborted);
        }

        using (var wake = CancellationTokenSource.CreateLinkedTokenSource(context.Aborted, context.StallsReleased, Release))
        {
            await context.DelayAsync(MaxDuration, wake.Token);
        }

        if (context.Aborted.IsCancellationRequested || !CompleteOnRelease)
        {
            return;
        }

        if (context.Request.IsStream)
        {
            foreach (var chunk in chunks.Skip(ChunksBeforeStall))
            {
                await SseWriter.WriteDataAsync(response, chunk, context.Aborted);
            }

            await SseWriter.WriteDoneAsync(response, context.Aborted);
        }
        else
        {
            await response.Body.WriteAsync(body, context.Aborted);
        }
    }
}

/// <summary>
/// Waits <see cref="Duration"/> on the fake's clock before sending anything (no status, no headers), then behaves like
/// <see cref="Then"/> — or like the endpoint's default when null. A client giving up during the wait is counted as an abort.
/// </summary>
/// <param name="Duration">How long to wait before responding.</param>
/// <param name="Then">What to answer afterwards; null means the endpoint's default at that moment.</param>
public sealed record DelayBehavior(TimeSpan Duration, UpstreamBehavior? Then = null) : UpstreamBehavior
{
    internal override bool Supports(UpstreamEndpoint endpoint) => Then?.Supports(endpoint) ?? true;

    internal override void Validate() => Then?.Validate();

    internal override async Task ExecuteAsync(BehaviorContext context)
    {
        if (await context.DelayAsync(Duration, context.Aborted))
        {
            await context.RunAsync(Then ?? context.DefaultFor(context.Endpoint));
        }
    }
}
