using System.Data.Common;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Switchyard.Providers;
using Switchyard.Usage;

namespace Switchyard.Endpoints;

/// <summary>
/// <c>POST /v1/webhooks/{kind}/{deployment}</c>: where a provider reports a polled job's progress (Replicate's
/// <c>webhook</c>; <see cref="IJobWebhooks"/>). No client key: the provider cannot send one, so the delivery itself must
/// prove where it comes from. The deployment in the path names the provider whose signing secret checks it (a secret is
/// per account, and one gateway may hold several), and nothing of the body is believed before that check: the body is
/// read to at most <see cref="MaxBody"/> bytes (413 beyond), then its signature and timestamp are checked (401 when
/// forged, stale or unsigned), then the job it names is looked up by its upstream id at that deployment (404 when the
/// gateway did not create it, which makes the provider retry later: a delivery can race the create's own answer).
/// The stored job's status is updated and, when the job ended, its usage is counted once
/// (<see cref="IUpstreamObjectStore.TrySettle"/>): a job whose request already counted it is only acknowledged.
/// </summary>
public sealed partial class JobWebhookEndpoint(RouterState router, ProviderRegistry providers, IUpstreamObjectStore store, JobSettlement settlement,
    TimeProvider time, ILogger<JobWebhookEndpoint> logger)
{
    /// <summary>The largest delivery read: a prediction object (its input echoed, output URLs, logs) is a few KiB; 1 MiB is far beyond.</summary>
    public const int MaxBody = 1024 * 1024;

    /// <summary>The route.</summary>
    public const string Path = "/v1/webhooks/{kind}/{deployment}";

    /// <summary>Handles one delivery.</summary>
    public async Task HandleAsync(HttpContext http)
    {
        var kind = http.GetRouteValue("kind") as string ?? "";
        var name = http.GetRouteValue("deployment") as string ?? "";
        if (!router.Current.Config.Deployments.TryGetValue(name, out var deployment) || deployment.Provider.Kind != kind
            || providers.Media(kind) is not IPolledMediaProvider jobs || jobs is not IJobWebhooks hooks)
        {
            await AnswerAsync(http, 404, $"no deployment '{name}' of kind '{kind}' takes job webhooks").ConfigureAwait(false);
            return;
        }

        if (await ReadAsync(http).ConfigureAwait(false) is not { } body)
        {
            await AnswerAsync(http, 413, $"a webhook delivery is at most {MaxBody} bytes").ConfigureAwait(false);
            return;
        }

        var refusal = hooks.Verify(h => http.Request.Headers.TryGetValue(h, out var v) ? v.ToString() : null, body, deployment.Provider, time.GetUtcNow());
        if (refusal is not null)
        {
            LogRefused(logger, name, refusal);
            await AnswerAsync(http, 401, "webhook refused: " + refusal).ConfigureAwait(false);
            return;
        }

        await ApplyAsync(http, jobs, deployment, body).ConfigureAwait(false);
    }

    /// <summary>An authentic delivery: the job found, updated, and settled when it ended.</summary>
    private async Task ApplyAsync(HttpContext http, IPolledMediaProvider jobs, DeploymentConfig deployment, byte[] body)
    {
        PolledJob job;
        try
        {
            job = jobs.Inspect(body);
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or KeyNotFoundException or InvalidOperationException)
        {
            await AnswerAsync(http, 400, "the delivery is not a job: " + ex.Message).ConfigureAwait(false);
            return;
        }

        try
        {
            if (store.FindByUpstream(PolledJobDetail.Kind, deployment.Name, job.Id) is not { } stored)
            {
                await AnswerAsync(http, 404, $"no job '{job.Id}' was created through deployment '{deployment.Name}'").ConfigureAwait(false);
                return;
            }

            settlement.Observe(stored, job, deployment, jobs);
        }
        catch (DbException)
        {
            await AnswerAsync(http, 503, "the job store is unavailable; deliver again later").ConfigureAwait(false);
            return;
        }

        await AnswerAsync(http, 200, null).ConfigureAwait(false);
    }

    /// <summary>The body, or null when it is larger than <see cref="MaxBody"/> (reading stops there).</summary>
    private static async Task<byte[]?> ReadAsync(HttpContext http)
    {
        if (http.Request.ContentLength > MaxBody)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int n;
        while ((n = await http.Request.Body.ReadAsync(chunk, http.RequestAborted).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + n > MaxBody)
            {
                return null;
            }

            buffer.Write(chunk, 0, n);
        }

        return buffer.ToArray();
    }

    private static Task AnswerAsync(HttpContext http, int status, string? error)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        var json = error is null ? """{"ok":true}""" : "{\"error\":{\"message\":" + JsonSerializerHelpers.Quote(error) + "}}";
        return http.Response.WriteAsync(json, Encoding.UTF8);
    }

    [LoggerMessage(EventId = 1761, Level = LogLevel.Warning, Message = "Webhook for deployment {Deployment} refused: {Reason}")]
    private static partial void LogRefused(ILogger logger, string deployment, string reason);
}
