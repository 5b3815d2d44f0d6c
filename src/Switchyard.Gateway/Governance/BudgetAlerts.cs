using System.Buffers;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Switchyard.Governance;

/// <summary>
/// Where a budget alert goes: one log line each, and, when <c>budgets.alert_webhook</c> is set, a JSON POST retried
/// with backoff (1 s, 5 s, 25 s) off the request path. The queue is bounded: past <see cref="QueueBound"/> waiting alerts
/// the oldest is dropped, with a log line, rather than holding memory for a webhook that is down.
/// </summary>
public sealed partial class BudgetAlerts : IAsyncDisposable
{
    /// <summary>Alerts waiting for the webhook at most.</summary>
    public const int QueueBound = 1000;

    private static readonly TimeSpan[] Backoff = [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(25)];

    private readonly BudgetSettings settings;
    private readonly HttpClient? http;
    private readonly TimeProvider time;
    private readonly ILogger logger;
    private readonly Channel<BudgetAlert> queue;
    private readonly CancellationTokenSource stop = new();
    private readonly Task? loop;

    /// <summary>Subscribes to <paramref name="ledger"/>'s alerts; <paramref name="handler"/> replaces the network (tests).</summary>
    public BudgetAlerts(IBudgetCounters ledger, BudgetSettings settings, TimeProvider time, ILogger<BudgetAlerts> logger, HttpMessageHandler? handler = null)
    {
        this.settings = settings;
        this.time = time;
        this.logger = logger;
        queue = Channel.CreateBounded<BudgetAlert>(new BoundedChannelOptions(QueueBound) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true },
            dropped => LogDropped(logger, dropped.Scope));
        if (settings.AlertWebhook is not null)
        {
            http = new HttpClient(handler ?? new SocketsHttpHandler(), disposeHandler: true) { Timeout = TimeSpan.FromSeconds(10) };
            loop = Task.Run(() => SendLoopAsync(stop.Token));
        }

        ledger.Alert += Raise;
    }

    /// <summary>Sent so far (for tests and the admin view).</summary>
    public int Delivered => delivered;

    private int delivered;

    private void Raise(BudgetAlert alert)
    {
        LogAlert(logger, alert.Scope, (int)Math.Round(alert.Threshold * 100), alert.SpentMicros, alert.LimitMicros);
        if (http is not null)
        {
            queue.Writer.TryWrite(alert);
        }
    }

    private async Task SendLoopAsync(CancellationToken ct)
    {
        try
        {
            await foreach (var alert in queue.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                await SendAsync(alert, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private async Task SendAsync(BudgetAlert alert, CancellationToken ct)
    {
        var body = Json(alert);
        for (var attempt = 0; ; attempt++)
        {
            string failure;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, settings.AlertWebhook) { Content = new ByteArrayContent(body) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                foreach (var (name, value) in settings.AlertWebhookHeaders)
                {
                    request.Headers.TryAddWithoutValidation(name, value);
                }

                using var response = await http!.SendAsync(request, ct).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    Interlocked.Increment(ref delivered);
                    return;
                }

                failure = "HTTP " + (int)response.StatusCode;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                failure = ex.GetType().Name;
            }

            if (attempt == Backoff.Length)
            {
                LogGaveUp(logger, alert.Scope, failure, attempt + 1);
                return;
            }

            await Task.Delay(Backoff[attempt], time, ct).ConfigureAwait(false);
        }
    }

    /// <summary>The webhook's body: <c>{"type":"budget.alert","scope","threshold","spent_usd","limit_usd","resets_at"}</c>.</summary>
    internal static byte[] Json(BudgetAlert alert)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("type", "budget.alert");
            w.WriteString("scope", alert.Scope);
            w.WriteNumber("threshold", alert.Threshold);
            w.WriteNumber("spent_usd", alert.SpentMicros / 1_000_000m);
            w.WriteNumber("limit_usd", alert.LimitMicros / 1_000_000m);
            if (alert.ResetsAt == DateTimeOffset.MaxValue)
            {
                w.WriteNull("resets_at");
            }
            else
            {
                w.WriteString("resets_at", alert.ResetsAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
            }

            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        queue.Writer.TryComplete();
        await stop.CancelAsync().ConfigureAwait(false);
        if (loop is not null)
        {
            await loop.ConfigureAwait(false);
        }

        http?.Dispose();
        stop.Dispose();
    }

    [LoggerMessage(EventId = 4121, Level = LogLevel.Warning, Message = "Budget alert: {Scope} reached {Percent}% ({Spent} of {Limit} micro-USD)")]
    private static partial void LogAlert(ILogger logger, string scope, int percent, long spent, long limit);

    [LoggerMessage(EventId = 4122, Level = LogLevel.Error, Message = "Budget alert webhook gave up on {Scope} after {Attempts} attempts: {Failure}")]
    private static partial void LogGaveUp(ILogger logger, string scope, string failure, int attempts);

    [LoggerMessage(EventId = 4123, Level = LogLevel.Warning, Message = "Budget alert queue full: the oldest alert ({Scope}) was dropped")]
    private static partial void LogDropped(ILogger logger, string scope);
}
