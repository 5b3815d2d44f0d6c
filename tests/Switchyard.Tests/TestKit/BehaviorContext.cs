using System.Text;
using Microsoft.AspNetCore.Http;

namespace Switchyard.Tests.TestKit;

/// <summary>Everything a behaviour needs to answer one request; created by the server per request.</summary>
internal sealed class BehaviorContext
{
    internal required HttpContext Http { get; init; }

    internal required RecordedRequest Request { get; init; }

    internal required UpstreamEndpoint Endpoint { get; init; }

    internal required TimeProvider Time { get; init; }

    /// <summary>Cancelled when the client goes away or the fake is shutting down: stop writing and return.</summary>
    internal required CancellationToken Aborted { get; init; }

    /// <summary>Cancelled by <see cref="FakeOpenAIUpstream.ReleaseStalls"/> (and on shutdown).</summary>
    internal required CancellationToken StallsReleased { get; init; }

    /// <summary>The endpoint's current default, for behaviours that wrap "whatever would have happened".</summary>
    internal required Func<UpstreamEndpoint, UpstreamBehavior> DefaultFor { get; init; }

    /// <summary>True once a behaviour cut the connection on purpose; such aborts are not counted as client aborts.</summary>
    internal bool SelfAborted { get; private set; }

    internal long UnixNow => Time.GetUtcNow().ToUnixTimeSeconds();

    internal HttpResponse Response => Http.Response;

    internal Task RunAsync(UpstreamBehavior behavior)
    {
        behavior.ApplyHeaders(Http.Response);
        return behavior.ExecuteAsync(this);
    }

    internal void AbortConnection()
    {
        SelfAborted = true;
        Http.Abort();
    }

    internal async Task WriteJsonAsync(int statusCode, string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        Response.StatusCode = statusCode;
        Response.ContentType = "application/json";
        Response.ContentLength = bytes.Length;
        await Response.Body.WriteAsync(bytes, Aborted);
    }

    /// <summary>Waits on the fake's clock; returns false (instead of throwing) when the wait was cut short by <paramref name="token"/>.</summary>
    internal async Task<bool> DelayAsync(TimeSpan delay, CancellationToken token)
    {
        try
        {
            await Task.Delay(delay, Time, token);
            return true;
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            return false;
        }
    }
}
