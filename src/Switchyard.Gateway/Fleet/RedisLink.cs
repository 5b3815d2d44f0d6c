using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Switchyard.Fleet;

/// <summary>
/// The replica's one connection to Redis and what it knows of its health. A call either answers within
/// <see cref="RedisSettings.Timeout"/> or returns null (the request gets the fallback), so a dead Redis costs a
/// request that timeout at most, and nothing once the link is down: after a connection failure, or
/// <see cref="TimeoutsToDown"/> timeouts in a row, every call returns null without touching the network until a background probe (a <c>PING</c> every <see cref="ProbeInterval"/>) gets an answer. Going down
/// logs one warning, staying down one line per <see cref="LogInterval"/> (with the count of requests served by the
/// fallback), coming back one line: never a line per request (LiteLLM logged a traceback per request: PR #35273).
/// Timeouts run on the real clock, since they bound a real socket; the log interval and lease deadlines on the
/// gateway's injected clock.
/// </summary>
public sealed partial class RedisLink : IAsyncDisposable
{
    /// <summary>How often a down link is probed.</summary>
    public static readonly TimeSpan ProbeInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>Timeouts in a row that take the link down (a connection failure does at once).</summary>
    public const int TimeoutsToDown = 3;

    /// <summary>At most one "still unreachable" line per this interval.</summary>
    public static readonly TimeSpan LogInterval = TimeSpan.FromMinutes(1);

    private readonly ConnectionMultiplexer mux;
    private readonly TimeProvider clock;
    private readonly ILogger logger;
    private readonly CancellationTokenSource stopping = new();
    private readonly Lock gate = new();
    private readonly Meter meter = new(Observability.GatewayInstruments.MeterName);
    private TaskCompletionSource shared = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool down;
    private int disposed;
    private int timeouts;
    private string? lastFailure;
    private long fallbackRequests;
    private long fallbackSinceLog;
    private long outages;
    private DateTimeOffset downSince;
    private long lastLog;
    private Task probe = Task.CompletedTask;

    private RedisLink(ConnectionMultiplexer mux, RedisSettings settings, TimeProvider clock, ILogger logger)
    {
        this.mux = mux;
        Settings = settings;
        this.clock = clock;
        this.logger = logger;
        mux.ConnectionFailed += (_, e) => MarkDown(e.FailureType.ToString());
        mux.ConnectionRestored += (_, _) => StartProbe();
        Observe();
    }

    /// <summary>The <c>redis:</c> settings.</summary>
    public RedisSettings Settings { get; }

    /// <summary>The connection (pub/sub uses it too).</summary>
    internal ConnectionMultiplexer Multiplexer => mux;

    /// <summary>True while Redis answers: limits are shared. False: the fallback applies.</summary>
    public bool IsShared => !down;

    /// <summary>Requests decided by the fallback (local counters or a 503) since start.</summary>
    public long FallbackRequests => Interlocked.Read(ref fallbackRequests);

    /// <summary>How many times the link went down since start.</summary>
    public long Outages => Interlocked.Read(ref outages);

    /// <summary>Since when Redis has been unreachable (meaningful while <see cref="IsShared"/> is false).</summary>
    public DateTimeOffset DownSince => downSince;

    /// <summary>True while Redis is unreachable and the policy refuses limited requests: readiness answers 503.</summary>
    public bool RefusesWhileDown => down && Settings.OnUnreachable == RedisFallback.FailClosed;

    /// <summary>The readiness reason while down (null while shared).</summary>
    public string? DownReason => !down ? null : Settings.OnUnreachable == RedisFallback.FailClosed
        ? "Redis unreachable: limited requests are refused (redis.on_unreachable: fail_closed)"
        : $"Redis unreachable: limits are counted per replica, divided by {Settings.Replicas} (redis.on_unreachable: local)";

    /// <summary>Writes <c>"redis": {...}</c> into the readiness body: the state, the policy, since when, the fallback's count.</summary>
    public void WriteReadiness(System.Text.Json.Utf8JsonWriter w)
    {
        w.WriteStartObject("redis");
        w.WriteString("state", down ? "unreachable" : "shared");
        w.WriteString("on_unreachable", Settings.OnUnreachable == RedisFallback.FailClosed ? "fail_closed" : "local");
        if (down)
        {
            w.WriteString("since", downSince);
        }

        w.WriteNumber("outages", Outages);
        if (lastFailure is { } failure)
        {
            w.WriteString("last_failure", failure);
        }

        w.WriteNumber("fallback_requests", FallbackRequests);
        w.WriteEndObject();
    }

    /// <summary>Raised when the link is shared again, before <see cref="WhenShared"/> completes.</summary>
    public event Action? Restored;

    /// <summary>Completes when the link is (again) shared: tests await it instead of sleeping.</summary>
    public Task WhenShared()
    {
        lock (gate)
        {
            return down ? shared.Task : Task.CompletedTask;
        }
    }

    /// <summary>
    /// Connects without waiting for Redis to answer (<c>AbortOnConnectFail=false</c>): a replica starts even while Redis
    /// is down, on the fallback, and moves to shared counters once the probe reaches it.
    /// </summary>
    public static RedisLink Connect(RedisSettings settings, TimeProvider clock, ILogger logger)
    {
        var options = ConfigurationOptions.Parse(settings.ConnectionString);
        options.AbortOnConnectFail = false;
        options.ConnectTimeout = Math.Max(1000, (int)settings.Timeout.TotalMilliseconds * 4);
        options.AsyncTimeout = Math.Max(1000, (int)settings.Timeout.TotalMilliseconds * 4); // our own WaitAsync is the real bound
        options.ReconnectRetryPolicy = new LinearRetry(250);

        // Not the default backlog: a command issued while disconnected would be queued and replayed on reconnect,
        // taking an allowance for a request that was long decided by the fallback. Fail it at once instead.
        options.BacklogPolicy = BacklogPolicy.FailFast;
        options.ClientName = "switchyard";
        var mux = ConnectionMultiplexer.Connect(options);
        var link = new RedisLink(mux, settings, clock, logger);
        if (!mux.IsConnected)
        {
            link.MarkDown("not connected at start");
        }

        return link;
    }

    /// <summary>Runs a script within the timeout; null when the link is down or the call fails (the link then goes down).</summary>
    public async ValueTask<RedisResult?> EvaluateAsync(string script, RedisKey[] keys, RedisValue[] values)
    {
        if (down)
        {
            return null;
        }

        try
        {
            var result = await mux.GetDatabase().ScriptEvaluateAsync(script, keys, values).WaitAsync(Settings.Timeout).ConfigureAwait(false);
            Volatile.Write(ref timeouts, 0);
            return result;
        }
        catch (TimeoutException)
        {
            // One late answer (a pause, a burst) decides only its own request; a run of them means Redis is gone.
            if (Interlocked.Increment(ref timeouts) >= TimeoutsToDown)
            {
                MarkDown($"{TimeoutsToDown} calls in a row took longer than {Settings.Timeout.TotalMilliseconds} ms");
            }

            return null;
        }
        catch (Exception ex) when (ex is RedisException or ObjectDisposedException)
        {
            MarkDown(ex.GetType().Name);
            return null;
        }
    }

    /// <summary>
    /// Sends a script without waiting for it (settle and release: the request has its answer already). Skipped while
    /// the link is down unless <paramref name="evenIfDown"/> (an undo must follow the acquire it undoes, if the
    /// connection still carries it).
    /// </summary>
    public void Fire(string script, RedisKey[] keys, RedisValue[] values, bool evenIfDown = false)
    {
        if (!down || evenIfDown)
        {
            try
            {
                _ = mux.GetDatabase().ScriptEvaluateAsync(script, keys, values, CommandFlags.FireAndForget);
            }
            catch (Exception ex) when (ex is RedisException or ObjectDisposedException)
            {
                // No connection: the acquire it follows never left either.
            }
        }
    }

    /// <summary>Counts a request the fallback decided (read by readiness and the metric).</summary>
    public void CountFallback()
    {
        Interlocked.Increment(ref fallbackRequests);
        Interlocked.Increment(ref fallbackSinceLog);
    }

    /// <summary>The link is down: from now on calls fail fast; one warning, and a probe starts.</summary>
    internal void MarkDown(string reason)
    {
        lock (gate)
        {
            if (down || stopping.IsCancellationRequested)
            {
                return;
            }

            lastFailure = reason;
            shared = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            downSince = clock.GetUtcNow();
            lastLog = clock.GetTimestamp();
            Interlocked.Exchange(ref fallbackSinceLog, 0);
            LogDown(logger, reason, Settings.OnUnreachable == RedisFallback.Local
                ? $"counting locally, each limit divided by {Settings.Replicas} replicas"
                : "refusing limited requests with 503 (fail_closed)");
            Interlocked.Increment(ref outages);
            down = true; // last: whoever sees the link down finds its line written and its count taken
        }

        StartProbe();
    }

    private void StartProbe()
    {
        lock (gate)
        {
            if (down && probe.IsCompleted && !stopping.IsCancellationRequested)
            {
                probe = Task.Run(ProbeAsync);
            }
        }
    }

    /// <summary>PINGs until Redis answers, then flips the link back to shared.</summary>
    private async Task ProbeAsync()
    {
        while (!stopping.IsCancellationRequested)
        {
            if (await PingAsync().ConfigureAwait(false))
            {
                MarkUp();
                return;
            }

            LogStillDownPerInterval();
            try
            {
                await Task.Delay(ProbeInterval, stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task<bool> PingAsync()
    {
        try
        {
            await mux.GetDatabase().PingAsync().WaitAsync(Settings.Timeout * 4, stopping.Token).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is TimeoutException or RedisException or OperationCanceledException or ObjectDisposedException)
        {
            return false;
        }
    }

    private void MarkUp()
    {
        TaskCompletionSource done;
        TimeSpan outage;
        lock (gate)
        {
            if (!down)
            {
                return;
            }

            down = false;
            Volatile.Write(ref timeouts, 0);
            done = shared;
            outage = clock.GetUtcNow() - downSince;
        }

        LogUp(logger, outage.TotalSeconds, Interlocked.Exchange(ref fallbackSinceLog, 0));
        Restored?.Invoke(); // before the waiters: what it sends goes ahead of their next calls
        done.TrySetResult();
    }

    private void LogStillDownPerInterval()
    {
        var now = clock.GetTimestamp();
        lock (gate)
        {
            if (clock.GetElapsedTime(lastLog, now) < LogInterval)
            {
                return;
            }

            lastLog = now;
        }

        LogStillDown(logger, (clock.GetUtcNow() - downSince).TotalSeconds, Interlocked.Exchange(ref fallbackSinceLog, 0));
    }

    /// <summary>Observable instruments on the gateway's meter name (exported with it): the link's state and the fallback's count.</summary>
    private void Observe()
    {
        meter.CreateObservableGauge("switchyard.redis.unreachable", () => down ? 1 : 0, "{state}",
            "1 while Redis is unreachable and limits use redis.on_unreachable, else 0");
        meter.CreateObservableCounter("switchyard.redis.fallback.requests", () => FallbackRequests, "{request}",
            "Limited requests decided without Redis (local counters or 503), since start");
    }

    /// <summary>Stops the probe and closes the connection.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        await stopping.CancelAsync().ConfigureAwait(false);
        await probe.ConfigureAwait(false);
        await mux.CloseAsync(allowCommandsToComplete: false).ConfigureAwait(false);
        mux.Dispose();
        meter.Dispose();
        stopping.Dispose();
    }

    [LoggerMessage(EventId = 4301, Level = LogLevel.Warning,
        Message = "Redis is unreachable ({Reason}): shared limits are suspended, {Policy}; retrying in the background")]
    private static partial void LogDown(ILogger logger, string reason, string policy);

    [LoggerMessage(EventId = 4302, Level = LogLevel.Warning,
        Message = "Redis still unreachable after {Seconds:F0} s: {Requests} limited requests decided without it in the last interval")]
    private static partial void LogStillDown(ILogger logger, double seconds, long requests);

    [LoggerMessage(EventId = 4303, Level = LogLevel.Information,
        Message = "Redis reachable again after {Seconds:F1} s: limits are shared again ({Requests} requests were decided without it)")]
    private static partial void LogUp(ILogger logger, double seconds, long requests);
}
