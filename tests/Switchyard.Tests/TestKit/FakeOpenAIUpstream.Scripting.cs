using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;

namespace Switchyard.Tests.TestKit;

/// <summary>Scripting: per-endpoint FIFO behaviour queues with a fallback default.</summary>
public sealed partial class FakeOpenAIUpstream
{
    private readonly Lock _gate = new();
    private readonly Dictionary<UpstreamEndpoint, Queue<UpstreamBehavior>> _queues = [];
    private readonly Dictionary<UpstreamEndpoint, UpstreamBehavior> _defaults = [];
    private CancellationTokenSource _stallRelease;

    /// <summary>
    /// Scripts the next chat-completion requests, in order: the first queued behaviour answers the next request, and so
    /// on; once the queue is empty the default applies again. Equivalent to <c>Enqueue(UpstreamEndpoint.ChatCompletions, ...)</c>.
    /// </summary>
    public void Enqueue(params UpstreamBehavior[] behaviors) => Enqueue(UpstreamEndpoint.ChatCompletions, behaviors);

    /// <summary>
    /// Scripts the next requests to <paramref name="endpoint"/>. Each endpoint has its own queue, so e.g. an embeddings
    /// error never answers a chat request. Throws when a behaviour cannot answer that endpoint (e.g. text on embeddings).
    /// </summary>
    public void Enqueue(UpstreamEndpoint endpoint, params UpstreamBehavior[] behaviors)
    {
        foreach (var behavior in behaviors)
        {
            Check(endpoint, behavior);
        }

        lock (_gate)
        {
            foreach (var behavior in behaviors)
            {
                _queues[endpoint].Enqueue(behavior);
            }
        }
    }

    /// <summary>Sets what chat-completion requests get when nothing is queued (initially <see cref="UpstreamBehavior.Text"/>).</summary>
    public void SetDefault(UpstreamBehavior behavior) => SetDefault(UpstreamEndpoint.ChatCompletions, behavior);

    /// <summary>Sets what requests to <paramref name="endpoint"/> get when nothing is queued.</summary>
    public void SetDefault(UpstreamEndpoint endpoint, UpstreamBehavior behavior)
    {
        Check(endpoint, behavior);
        lock (_gate)
        {
            _defaults[endpoint] = behavior;
        }
    }

    /// <summary>How many scripted behaviours for <paramref name="endpoint"/> have not been used yet (assert 0 to prove all were consumed).</summary>
    public int PendingBehaviors(UpstreamEndpoint endpoint = UpstreamEndpoint.ChatCompletions)
    {
        lock (_gate)
        {
            return _queues[endpoint].Count;
        }
    }

    /// <summary>Ends every current <see cref="StallBehavior"/> (later stalls stall again).</summary>
    public void ReleaseStalls()
    {
        CancellationTokenSource released;
        lock (_gate)
        {
            if (_shutdown.IsCancellationRequested)
            {
                return;
            }

            released = _stallRelease;
            _stallRelease = CancellationTokenSource.CreateLinkedTokenSource(_shutdown.Token);
        }

        released.Cancel();
        released.Dispose();
    }

    /// <summary>
    /// Clears queues, defaults, recorded requests and counters, for fakes shared across tests (e.g. a class fixture).
    /// Do not call while requests are in flight.
    /// </summary>
    public void Reset()
    {
        ResetScripts();
        ResetObservations();
    }

    private static void Check(UpstreamEndpoint endpoint, UpstreamBehavior behavior)
    {
        ArgumentNullException.ThrowIfNull(behavior);
        if (!behavior.Supports(endpoint))
        {
            throw new ArgumentException($"{behavior.GetType().Name} cannot answer {endpoint} requests.", nameof(behavior));
        }

        behavior.Validate();
    }

    private void ResetScripts()
    {
        lock (_gate)
        {
            foreach (var endpoint in Enum.GetValues<UpstreamEndpoint>())
            {
                _queues[endpoint] = new Queue<UpstreamBehavior>();
            }

            _defaults[UpstreamEndpoint.ChatCompletions] = UpstreamBehavior.Text();
            _defaults[UpstreamEndpoint.Embeddings] = UpstreamBehavior.Embeddings();
            _defaults[UpstreamEndpoint.Models] = UpstreamBehavior.Models("gpt-4o-mini", "gpt-4o", "text-embedding-3-small");
            _defaults[UpstreamEndpoint.Moderations] = new ModerationBehavior();
        }
    }

    private UpstreamBehavior DefaultFor(UpstreamEndpoint endpoint)
    {
        lock (_gate)
        {
            return _defaults[endpoint];
        }
    }

    private CancellationToken CurrentStallReleaseToken()
    {
        lock (_gate)
        {
            return _stallRelease.Token;
        }
    }

    /// <summary>Records the request and picks its behaviour atomically, so arrival order and script order always agree.</summary>
    private RecordedRequest Record(HttpContext http, string body, UpstreamEndpoint? endpoint, out UpstreamBehavior? behavior)
    {
        RecordedRequest record;
        lock (_gate)
        {
            behavior = endpoint is { } e ? (_queues[e].TryDequeue(out var next) ? next : _defaults[e]) : null;
            record = new RecordedRequest(
                ++_sequence,
                FakeIds.Request(),
                http.Request.Method,
                http.Request.Path.Value ?? "",
                http.Request.QueryString.Value ?? "",
                SnapshotHeaders(http.Request.Headers),
                body,
                _time.GetUtcNow(),
                endpoint,
                behavior);
            _requests.Add(record);
        }

        Pulse();
        return record;
    }
}
